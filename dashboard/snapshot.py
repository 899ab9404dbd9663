"""What the wall reads from the projections at page load (sync) and on a resync (async)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import redis
import redis.asyncio as aredis

from cases.alerts import is_live
from cases.counts import today_start_ms
from cases.store import grid_open_counts, live_alerts, open_cases
from cases.view import with_view
from core.keys import Keys
from core.replies import text
from dashboard.modules.data import aread_module_data as aread_module_data  # moved there
from dashboard.modules.data import read_module_data as read_module_data  # moved there
from dashboard.push import closed_stub

NO_ENTRY = "0-0"  # XREAD from here reads a stream from its start


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Open cases newest first, open counts per grid, the KPIs, and the stream position."""

    cursor: str = NO_ENTRY
    cases: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    open_total: int = 0
    today_total: int = 0
    ok: bool = True  # False: Redis did not answer; the page renders empty and says so


def stream_cursor(r: redis.Redis, keys: Keys) -> str:
    """The id of the last entry of `case-events` (what a page has seen at load)."""
    last = r.xrevrange(keys.case_events, count=1)
    return text(last[0][0]) if last else NO_ENTRY


def read_snapshot(r: redis.Redis, keys: Keys, limit: int, now: datetime | None = None) -> Snapshot:
    """The cursor first, then the state: entries after the cursor replay onto the state."""
    now = now or datetime.now(UTC)
    try:
        cursor = stream_cursor(r, keys)
        return Snapshot(
            cursor=cursor,
            cases=open_cases(r, keys, limit),
            counts=grid_open_counts(r, keys),
            open_total=int(r.zcard(keys.open_cases)),
            today_total=int(r.zcount(keys.all_cases, today_start_ms(now), "+inf")),
        )
    except redis.RedisError:
        return Snapshot(ok=False)


def decorate(raw: list[Any], ids: list[str], now: datetime) -> list[dict[str, Any]]:
    """Cases from MGET values with their view at `now`; a missing one reads as closed."""
    found: list[dict[str, Any]] = []
    for case_id, value in zip(ids, raw, strict=True):
        if value is None:
            found.append(closed_stub(case_id))
            continue
        found.append(with_view(orjson.loads(value), now))
    return found


async def read_changes(
    ar: aredis.Redis, keys: Keys, ids: list[str], now: datetime
) -> tuple[list[dict[str, Any]], dict[str, int], int, int]:
    """Changed cases, open counts per grid, open total and today's total: one round trip."""
    pipe = ar.pipeline(transaction=False)
    pipe.mget([keys.case(i) for i in ids])
    pipe.hgetall(keys.grid_open)
    pipe.zcard(keys.open_cases)
    pipe.zcount(keys.all_cases, today_start_ms(now), "+inf")
    raw, counts, open_total, today_total = await pipe.execute()
    grid = {text(k): int(v) for k, v in counts.items() if int(v)}
    return decorate(raw, ids, now), grid, int(open_total), int(today_total)


async def aread_snapshot(ar: aredis.Redis, keys: Keys, limit: int, now: datetime) -> Snapshot:
    """`read_snapshot` for the push loop (a reconnected page whose state is unknown)."""
    last = await ar.xrevrange(keys.case_events, count=1)
    cursor = text(last[0][0]) if last else NO_ENTRY
    ids = [text(v) for v in await ar.zrevrange(keys.open_cases, 0, limit - 1)]
    cases, counts, open_total, today_total = await read_changes(ar, keys, ids, now)
    open_now = [c for c in cases if c.get("status") == "open"]
    return Snapshot(cursor, open_now, counts, open_total, today_total)


def read_alerts(r: redis.Redis, keys: Keys, now: datetime | None = None) -> list[dict[str, Any]]:
    """The CAP alerts in force at page load, newest first; none when Redis does not answer."""
    try:
        return live_alerts(r, keys, now)
    except redis.RedisError:
        return []


async def aread_alerts(ar: aredis.Redis, keys: Keys, now: datetime) -> list[dict[str, Any]]:
    """`cases.store.live_alerts` for the push loop (the same rule: `cases.alerts.is_live`)."""
    found = [orjson.loads(v) for v in await ar.hvals(keys.latest("alert"))]
    live = [a for a in found if is_live(a, now)]
    return sorted(live, key=lambda a: a["occurred_at"], reverse=True)
