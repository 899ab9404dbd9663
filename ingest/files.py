"""File intake: watched drop folders (one per feed) and bulk replay of files.

A file in `<drop>/<feed>/` is read once it has stopped changing (writers should write
`.tmp`/`.part` or dot-files and rename; those are ignored). Once every record is stored or
dead-lettered it moves to `done/`; a file that cannot be read at all moves to `failed/`.
Either way, a `<file>.reason` beside it lists what was dead-lettered and why. While Redis is
unreachable the file stays where it is and is tried again.

Only regular files are read. Anything else in a drop folder (a symbolic link, a FIFO, a
directory, a device, a socket) is refused: moved as it is into `failed/` with a `.reason`
that says what it was, and never opened; a link's target is never read. The file is opened
without following links and without blocking, and checked again once open, so an entry
swapped for a link or a FIFO after the scan is refused too.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis
from tqdm import tqdm

from core.private import make_private, open_private, private_folder
from ingest.adapter import Adapter
from ingest.sink import Outcome, RedisSink

log = logging.getLogger(__name__)
SETTLE_S = 1.0
IGNORED_SUFFIXES = (".tmp", ".part", ".reason")


KINDS = {
    stat.S_IFLNK: "a symbolic link (never followed: its target is not read)",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}
OWN_FOLDERS = ("done", "failed")


class NotRegularError(OSError):
    """A drop-folder entry that is not a regular file: refused, never read."""


def not_regular(mode: int) -> str | None:
    """What an entry is when it is not a regular file (None when it is one)."""
    if stat.S_ISREG(mode):
        return None
    return KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_regular(path: Path, *, follow: bool = False) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO never stalls the reader)
    and, unless ``follow``, without following a symbolic link."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow and path.is_symlink():
            raise NotRegularError(KINDS[stat.S_IFLNK]) from exc
        raise
    with os.fdopen(fd, "rb") as src:
        kind = not_regular(os.fstat(src.fileno()).st_mode)
        if kind is not None:
            raise NotRegularError(kind)
        return src.read()


def ingest_file(
    path: Path, adapter: Adapter, sink: RedisSink, client: redis.Redis, *, follow: bool = False
) -> Outcome:
    """Every record of one file, stored or dead-lettered; raises if Redis is unreachable and
    NotRegularError for anything but a regular file."""
    body = read_regular(path, follow=follow)
    return sink.write(client, adapter.parse(body, datetime.now(UTC)))


def _reason_text(outcome: Outcome) -> str:
    lines = [f"{outcome.accepted} accepted, {outcome.deadlettered} dead-lettered"]
    lines += [
        f"record {e['index']} ({e['source_id'] or '?'}): {e['reason']}" for e in outcome.errors
    ]
    return "\n".join(lines) + "\n"


def _move(path: Path, folder: str, reason: str | None) -> Path:
    """Move a drop-folder entry as it is (a link, not its target) into ``folder`` beside it,
    time-stamped, with a `.reason` file when there is a reason to give."""
    target_dir = private_folder(path.parent / folder)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = target_dir / f"{stamp}-{path.name}"
    path.rename(target)
    make_private(target)  # a record as its system wrote it, maybe readable by all
    if reason is not None:
        fd = open_private(target.with_name(target.name + ".reason"), os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(reason)
    return target


def settle(path: Path, outcome: Outcome) -> Path:
    """Move a processed file to done/ or failed/, with its reason file when anything failed."""
    folder = "failed" if outcome.body_error else "done"
    return _move(path, folder, _reason_text(outcome) if outcome.deadlettered else None)


def refuse(path: Path, kind: str) -> Path:
    """Move a drop-folder entry that is not a regular file into failed/ as it is (a link is
    moved, not its target), with a `.reason` that says what it was."""
    reason = f"refused: {kind}; a drop folder takes regular files only\n"
    target = _move(path, "failed", reason)
    log.warning("%s: refused, %s", target.name, kind)
    return target


def scan(folder: Path, now: float) -> tuple[list[Path], list[tuple[Path, str]]]:
    """A drop folder's regular files that have stopped changing, oldest first, and the
    entries to refuse with what each is; nothing is followed or opened."""
    ready: list[tuple[float, Path]] = []
    refused: list[tuple[Path, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name.endswith(IGNORED_SUFFIXES) or name in OWN_FOLDERS:
                continue
            info = entry.stat(follow_symlinks=False)
            kind = not_regular(info.st_mode)
            if kind is not None:
                refused.append((Path(entry.path), kind))
            elif now - info.st_mtime >= SETTLE_S:
                ready.append((info.st_mtime, Path(entry.path)))
    return [path for _, path in sorted(ready)], refused


def ready_files(folder: Path, now: float) -> Iterator[Path]:
    """Regular files in a drop folder that have stopped changing, oldest first."""
    yield from scan(folder, now)[0]


@dataclass
class Watcher:
    """Polls `<root>/<feed>/` for every feed and ingests what lands there."""

    root: Path
    feeds: dict[str, Adapter]
    sink: RedisSink
    client: redis.Redis

    def __post_init__(self) -> None:
        for feed in self.feeds:
            (self.root / feed).mkdir(parents=True, exist_ok=True)

    def sweep(self) -> int:
        """Ingest every ready file once; the number of files settled."""
        settled = 0
        for feed, adapter in self.feeds.items():
            ready, refused = scan(self.root / feed, time.time())
            for path, kind in refused:
                refuse(path, kind)
                settled += 1
            for path in ready:
                try:
                    outcome = ingest_file(path, adapter, self.sink, self.client)
                except NotRegularError as exc:  # swapped after the scan
                    refuse(path, str(exc))
                    settled += 1
                    continue
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    log.warning("Redis unreachable (%s); %s stays for the next sweep", exc, path)
                    return settled
                log.info(
                    "%s: %s", settle(path, outcome).name, _reason_text(outcome).splitlines()[0]
                )
                settled += 1
        return settled

    def run(self, stop: threading.Event, every_s: float = 1.0) -> None:
        while not stop.is_set():
            self.sweep()
            stop.wait(every_s)


@dataclass
class ReplaySummary:
    files: int = 0
    accepted: int = 0
    deadlettered: int = 0
    unreadable: list[str] = field(default_factory=list)


def replay(
    paths: Iterable[Path], adapter_of: dict[Path, Adapter], sink: RedisSink, client: redis.Redis
) -> ReplaySummary:
    """Bulk-load files (each with its feed's adapter), with a progress bar; files stay put."""
    summary = ReplaySummary()
    for path in tqdm(list(paths), unit="file", desc="replay"):
        try:  # the operator named these paths: a link is followed, a FIFO or folder is not read
            outcome = ingest_file(path, adapter_of[path], sink, client, follow=True)
        except NotRegularError as exc:
            summary.unreadable.append(f"{path}: {exc}")
            continue
        summary.files += 1
        summary.accepted += outcome.accepted
        summary.deadlettered += outcome.deadlettered
        if outcome.body_error:
            summary.unreadable.append(f"{path}: {outcome.body_error}")
    return summary
