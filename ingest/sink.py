"""The Redis writer: Events → stream `events`, DeadLetters → stream `deadletter`.

The only module of ingest/ that talks to Redis; no adapter imports it. When Redis is
unreachable, the async path (HTTP intake) keeps entries in a local spool and drains them
in order once Redis is back; while anything is spooled, new entries queue behind it.
Every result passes its ``Guard`` on the way (time window, redaction, dead-letter bounds);
the dead-letter stream is trimmed exactly to the guard's cap, every other stream roughly.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio as aredis

from core.event import Event
from core.keys import Keys
from core.replies import text
from ingest import freshness
from ingest.adapter import Result
from ingest.guard import Guard
from ingest.spool import Entry, Fields, Spool

log = logging.getLogger(__name__)
DRAIN_CHUNK = 500
WRITE_CHUNK = 1000
# A full Redis (maxmemory, noeviction) refuses writes with OOM: spool as when it is away.
REDIS_DOWN = (aredis.ConnectionError, aredis.TimeoutError, redis.exceptions.OutOfMemoryError)
DEFAULT_GUARD = Guard()


@dataclass(slots=True)
class Outcome:
    """What happened to one payload: counts plus each dead letter's reason."""

    accepted: int = 0
    deadlettered: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    body_error: str | None = None
    spooled: bool = False

    def as_json(self) -> dict[str, Any]:
        out = {"accepted": self.accepted, "deadlettered": self.deadlettered, "errors": self.errors}
        return {**out, "spooled": True} if self.spooled else out


def plan(
    results: Iterable[Result], keys: Keys, guard: Guard | None = None
) -> tuple[list[Entry], Outcome]:
    """The stream entries to add for these results, and the outcome to report once stored."""
    guard = guard or DEFAULT_GUARD
    entries: list[Entry] = []
    outcome = Outcome()
    events = keys.events
    for index, result in enumerate(results):
        checked = guard.event(result) if isinstance(result, Event) else result
        if isinstance(checked, Event):
            fields: Fields = {"id": checked.id, "feed": checked.feed, "e": checked.to_json()}
            entries.append((events, fields))
        else:
            entries.append((keys.deadletter, guard.dead_fields(checked)))
            outcome.deadlettered += 1
            reason = guard.reason(checked)
            source = checked.source_id
            outcome.errors.append({"index": index, "source_id": source, "reason": reason})
            if checked.scope == "body":
                outcome.body_error = reason
    outcome.accepted = len(entries) - outcome.deadlettered
    return entries, outcome


def reason_class(reason: str) -> str:
    """The reason up to its first colon: what a person groups dead letters by."""
    return reason.split(":", 1)[0].strip()[:120]


def xadd(pipe: Any, keys: Keys, entry: Entry, maxlen: int, guard: Guard) -> None:
    """Queue one XADD: the dead-letter stream capped exactly (its byte budget), others ~."""
    stream, fields = entry
    if stream == keys.deadletter:
        pipe.xadd(stream, fields, maxlen=guard.deadletter_maxlen, approximate=False)
    else:
        pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)


def queue_stats(pipe: freshness.Pipeline, keys: Keys, entries: list[Entry]) -> None:
    """Per-feed liveness for these entries, counted from the entries themselves."""
    accepted: Counter[str] = Counter()
    dead: Counter[str] = Counter()
    reasons: dict[str, str] = {}
    for stream, fields in entries:
        feed = text(fields.get("feed", ""))
        if stream == keys.events:
            accepted[feed] += 1
        else:
            dead[feed] += 1
            reasons[feed] = text(fields.get("reason", ""))
            pipe.hincrby(keys.deadletter_counts, f"{feed}\t{reason_class(reasons[feed])}", 1)
    now = datetime.now(UTC)
    for feed in accepted.keys() | dead.keys():
        freshness.record(pipe, keys, feed, accepted[feed], dead[feed], reasons.get(feed), now)


