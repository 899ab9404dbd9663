"""The engine's consumer group on `events` and `commands`: joining, leaving, who is live,
what is pending with its delivery count, and the rebuild lock an engine waits on."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from cases.journal import begin
from core.keys import ENGINE_GROUP, Keys, glob_escape
from core.replies import text

log = logging.getLogger(__name__)
WAIT_S = 1.0
# A running engine refreshes its heartbeat every BEAT_S; one that crashed counts as live
# until its heartbeat expires (an idle consumer's XINFO idle time grows while it runs).
BEAT_S = 1.0
HEARTBEAT_MS = 10_000


def streams(keys: Keys) -> tuple[str, str]:
    return keys.events, keys.commands


def ensure(r: redis.Redis, keys: Keys) -> None:
    """The group on both streams (from their first entry), and the journal's first entry."""
    for stream in streams(keys):
        try:
            r.xgroup_create(stream, ENGINE_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
    begin(r, keys)


def beat(r: redis.Redis, keys: Keys, consumer: str) -> None:
    """Say where this engine runs (pid@host), for HEARTBEAT_MS."""
    r.set(keys.heartbeat(consumer), f"{os.getpid()}@{socket.gethostname()}", px=HEARTBEAT_MS)


def leave(r: redis.Redis, keys: Keys, consumer: str) -> None:
    """Stopped: no heartbeat any more, and with nothing pending, out of the group.

    A consumer with pending entries stays, so that its restart (or a peer) applies them.
    """
    try:
        r.delete(keys.heartbeat(consumer))
        for stream in streams(keys):
            if not r.xpending_range(stream, ENGINE_GROUP, "-", "+", 1, consumer):
                r.xgroup_delconsumer(stream, ENGINE_GROUP, consumer)
    except redis.RedisError as exc:
        log.warning("engine %s: could not leave the group (%s)", consumer, exc)


def live_engines(r: redis.Redis, keys: Keys, idle_ms: int) -> list[str]:
    """The engines that look alive: a heartbeat not yet expired, or a consumer that was
    handed entries within ``idle_ms`` (an engine of a version without heartbeats)."""
    beats = keys.heartbeat("")
    names = [text(n) for n in r.scan_iter(match=glob_escape(beats) + "*")]
    found = {
        f"{name[len(beats) :]} (process {text(where)}, heartbeat)"
        for name, where in zip(names, r.mget(names) if names else [], strict=True)
        if where
    }
    for stream in streams(keys):
        try:
            consumers: Any = r.xinfo_consumers(stream, ENGINE_GROUP)
        except redis.ResponseError:  # no such stream or group: nobody reads it
            continue
        for consumer in consumers:
            idle = int(consumer["idle"])
            if idle < idle_ms:
                found.add(f"{text(consumer['name'])} (read {idle / 1000:.1f} s ago)")
    return sorted(found)


@dataclass(frozen=True, slots=True)
class Pending:
    """An entry delivered to a consumer and not yet acknowledged (XPENDING's extended form)."""

    entry: str
    consumer: str
    deliveries: int  # times delivered so far: each read, claim or XAUTOCLAIM adds one


def pending(
    r: redis.Redis,
    stream: str,
    *,
    consumer: str | None = None,
    idle_ms: int | None = None,
    after: str | None = None,
    count: int = 500,
) -> list[Pending]:
    """The next ``count`` pending entries after ``after`` (of one consumer, or idle that long)."""
    start = "-" if after is None else f"({after}"
    rows: Any = r.xpending_range(
        stream, ENGINE_GROUP, start, "+", count, consumername=consumer, idle=idle_ms
    )
    return [
        Pending(text(row["message_id"]), text(row["consumer"]), int(row["times_delivered"]))
        for row in rows
    ]


def deliveries(r: redis.Redis, stream: str, entry: str) -> int:
    """How many times the group delivered this entry (0: it is not pending)."""
    rows: Any = r.xpending_range(stream, ENGINE_GROUP, entry, entry, 1)
    return int(rows[0]["times_delivered"]) if rows else 0


def fetch(r: redis.Redis, stream: str, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """These entries' fields, read without delivering them (the delivery count stays);
    an entry trimmed or deleted from the stream is missing from the answer."""
    if not ids:
        return {}
    pipe = r.pipeline(transaction=False)
    for entry in ids:
        pipe.xrange(stream, entry, entry, count=1)
    found: dict[str, dict[str, str]] = {}
    for entry, rows in zip(ids, pipe.execute(), strict=True):
        if rows:
            found[entry] = decode(rows[0][1])
    return found


def claim(
    r: redis.Redis, stream: str, consumer: str, ids: Sequence[str], idle_ms: int = 0
) -> list[str]:
    """Take these pending entries (those idle ``idle_ms`` at least), counting a delivery each;
    the ids taken."""
    if not ids:
        return []
    taken: Any = r.xclaim(stream, ENGINE_GROUP, consumer, idle_ms, list(ids), justid=False)
    return [text(entry) for entry, fields in taken if entry is not None and fields is not None]


def decode(fields: dict[Any, Any] | None) -> dict[str, str]:
    """An entry's fields as text; bytes that are not UTF-8 become U+FFFD, never an error."""
    return {_text(k): _text(v) for k, v in (fields or {}).items()}


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def wait_for_rebuild(r: redis.Redis, keys: Keys, stop: threading.Event, consumer: str) -> None:
    """Start no work while `towncc engine --rebuild` holds its lock."""
    if r.exists(keys.rebuild_lock):
        log.warning("engine %s: a rebuild is running; waiting for it to finish", consumer)
    while not stop.is_set() and r.exists(keys.rebuild_lock):
        stop.wait(WAIT_S)
