"""Per-feed liveness: when data last arrived, how fast it comes, how much of it was bad.

Written by the intake in the same round trip as the records; read by GET /api/feeds and the
wall's link lights. A dead feed must never look like a calm one, so a feed that never sent
anything reads "never" and one silent for longer than its window reads "silent".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio as aredis

from core.keys import Keys
from core.replies import text

RATE_WINDOW_MIN = 5
MINUTE_TTL_S = 2 * 3600
# How long each feed may stay quiet before it is shown as silent: by how often the source
# sends when all is well (telemetry hourly at worst, office-hours systems not at night,
# registries daily or monthly, alerts and citizens' requests only when there is something).
HOUR = 3600
SILENCE_S: dict[str, int] = {
    # A town's 数字城管 is busy by day, but the 监督员 patrol in day shifts: at night an hour
    # or two may pass without a report.
    "urban": 3 * HOUR,
    "environment": 3 * HOUR,
    "water": 3 * HOUR,
    "governance": 16 * HOUR,
    "safety": 3 * 24 * HOUR,
    "inspection": 3 * 24 * HOUR,  # checks on working days only
    "service_hall": 16 * HOUR,
    "tourism": 16 * HOUR,
    "labour": 2 * 24 * HOUR,
    "enterprise": 2 * 24 * HOUR,
    "party": 7 * 24 * HOUR,
    "economy": 35 * 24 * HOUR,
    "open311": 7 * 24 * HOUR,
    "cap": 90 * 24 * HOUR,
}
DEFAULT_SILENCE_S = 30 * 60
# The simulator marks each body it sends (ingest/sim/runner.py); while one came within the
# window, the screens say 演示数据: made-up data must never pass for the town's own.
SIMULATED_HEADER = "X-Towncc-Simulated"
SIMULATED_WINDOW_S = 10 * 60
SIMULATED_TTL_S = 24 * HOUR

Pipeline = redis.client.Pipeline | aredis.client.Pipeline


def record(
    pipe: Pipeline,
    keys: Keys,
    feed: str,
    accepted: int,
    dead: int,
    reason: str | None,
    now: datetime,
) -> None:
    """Queue the stats update of one payload on a pipeline."""
    stats = keys.feed_stats(feed)
    minute = int(now.timestamp() // 60)
    if accepted:
        pipe.hset(stats, mapping={"last_at": now.isoformat()})
        pipe.hincrby(stats, "records", accepted)
        pipe.incrby(keys.feed_minute(feed, minute), accepted)
        pipe.expire(keys.feed_minute(feed, minute), MINUTE_TTL_S)
    if dead:
        pipe.hincrby(stats, "dead_letters", dead)
        pipe.hset(stats, mapping={"last_error": reason or "", "last_error_at": now.isoformat()})


async def mark_simulated(client: aredis.Redis, keys: Keys, now: datetime) -> None:
    """A body the simulator sent was taken: its time, for `simulated`."""
    await client.set(keys.simulated_at, now.isoformat(), ex=SIMULATED_TTL_S)


def simulated(value: Any, now: datetime) -> bool:
    """Whether the simulator's last body (the `simulated-at` value) came within the window."""
    if value is None:
        return False
    try:
        at = datetime.fromisoformat(text(value))
    except ValueError:
        return False
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (now - at).total_seconds() <= SIMULATED_WINDOW_S


def is_simulated(r: redis.Redis, keys: Keys, now: datetime | None = None) -> bool:
    return simulated(r.get(keys.simulated_at), now or datetime.now(UTC))


async def ais_simulated(ar: aredis.Redis, keys: Keys, now: datetime | None = None) -> bool:
    """`is_simulated` for the event loop."""
    return simulated(await ar.get(keys.simulated_at), now or datetime.now(UTC))


def status(last_at: datetime | None, feed: str, now: datetime) -> str:
    if last_at is None:
        return "never"
    return (
        "silent"
        if (now - last_at).total_seconds() > SILENCE_S.get(feed, DEFAULT_SILENCE_S)
        else "live"
    )


def feeds_status(
    r: redis.Redis, keys: Keys, feeds: Iterable[str], now: datetime | None = None
) -> list[dict[str, Any]]:
    """One row per feed: last_at, age_s, per-minute rate over the last minutes, counts, status."""
    now = now or datetime.now(UTC)
    names = list(feeds)
    pipe = r.pipeline(transaction=False)
    _queue_reads(pipe, keys, names, now)
    return _rows(names, pipe.execute(), now)


async def afeeds_status(
    ar: aredis.Redis, keys: Keys, feeds: Iterable[str], now: datetime | None = None
) -> list[dict[str, Any]]:
    """`feeds_status` for the event loop (the wall's push must not block it on Redis)."""
    now = now or datetime.now(UTC)
    names = list(feeds)
    pipe = ar.pipeline(transaction=False)
    _queue_reads(pipe, keys, names, now)
    return _rows(names, await pipe.execute(), now)


def _queue_reads(pipe: Pipeline, keys: Keys, names: list[str], now: datetime) -> None:
    minute = int(now.timestamp() // 60)
    for feed in names:
        pipe.hgetall(keys.feed_stats(feed))
        pipe.mget([keys.feed_minute(feed, minute - k) for k in range(RATE_WINDOW_MIN)])


def _rows(names: list[str], replies: list[Any], now: datetime) -> list[dict[str, Any]]:
    return [_row(feed, replies[2 * i], replies[2 * i + 1], now) for i, feed in enumerate(names)]


def _row(feed: str, stats: dict[Any, Any], minutes: list[Any], now: datetime) -> dict[str, Any]:
    fields = {text(k): text(v) for k, v in stats.items()}
    last_at = datetime.fromisoformat(fields["last_at"]) if "last_at" in fields else None
    return {
        "feed": feed,
        "status": status(last_at, feed, now),
        "last_at": fields.get("last_at"),
        "age_s": round((now - last_at).total_seconds(), 1) if last_at else None,
        "rate_per_min": round(sum(int(m or 0) for m in minutes) / RATE_WINDOW_MIN, 2),
        "records": int(fields.get("records", 0)),
        "dead_letters": int(fields.get("dead_letters", 0)),
        "last_error": fields.get("last_error") or None,
    }