class RedisSink:
    """Writes planned entries in one pipelined round trip, each stream capped (MAXLEN ~)."""

    def __init__(
        self, keys: Keys, maxlen: int, spool: Spool | None = None, guard: Guard | None = None
    ) -> None:
        self.keys = keys
        self.maxlen = maxlen
        self.spool = spool
        self.guard = guard or DEFAULT_GUARD
        self._lock = asyncio.Lock()

    def write(self, client: redis.Redis, results: Iterable[Result]) -> Outcome:
        """Synchronous write, no spool: an unreachable Redis raises (the caller keeps its input)."""
        entries, outcome = plan(results, self.keys, self.guard)
        pipe = client.pipeline(transaction=False)
        for entry in entries:
            xadd(pipe, self.keys, entry, self.maxlen, self.guard)
        queue_stats(pipe, self.keys, entries)
        pipe.execute()
        return outcome

    def plan(self, results: Iterable[Result]) -> tuple[list[Entry], Outcome]:
        """The entries and outcome of these results through this sink's guard: CPU work (a
        large dead letter is redacted and hashed), which a caller may run off the event loop
        and hand to ``write_planned_async``."""
        return plan(results, self.keys, self.guard)

    def write_planned(self, client: redis.Redis, entries: list[Entry]) -> int:
        """Synchronous, in chunks, no spool: how many entries were written before Redis went
        away (all of them, normally); the caller keeps the rest."""
        for first in range(0, len(entries), WRITE_CHUNK):
            pipe = client.pipeline(transaction=False)
            for entry in entries[first : first + WRITE_CHUNK]:
                xadd(pipe, self.keys, entry, self.maxlen, self.guard)
            queue_stats(pipe, self.keys, entries[first : first + WRITE_CHUNK])
            try:
                pipe.execute()
            except REDIS_DOWN:
                return first
        return len(entries)

    async def write_async(self, client: aredis.Redis, results: Iterable[Result]) -> Outcome:
        """Store in Redis, or durably in the spool; raises only when neither is possible."""
        return await self.write_planned_async(client, *self.plan(results))

    async def write_planned_async(
        self, client: aredis.Redis, entries: list[Entry], outcome: Outcome
    ) -> Outcome:
        """As write_async, for entries planned already (``plan``, maybe by a worker)."""
        async with self._lock:
            if self.spool is not None and self.spool.lines:
                self.spool.append(entries)  # keep order: queue behind what is spooled
                outcome.spooled = True
                return outcome
            written = 0
            try:
                # In chunks: packing one pipeline of a whole large body would hold the event
                # loop (the wall's sockets, /healthz) for tens of milliseconds.
                for written in range(0, len(entries), WRITE_CHUNK):
                    await self._xadd(client, entries[written : written + WRITE_CHUNK])
            except REDIS_DOWN:
                if self.spool is None:
                    raise
                log.warning("Redis unreachable: spooling %d entries", len(entries) - written)
                self.spool.append(entries[written:])  # the chunks before it are in Redis
                outcome.spooled = True
        return outcome

    async def _xadd(self, client: aredis.Redis, entries: list[Entry]) -> None:
        async with client.pipeline(transaction=False) as pipe:
            for entry in entries:
                xadd(pipe, self.keys, entry, self.maxlen, self.guard)
            queue_stats(pipe, self.keys, entries)
            await pipe.execute()

    async def drain(self, client: aredis.Redis) -> int:
        """Move spooled entries to Redis in order, chunk by chunk; the number moved."""
        moved = 0
        while self.spool is not None and self.spool.lines:
            async with self._lock:
                key = self.keys.spool(self.spool.generation)
                drained = int(await client.get(key) or 0)
                chunk = self.spool.chunk(drained, DRAIN_CHUNK)
                async with client.pipeline(transaction=True) as pipe:
                    for entry in chunk:
                        xadd(pipe, self.keys, entry, self.maxlen, self.guard)
                    queue_stats(pipe, self.keys, chunk)
                    pipe.set(key, drained + len(chunk), ex=7 * 24 * 3600)
                    await pipe.execute()
                moved += len(chunk)
                if drained + len(chunk) >= self.spool.lines:
                    self.spool.clear()
                    await client.delete(key)
        return moved
