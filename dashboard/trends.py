"""What the wall's trend charts show, read from Redis: reports per Beijing hour (today beside
yesterday, from the `cases:all` index) and records per minute per feed over the last two
hours (the intake's per-minute counters, which expire after two hours).

One pipeline for both; the sync reader is for page loads, the async one for the push loop.
An hour that has not begun is None, never a zero: the chart leaves it empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis
import redis.asyncio as aredis

from core.keys import Keys
from core.times import BEIJING, epoch_ms
from ingest.freshness import MINUTE_TTL_S

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MINUTES = MINUTE_TTL_S // 60  # the intake keeps each minute's counter this long


@dataclass(frozen=True, slots=True)
class TrendData:
    """Today's and yesterday's reports per hour, and each feed's records per whole minute."""

    now: datetime
    today: tuple[int | None, ...] = ()  # 24 hours from Beijing midnight; None: not begun
    yesterday: tuple[int, ...] = ()
    first_minute: int = 0  # epoch minutes of `feeds`' first value
    feeds: dict[str, tuple[int, ...]] = field(default_factory=dict)  # oldest minute first

    @property
    def ok(self) -> bool:
        return bool(self.today)

    def minute_times(self) -> list[datetime]:
        """The Beijing time of each minute of `feeds`."""
        count = len(next(iter(self.feeds.values()), ()))
        start = datetime.fromtimestamp(self.first_minute * 60, BEIJING)
        return [start + timedelta(minutes=k) for k in range(count)]


def _midnight_ms(now: datetime) -> int:
    local = now.astimezone(BEIJING)
    return epoch_ms(datetime(local.year, local.month, local.day, tzinfo=BEIJING))


def _minutes(now: datetime) -> list[int]:
    """The whole minutes before `now`'s (which is still filling), oldest first."""
    current = int(now.timestamp() // 60)
    return list(range(current - MINUTES, current))


def _queue(pipe: Any, keys: Keys, feeds: Sequence[str], now: datetime) -> None:
    midnight = _midnight_ms(now)
    for start in [midnight - DAY_MS + h * HOUR_MS for h in range(24)] + [
        midnight + h * HOUR_MS for h in range(24)
    ]:
        pipe.zcount(keys.all_cases, start, f"({start + HOUR_MS}")
    minutes = _minutes(now)
    for feed in feeds:
        pipe.mget([keys.feed_minute(feed, m) for m in minutes])


def _data(replies: list[Any], feeds: Sequence[str], now: datetime) -> TrendData:
    hours = [int(n) for n in replies[:48]]
    midnight = _midnight_ms(now)
    begun = (epoch_ms(now) - midnight) // HOUR_MS + 1
    today = tuple(n if h < begun else None for h, n in enumerate(hours[24:]))
    per_feed = {
        feed: tuple(int(v or 0) for v in values)
        for feed, values in zip(feeds, replies[48:], strict=True)
    }
    return TrendData(now, today, tuple(hours[:24]), _minutes(now)[0], per_feed)


def read_trends(r: redis.Redis, keys: Keys, feeds: Sequence[str], now: datetime) -> TrendData:
    """The trends at page load; empty (charts say "no data") when Redis does not answer."""
    try:
        pipe = r.pipeline(transaction=False)
        _queue(pipe, keys, feeds, now)
        return _data(pipe.execute(), feeds, now)
    except redis.RedisError:
        return TrendData(now)


async def aread_trends(
    ar: aredis.Redis, keys: Keys, feeds: Sequence[str], now: datetime
) -> TrendData:
    """`read_trends` for the push loop (a Redis error propagates: the loop beats not-ok)."""
    pipe = ar.pipeline(transaction=False)
    _queue(pipe, keys, feeds, now)
    return _data(await pipe.execute(), feeds, now)
