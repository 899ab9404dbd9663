"""Files and folders only their owner may read: the data folder holds a password and records
that may be personal."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077  # what a process creates is its owner's only: files 0600, folders 0700


def private_folder(folder: Path) -> Path:
    """``folder``, made if missing, open to its owner only (0700, also if it was looser)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def open_private(path: Path, flags: int) -> int:
    """``path`` opened with ``flags`` (created if missing), readable and writable by its owner
    only (0600, also a file that existed with a looser mode)."""
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def make_private(path: Path) -> None:
    """``path`` (a file or folder that is not a link) made its owner's only."""
    if not path.is_symlink():
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
