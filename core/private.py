"""Files and folders only their owner may read: the data folder holds a password and records
that may be personal."""

from __future__ import annotations

import os
from pathlib import Path


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
