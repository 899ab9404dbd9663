"""The quarantine: what the engine could not apply, kept aside so that it never stops.

An entry of `events` or `commands` whose application raises (a bug meeting data nobody
foresaw), or that was delivered ``max_deliveries`` times without being acknowledged (it
killed the engine each time), is written to the stream `quarantine` and acknowledged in the
same MULTI/EXEC; a case or station whose sweep raises is taken off its due set the same way.
Each record keeps the entry's raw fields (the first ``RAW_MAX`` bytes, with their length and
SHA-256), the error, the delivery count and the time. A replay, once the code or the data is
fixed, puts the entry back into its stream (or the case back on its due set) and deletes the
record in one transaction.

Errors of Redis itself (unreachable, out of memory, read-only, loading) are never the
entry's fault: ``redis_fault`` tells them apart, and the engine retries those instead.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import orjson
import redis
import redis.asyncio as aredis
from redis.typing import EncodableT, FieldT

from core.keys import ENGINE_GROUP, Keys
from core.replies import text
from ingest.guard import kept_head
from ingest.redact import Redactor

Source = Literal["events", "commands", "sweep"]
SOURCES: Final[tuple[Source, ...]] = ("events", "commands", "sweep")
RAW_MAX: Final = 64 * 1024  # bytes of an entry's fields (as JSON) kept in its record
ERROR_MAX: Final = 2000  # characters of the error kept
SCAN: Final = 200
Fields = dict[FieldT, EncodableT]
T = TypeVar("T")

# Server replies that say Redis cannot serve now, whatever the data: retry, never blame it.
_FAULTS: Final = (
    redis.ConnectionError,  # also BusyLoadingError, AuthenticationError, MaxClientsReachedError
    redis.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.MasterDownError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterError,
    redis.exceptions.NoPermissionError,
)
_FAULT_CODES: Final = ("OOM", "MISCONF", "NOREPLICAS", "BUSY", "LOADING", "READONLY", "NOAUTH")


def redis_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is Redis failing (retry later) rather than an entry that cannot apply."""
    if isinstance(exc, _FAULTS):
        return True
    return isinstance(exc, redis.ResponseError) and str(exc).startswith(_FAULT_CODES)


def isolate(
    items: list[T], apply: Callable[[list[T]], int], set_aside: Callable[[T, Exception], int]
) -> int:
    """``apply(items)``; if it raises, its halves, down to each item at fault, which goes to
    ``set_aside`` with its error. ``apply`` must write nothing when it raises (the engine
    commits a batch in one transaction at its end), so every other item is applied once:
    one bad item among n costs about 2·log2(n) more calls, a good batch none."""
    try:
        return apply(items)
    except Exception as exc:
        if redis_fault(exc):
            raise
        if len(items) == 1:
            return set_aside(items[0], exc)
        half = len(items) // 2
        return isolate(items[:half], apply, set_aside) + isolate(items[half:], apply, set_aside)


# The intake's one redactor (ingest/redact.py): the same secrets, found the same way.
redact: Final = Redactor()


def error_text(exc: BaseException) -> str:
    """The error as a person reads it: type, message (bounded, without secrets) and where it
    was raised (package/module:line, never a path of the machine)."""
    message = redact(f"{type(exc).__name__}: {exc}")
    if len(message) > ERROR_MAX:
        message = message[: ERROR_MAX - 1] + "…"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return message
    where = Path(frames[-1].filename)
    return f"{message} (at {where.parent.name}/{where.name}:{frames[-1].lineno})"


@dataclass(frozen=True, slots=True)
class Poison:
    """One thing the engine could not apply: a stream entry, or a swept case or station."""

    source: Source
    entry: str  # the entry's id in its stream; for a sweep, the case id or station
    fields: Mapping[str, str]  # the entry's fields; for a sweep: `member`, `due` (JSON)
    error: str
    deliveries: int = 0  # times the group delivered the entry (0: a sweep)

    def record(self, at: datetime) -> Fields:
        """The quarantine stream's fields for it."""
        # The entry's fields as JSON, bounded and redacted as the intake keeps a dead letter's.
        kept = kept_head(orjson.dumps(dict(self.fields)).decode(), RAW_MAX, redact)
        return {
            "source": self.source,
            "entry": self.entry,
            "error": self.error,
            "deliveries": str(self.deliveries),
            "at": at.astimezone(UTC).isoformat(),
            **{name: str(value) for name, value in kept.items()},
        }


def stream_of(keys: Keys, source: str) -> str:
    """The stream an entry of this source came from (`events` or `commands`)."""
    return keys.events if source == "events" else keys.commands


