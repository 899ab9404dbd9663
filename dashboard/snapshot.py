"""What the wall reads from the projections: at page load (sync) and in the push (async).

Both read the same keys and decode with the same helpers; every case carries its view
(`cases.view.with_view`) from the moment it is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import redis
import redis.asyncio as aredis
from shapely.geometry.base import BaseGeometry

from cases.alerts import for_town, is_live
from cases.counts import Counts, aread_counts, read_counts
from cases.store import live_alerts
from cases.view import with_view
from core.keys import Keys
from core.replies import text
from dashboard.push import Snapshot, closed_stub

NO_ENTRY = "0-0"  # XREAD from here reads a stream from its start


def decode(raw: list[Any], ids: list[str], now: datetime) -> list[dict[str, Any]]:
    """Cases from MGET values with their view at `now`; a missing one reads as closed."""
    return [
        closed_stub(i) if v is None else with_view(orjson.loads(v), now)
        for i, v in zip(ids, raw, strict=True)
    ]


def _grid(counts: dict[Any, Any]) -> dict[str, int]:
    return {text(k): int(v) for k, v in counts.items() if int(v)}


def read_snapshot(r: redis.Redis, keys: Keys, limit: int, now: datetime) -> Snapshot:
    """The cursor first, then the state: entries after the cursor replay onto the state."""
    try:
        last = r.xrevrange(keys.case_events, count=1)
        ids = [text(v) for v in r.zrevrange(keys.open_cases, 0, limit - 1)]
        pipe = r.pipeline(transaction=False)
        pipe.mget([keys.case(i) for i in ids] or [keys.case("-")])
        pipe.hgetall(keys.grid_open)
        raw, grid = pipe.execute()
        cases = decode(raw[: len(ids)], ids, now)
        cursor = text(last[0][0]) if last else NO_ENTRY
        return Snapshot(cursor, cases, _grid(grid), read_counts(r, keys, now))
    except redis.RedisError:
        return Snapshot(ok=False)


async def read_changes(
    ar: aredis.Redis, keys: Keys, ids: list[str], now: datetime
) -> tuple[list[dict[str, Any]], dict[str, int], Counts]:
    """Changed cases, open counts per grid and the header's figures."""
    pipe = ar.pipeline(transaction=False)
    pipe.mget([keys.case(i) for i in ids] or [keys.case("-")])
    pipe.hgetall(keys.grid_open)
    raw, grid = await pipe.execute()
    return decode(raw[: len(ids)], ids, now), _grid(grid), await aread_counts(ar, keys, now)


async def aread_snapshot(ar: aredis.Redis, keys: Keys, limit: int, now: datetime) -> Snapshot:
    """`read_snapshot` for the push (a reconnected page whose state is unknown)."""
    last = await ar.xrevrange(keys.case_events, count=1)
    ids = [text(v) for v in await ar.zrevrange(keys.open_cases, 0, limit - 1)]
    cases, grid, counts = await read_changes(ar, keys, ids, now)
    cursor = text(last[0][0]) if last else NO_ENTRY
    return Snapshot(cursor, [c for c in cases if c.get("status") == "open"], grid, counts)


def read_alerts(
    r: redis.Redis, keys: Keys, town: BaseGeometry, outside: bool, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The CAP alerts in force at page load that the town's screens show (`for_town`), newest
    first; none when Redis does not answer."""
    try:
        return for_town(live_alerts(r, keys, now), town, outside=outside)
    except redis.RedisError:
        return []


async def aread_alerts(
    ar: aredis.Redis, keys: Keys, town: BaseGeometry, outside: bool, now: datetime
) -> list[dict[str, Any]]:
    """`read_alerts` for the push loop (the same rules: `cases.alerts.is_live`, `for_town`)."""
    found = [orjson.loads(v) for v in await ar.hvals(keys.latest("alert"))]
    live = [a for a in found if is_live(a, now)]
    ordered = sorted(live, key=lambda a: a["occurred_at"], reverse=True)
    return for_town(ordered, town, outside=outside)
