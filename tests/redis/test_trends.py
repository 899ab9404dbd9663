"""The trend charts' numbers read from a real Redis: reports per Beijing hour, today beside
yesterday, and records per minute per feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis
import redis.asyncio as aredis

from core.keys import Keys
from core.times import BEIJING, epoch_ms
from dashboard.trends import MINUTES, aread_trends, read_trends
from tests.support.aio import run_apart

pytestmark = pytest.mark.redis
NOW = datetime(2026, 11, 28, 10, 30, 15, tzinfo=BEIJING)  # 02:30:15 UTC


def bj(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=BEIJING)


def test_reports_fall_in_their_beijing_hour_and_hours_to_come_are_empty(
    r: redis.Redis, keys: Keys
) -> None:
    reported = {
        "a": bj(28, 0, 0, 0),  # today's first second
        "b": bj(27, 23, 59, 59),  # yesterday's last
        "c": bj(28, 10, 29),
        "d": bj(28, 10, 0),
        "e": bj(27, 10, 45),
        "f": bj(26, 23, 0),  # the day before yesterday: in neither
    }
    r.zadd(keys.all_cases, {k: epoch_ms(v) for k, v in reported.items()})
    data = read_trends(r, keys, [], NOW)
    assert data.today[0] == 1 and data.today[10] == 2
    assert sum(n for n in data.today if n) == 3
    assert data.today[11:] == (None,) * 13, "hours that have not begun are not zeros"
    assert data.yesterday[23] == 1 and data.yesterday[10] == 1 and sum(data.yesterday) == 2


def test_records_per_minute_per_feed_oldest_first_without_the_minute_still_filling(
    r: redis.Redis, keys: Keys
) -> None:
    minute = int(NOW.timestamp() // 60)
    r.set(keys.feed_minute("urban", minute - 1), 7)
    r.set(keys.feed_minute("urban", minute - MINUTES), 3)
    r.set(keys.feed_minute("urban", minute), 99)  # the current minute: not shown yet
    r.set(keys.feed_minute("water", minute - 5), 2)
    data = run_apart(_async(r, keys))
    assert data.feeds["urban"][-1] == 7 and data.feeds["urban"][0] == 3
    assert sum(data.feeds["urban"]) == 10 and sum(data.feeds["water"]) == 2
    assert len(data.feeds["urban"]) == MINUTES
    times = data.minute_times()
    assert times[-1] == (NOW - timedelta(minutes=1)).replace(second=0)
    assert times[0].utcoffset() == timedelta(hours=8)


async def _async(r: redis.Redis, keys: Keys) -> object:
    kwargs = r.connection_pool.connection_kwargs
    ar = aredis.Redis(host=kwargs["host"], port=kwargs["port"], password=kwargs["password"],
                      decode_responses=True)  # fmt: skip
    try:
        return await aread_trends(ar, keys, ["urban", "water"], NOW.astimezone(UTC))
    finally:
        await ar.aclose()


def test_redis_down_reads_as_no_trends(keys: Keys) -> None:
    dead = redis.Redis(port=1, socket_connect_timeout=0.2)
    assert not read_trends(dead, keys, ["urban"], NOW).ok
