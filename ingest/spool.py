"""Spool-on-outage: a local, durable, ordered queue of stream entries while Redis is away.

Entries are appended as JSON lines to one file (fsync'd before the sender is answered) and
drained in order once Redis answers again. Each drained chunk is written with MULTI/EXEC
together with the count of lines drained so far (`spool:<file>` in Redis), so a crash in the
middle of a drain neither loses nor repeats an entry. One process owns a spool folder at a
time (an flock on `spool.lock`); another process finds it taken and gets no spool.
"""

from __future__ import annotations

import base64
import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson
from redis.typing import EncodableT, FieldT

from core.private import open_private, private_folder

Fields = dict[FieldT, EncodableT]
Entry = tuple[str, Fields]
PATTERN = "entries-*.jsonl"


class SpoolBusyError(RuntimeError):
    """Another process owns this spool folder."""


def _encode(stream: str, fields: Fields) -> bytes:
    # Field values may be bytes (the Event JSON); keep them exact with base64.
    out = {}
    for key, value in fields.items():
        if isinstance(value, bytes):
            out[str(key)] = {"b": base64.b64encode(value).decode()}
        else:
            out[str(key)] = {"s": str(value)}
    return orjson.dumps({"stream": stream, "fields": out}) + b"\n"


def _decode(line: bytes) -> Entry:
    value = orjson.loads(line)
    fields: Fields = {
        k: base64.b64decode(v["b"]) if "b" in v else v["s"] for k, v in value["fields"].items()
    }
    return value["stream"], fields


def _append(path: Path) -> IO[bytes]:
    """``path`` opened to append, readable and writable by its owner only."""
    return os.fdopen(open_private(path, os.O_WRONLY | os.O_APPEND), "ab")


class Spool:
    """The spool folder of this process: at most one file (a generation) at a time.

    A generation's name is never reused, so its drained count in Redis can never be
    mistaken for another file's, even if a crash leaves the count behind.
    """

    def __init__(self, folder: Path) -> None:
        # Spooled records may be personal (a reporter's phone): for this user's eyes only.
        self.folder = private_folder(folder)
        self._lock = _append(folder / "spool.lock")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._lock.close()
            raise SpoolBusyError(f"spool folder {folder} is owned by another process") from exc
        existing = sorted(folder.glob(PATTERN), key=lambda p: p.stat().st_mtime)
        self.path = existing[0] if existing else self._new_path()
        self.lines = sum(1 for _ in self._read()) if self.path.exists() else 0
        self._resume = (0, 0)  # (lines before, byte offset) where the last chunk ended

    def _new_path(self) -> Path:
        return self.folder / f"entries-{uuid.uuid4().hex}.jsonl"

    @property
    def generation(self) -> str:
        return self.path.stem

    def append(self, entries: list[Entry]) -> None:
        """Durably add entries (on disk before this returns)."""
        with _append(self.path) as out:
            out.write(b"".join(_encode(s, f) for s, f in entries))
            out.flush()
            os.fsync(out.fileno())
        self.lines += len(entries)

    def _read(self) -> Iterator[bytes]:
        with self.path.open("rb") as src:
            yield from (line for line in src if line.strip())

    def pending(self, drained: int) -> bool:
        return self.lines > drained

    def chunk(self, drained: int, size: int) -> list[Entry]:
        """Up to ``size`` entries after the first ``drained`` lines, in order.

        Resumes from where the previous chunk ended (a remembered byte offset) so a long
        drain reads the file once; any other start is found by counting lines.
        """
        out: list[Entry] = []
        with self.path.open("rb") as src:
            line_no, offset = self._resume if self._resume[0] == drained else (0, 0)
            src.seek(offset)
            while len(out) < size and (line := src.readline()):
                if line.strip() and line_no >= drained:
                    out.append(_decode(line))
                line_no += bool(line.strip())
            self._resume = (line_no, src.tell())
        return out

    def clear(self) -> None:
        """Everything is in Redis: drop this generation; the next append starts a new one."""
        self.path.unlink(missing_ok=True)
        self.path = self._new_path()
        self.lines = 0
        self._resume = (0, 0)

    def close(self) -> None:
        self._lock.close()
