"""Telemetry through the real intake and engine: a river over its warning level opens an
alarm case, a rise past the guaranteed level raises it in place, and the fall below the
hysteresis band closes it — one case, never flapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis

from cases import store
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from layers.sites import sites
from tests.support.clock import Clock
from tests.support.pipeline import drain

pytestmark = pytest.mark.redis
GATE: dict[str, Any] = {"stcd": "63201234", "stnm": "璜塘河闸", "wrz": 3.80, "grz": 4.30}


def send(r: redis.Redis, keys: Keys, levels: list[tuple[str, float]]) -> None:
    records = [{**GATE, "tm": f"2026-11-28 {hhmm}", "z": z} for hhmm, z in levels]
    body = orjson.dumps(records)
    RedisSink(keys, 1_000_000).write(r, FEEDS["water"].parse(body, datetime.now(UTC)))


def alarm_cases(r: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    return [c for c in store.get_cases(r, keys, store.all_case_ids(r, keys)) if c]


def test_a_river_alarm_opens_rises_and_closes_as_one_case(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    send(r, keys, [("09:00", 3.70), ("09:05", 3.82), ("09:10", 3.79), ("09:15", 3.81)])
    drain(engine)
    (case,) = alarm_cases(r, keys)
    assert case["id"] == "alarm:water:63201234:z:20261128T010500Z"
    assert (case["status"], case["category"], case["severity"]) == ("open", "river_gauge", 2)
    assert case["title"] == "璜塘河闸 超警戒水位", "3.79 is inside the band: no flapping"

    send(r, keys, [("09:20", 4.35)])
    drain(engine)
    (case,) = alarm_cases(r, keys)
    assert (case["status"], case["severity"], case["title"]) == ("open", 3, "璜塘河闸 超保证水位")
    assert case["level"] == "village", "a severe alarm is not left to its grid"

    send(r, keys, [("09:25", 3.70)])
    drain(engine)
    (case,) = alarm_cases(r, keys)
    assert case["status"] == "closed" and case["closed_by"] == "feed:alarm"
    state = orjson.loads(r.hget(keys.alarm_state, "water:63201234") or b"{}")
    assert state["alarms"] == []


def test_redelivered_readings_change_nothing(r: redis.Redis, keys: Keys, engine: Engine) -> None:
    levels = [("09:00", 3.70), ("09:05", 3.90)]
    send(r, keys, levels)
    drain(engine)
    before = alarm_cases(r, keys)
    send(r, keys, levels)
    drain(engine)
    assert alarm_cases(r, keys) == before and len(before) == 1


def test_a_silent_gauge_raises_a_no_data_alarm_on_time_and_a_reading_clears_it(
    r: redis.Redis, keys: Keys, geography: Geography
) -> None:
    clock = Clock(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    engine = Engine(r, keys, geography, batch=200, clock=clock)
    engine.ensure_group()
    send(r, keys, [("09:00", 3.50)])  # a river gauge reads every 5 minutes: silent after 15
    drain(engine)
    assert r.zscore(keys.silent_due, "water:63201234") == _ms(2026, 11, 28, 1, 15)

    clock.now = datetime(2026, 11, 28, 1, 15, tzinfo=UTC)
    assert engine.sweep() == 0, "not yet: silent only after the window"
    clock.now = datetime(2026, 11, 28, 1, 15, 1, tzinfo=UTC)
    assert engine.sweep() == 1, "no event arrives: the sweep alone opens it"
    (case,) = alarm_cases(r, keys)
    assert case["id"] == "alarm:water:63201234:no-data:20261128T011500Z"
    assert (case["status"], case["title"]) == ("open", "璜塘河闸 站点无数据")
    # SL 323 sends no position: the case stands where layers/data/sites.json puts the gauge.
    assert [case["lon"], case["lat"]] == list(sites().stations["water:63201234"].lon_lat)
    assert case["reported_at"] == "2026-11-28T01:15:00+00:00"
    assert r.zcard(keys.silent_due) == 0, "raised once"
    clock.now += timedelta(minutes=5)
    assert engine.sweep() == 0
    assert len(alarm_cases(r, keys)) == 1

    send(r, keys, [("10:20", 3.52)])
    drain(engine)
    (case,) = alarm_cases(r, keys)
    assert case["status"] == "closed" and "a reading again" in case["description"]
    assert r.zscore(keys.silent_due, "water:63201234") == _ms(2026, 11, 28, 2, 35)
    journal = [f["op"] for _, f in r.xrange(keys.journal)]
    assert "silence" in journal, "the sweep is journaled: a rebuild replays it"


def _ms(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=UTC).timestamp() * 1000)
