"""Dead letters: list them, count them per feed and reason, and replay them after a fix.

A replay re-parses each dead letter's raw payload with its feed's adapter (whose mapping
table may have been corrected since). What now becomes Events goes to `events` and the dead
letter is deleted in the same transaction; what still fails stays, with its new reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio as aredis

from ingest.adapter import Adapter
from ingest.event import DeadLetter, Event
from ingest.sink import plan, queue_stats
from towncc.keys import Keys
from towncc.replies import text

SCAN = 1000


def recent(
    r: redis.Redis, keys: Keys, *, feed: str | None = None, limit: int = 50
) -> list[dict[str, str]]:
    """The newest dead letters (optionally of one feed), newest first, each with its entry id."""
    found: list[dict[str, str]] = []
    last = "+"
    while len(found) < limit:
        page = _page(r.xrevrange(keys.deadletter, max=last, count=SCAN), last)
        if not page:
            break
        found += [{"entry": i, **f} for i, f in page if feed in (None, f.get("feed"))]
        last = page[-1][0]
    return found[:limit]


async def arecent(
    ar: aredis.Redis, keys: Keys, *, feed: str | None = None, limit: int = 50
) -> list[dict[str, str]]:
    """`recent` for the event loop (the admin page's refresh runs there); reads no more
    entries than it needs when not filtering (raw payloads can be large)."""
    found: list[dict[str, str]] = []
    last = "+"
    count = SCAN if feed else max(2, min(SCAN, limit + 1))
    while len(found) < limit:
        page = _page(await ar.xrevrange(keys.deadletter, max=last, count=count), last)
        if not page:
            break
        found += [{"entry": i, **f} for i, f in page if feed in (None, f.get("feed"))]
        last = page[-1][0]
    return found[:limit]


async def aget(ar: aredis.Redis, keys: Keys, entry: str) -> dict[str, str] | None:
    """One dead letter by its entry id, or None when it is gone (replayed, trimmed)."""
    page = _page(await ar.xrange(keys.deadletter, min=entry, max=entry, count=1), "+")
    return {"entry": page[0][0], **page[0][1]} if page else None


def _page(batch: Any, last: str) -> list[tuple[str, dict[str, str]]]:
    page = [(text(i), {text(k): text(v) for k, v in f.items()}) for i, f in batch]
    return page[1:] if last != "+" else page  # the range is inclusive: skip where we ended


def counts(r: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """Dead letters ever counted per feed and reason class, largest first."""
    return _count_rows(r.hgetall(keys.deadletter_counts))


async def acounts(ar: aredis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """`counts` for the event loop."""
    return _count_rows(await ar.hgetall(keys.deadletter_counts))


def _count_rows(raw: Any) -> list[dict[str, Any]]:
    rows = []
    for field, count in raw.items():
        feed, _, reason = text(field).partition("\t")
        rows.append({"feed": feed, "reason": reason, "count": int(count)})
    return sorted(rows, key=lambda row: (-row["count"], row["feed"], row["reason"]))


@dataclass
class ReplayReport:
    examined: int = 0
    replayed: int = 0
    still_failing: int = 0
    unknown_feed: int = 0


def replay(
    r: redis.Redis, keys: Keys, feeds: dict[str, Adapter], *, feed: str | None, maxlen: int
) -> ReplayReport:
    """Re-parse every dead letter (of one feed, or all) and move those that now pass."""
    report = ReplayReport()
    for letter in recent(r, keys, feed=feed, limit=10**9):
        report.examined += 1
        adapter = feeds.get(letter.get("feed", ""))
        if adapter is None:
            report.unknown_feed += 1
            continue
        results = list(adapter.parse(letter["raw"].encode(), datetime.now(UTC)))
        if not results or any(isinstance(x, DeadLetter) for x in results):
            report.still_failing += 1
            continue
        _move(r, keys, [x for x in results if isinstance(x, Event)], letter["entry"], maxlen)
        report.replayed += 1
    return report


def _move(r: redis.Redis, keys: Keys, events: list[Event], entry: str, maxlen: int) -> None:
    entries, _ = plan(events, keys)
    pipe = r.pipeline(transaction=True)
    for stream, fields in entries:
        pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)
    queue_stats(pipe, keys, entries)
    pipe.xdel(keys.deadletter, entry)
    pipe.execute()
