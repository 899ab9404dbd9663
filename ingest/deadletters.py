"""Dead letters: list them, count them per feed and reason, and replay them after a fix.

A replay re-parses each dead letter's raw payload with its feed's adapter (whose mapping
table may have been corrected since). What now becomes Events goes to `events` and the dead
letter is deleted in the same transaction; what still fails stays, with its new reason. A
dead letter stored truncated (only the head of a large payload is kept) is never replayed:
its head is not the record.

Pages of dead letters are bounded twice: by the number asked for and by their JSON size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
import redis.asyncio as aredis

from core.event import Event
from core.keys import Keys
from core.replies import text
from ingest.adapter import Adapter
from ingest.guard import Guard
from ingest.sink import plan, queue_stats, xadd
from ingest.spool import Entry

# Entries read per round trip: a stored dead letter holds at most guard.ENTRY_MAX_BYTES.
SCAN = 100
# A page's dead letters as JSON, at most: an API answer (with the counts) stays under 1 MB.
PAGE_MAX_BYTES = 800_000
COUNT_ROWS = 200  # the largest counts answered with a page


def page(
    r: redis.Redis,
    keys: Keys,
    *,
    feed: str | None = None,
    limit: int = 50,
    before: str | None = None,
    max_bytes: int = PAGE_MAX_BYTES,
) -> tuple[list[dict[str, str]], str | None]:
    """Up to ``limit`` dead letters older than the entry ``before`` (newest first), no more
    than ``max_bytes`` of JSON (but always one), and the ``before`` of the next page (None:
    no older one)."""
    found: list[dict[str, str]] = []
    size = 0
    if before is not None and set(before) <= {"0", "-"}:
        return found, None  # nothing is older than the first id (and Redis refuses "(0-0")
    last = f"({before}" if before else "+"
    while True:
        batch = _page(r.xrevrange(keys.deadletter, max=last, count=SCAN), "+")
        if not batch:
            return found, None
        for entry, fields in batch:
            if feed not in (None, fields.get("feed")):
                continue
            letter = {"entry": entry, **fields}
            n = len(orjson.dumps(letter)) + 1
            if len(found) == limit or (found and size + n > max_bytes):
                return found, found[-1]["entry"]
            found.append(letter)
            size += n
        last = f"({batch[-1][0]}"


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
    truncated: int = 0


def replay(
    r: redis.Redis,
    keys: Keys,
    feeds: dict[str, Adapter],
    *,
    feed: str | None,
    maxlen: int,
    guard: Guard | None = None,
) -> ReplayReport:
    """Re-parse every dead letter (of one feed, or all) and move those that now pass (the
    sink's guard included: a time still out of range still fails)."""
    report = ReplayReport()
    guard = guard or Guard()
    for letter in recent(r, keys, feed=feed, limit=10**9):
        report.examined += 1
        adapter = feeds.get(letter.get("feed", ""))
        if adapter is None:
            report.unknown_feed += 1
            continue
        if letter.get("truncated") == "1":
            report.truncated += 1  # only the head was kept: replaying it would lose the rest
            continue
        results = list(adapter.parse(letter["raw"].encode(), datetime.now(UTC)))
        events = [x for x in results if isinstance(x, Event)]
        if not results or len(events) < len(results):
            report.still_failing += 1
            continue
        entries, outcome = plan(events, keys, guard)
        if outcome.deadlettered:
            report.still_failing += 1
            continue
        _move(r, keys, entries, letter["entry"], maxlen, guard)
        report.replayed += 1
    return report


def _move(
    r: redis.Redis, keys: Keys, entries: list[Entry], entry: str, maxlen: int, guard: Guard
) -> None:
    pipe = r.pipeline(transaction=True)
    for planned in entries:
        xadd(pipe, keys, planned, maxlen, guard)
    queue_stats(pipe, keys, entries)
    pipe.xdel(keys.deadletter, entry)
    pipe.execute()