def add(pipe: redis.client.Pipeline, keys: Keys, poison: Poison, at: datetime, maxlen: int) -> None:
    """Queue the quarantine record, its count and what takes it out of the engine's way:
    the XACK of its entry, or (a sweep) its removal from the due sets."""
    pipe.xadd(keys.quarantine, poison.record(at), maxlen=maxlen, approximate=True)
    pipe.hincrby(keys.quarantine_counts, poison.source, 1)
    if poison.source == "sweep":
        due: dict[str, Any] = orjson.loads(poison.fields["due"])
        for key in due:
            pipe.zrem(key, poison.fields["member"])
    else:
        pipe.xack(stream_of(keys, poison.source), ENGINE_GROUP, poison.entry)


# ---- reading --------------------------------------------------------------------------------


def _rows(batch: Any) -> list[dict[str, str]]:
    return [{"id": text(i), **{text(k): text(v) for k, v in f.items()}} for i, f in batch]


def recent(r: redis.Redis, keys: Keys, *, limit: int = 50) -> list[dict[str, str]]:
    """The newest quarantine records, newest first, each with its id in the stream (`id`)."""
    return _rows(r.xrevrange(keys.quarantine, count=limit))


async def arecent(ar: aredis.Redis, keys: Keys, *, limit: int = 50) -> list[dict[str, str]]:
    """`recent` for the event loop."""
    return _rows(await ar.xrevrange(keys.quarantine, count=limit))


def get(r: redis.Redis, keys: Keys, record: str) -> dict[str, str] | None:
    """One quarantine record by its id, or None when it is gone (replayed, trimmed)."""
    rows = _rows(r.xrange(keys.quarantine, record, record, count=1))
    return rows[0] if rows else None


async def aget(ar: aredis.Redis, keys: Keys, record: str) -> dict[str, str] | None:
    """`get` for the event loop."""
    rows = _rows(await ar.xrange(keys.quarantine, record, record, count=1))
    return rows[0] if rows else None


def count(r: redis.Redis, keys: Keys) -> int:
    """Records in quarantine now (replayed ones are gone)."""
    return int(r.xlen(keys.quarantine))


async def acount(ar: aredis.Redis, keys: Keys) -> int:
    return int(await ar.xlen(keys.quarantine))


def totals(r: redis.Redis, keys: Keys) -> dict[str, int]:
    """Entries ever quarantined, per source."""
    raw: Any = r.hgetall(keys.quarantine_counts)
    return {text(k): int(v) for k, v in raw.items()}


# ---- replaying --------------------------------------------------------------------------------


@dataclass
class ReplayReport:
    examined: int = 0
    replayed: int = 0
    lost: int = 0  # its raw was cut and its entry is gone from the stream: nothing to put back


def replay(
    r: redis.Redis, keys: Keys, *, record: str | None = None, maxlen: int = 1_000_000
) -> ReplayReport:
    """Put quarantined entries back where they came from (one record, or every record kept
    when the replay began), each with the deletion of its record in one transaction."""
    report = ReplayReport()
    for row in [x for x in [get(r, keys, record)] if x] if record else _all(r, keys):
        report.examined += 1
        if _put_back(r, keys, row, maxlen):
            report.replayed += 1
        else:
            report.lost += 1
    return report


def _all(r: redis.Redis, keys: Keys) -> list[dict[str, str]]:
    """Every record, oldest first (a replayed entry that fails again is not met twice)."""
    found: list[dict[str, str]] = []
    start = "-"
    while page := _rows(r.xrange(keys.quarantine, start, "+", count=SCAN)):
        found += page
        start = f"({page[-1]['id']}"
    return found


def _put_back(r: redis.Redis, keys: Keys, row: Mapping[str, str], maxlen: int) -> bool:
    pipe = r.pipeline(transaction=True)
    if row.get("source") == "sweep":
        fields = orjson.loads(row.get("raw", "{}"))
        for key, score in orjson.loads(fields["due"]).items():
            pipe.zadd(key, {fields["member"]: score})
    else:
        stream = stream_of(keys, row.get("source", ""))
        original = _original(r, stream, row)
        if original is None:
            return False
        pipe.xadd(stream, original, maxlen=maxlen, approximate=True)
    pipe.xdel(keys.quarantine, row["id"])
    pipe.execute()
    return True


def _original(r: redis.Redis, stream: str, row: Mapping[str, str]) -> Fields | None:
    """The entry's fields: as the stream still holds them, else as the record kept them
    (unless cut short); None if neither."""
    entry = row.get("entry", "")
    found: Any = r.xrange(stream, entry, entry, count=1) if entry else []
    if found:
        fields: Fields = dict(found[0][1])
        return fields
    if row.get("truncated") != "0":
        return None
    kept: dict[str, str] = orjson.loads(row.get("raw", "{}"))
    return {k: v for k, v in kept.items()}
