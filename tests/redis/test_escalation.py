"""The 15-minute first response fires on time with no event arriving: an unanswered
乱停乱放 case is escalated from its grid to its village, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
import redis

from cases import store
from cases.engine import Engine
from cases.places import Geography
from tests.support.pipeline import drain, push
from tests.support.urban import urban_record
from towncc.keys import Keys

pytestmark = pytest.mark.redis
REPORTED = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 Beijing


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(REPORTED)


@pytest.fixture
def timed_engine(r: redis.Redis, keys: Keys, geography: Geography, clock: Clock) -> Engine:
    engine = Engine(r, keys, geography, batch=200, clock=clock)
    engine.ensure_group()
    return engine


def record(n: int, **fields: str) -> dict[str, object]:
    return urban_record(n, sbsj="2026-11-28 09:00:00", **fields)


def test_an_unanswered_parking_case_goes_to_its_village_after_15_minutes(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    push(r, keys, [record(1), record(2), record(3, xlbm="0101", xlmc="暴露垃圾")])
    drain(timed_engine)
    push(r, keys, [record(2, zt="已受理")])  # answered in time
    clock.now = REPORTED + timedelta(minutes=14, seconds=59)
    drain(timed_engine)
    assert timed_engine.sweep() == 0
    clock.now = REPORTED + timedelta(minutes=15, seconds=1)
    assert timed_engine.sweep() == 1
    cases = {c["source_id"]: c for c in store.open_cases(r, keys)}
    assert cases["T-000001"]["level"] == "village"
    assert cases["T-000002"]["level"] == "grid", "answered in time"
    assert cases["T-000003"]["level"] == "grid", "暴露垃圾 has no 15-minute clock"
    [escalated] = [
        h for h in store.case_history(r, keys, "urban:T-000001") if h["type"] == "escalated"
    ]
    assert (escalated["actor"], "village" in escalated["reason"]) == ("engine", True)
    clock.now += timedelta(hours=1)
    assert timed_engine.sweep() == 0, "escalated once"
    assert r.zcard(keys.response_due) == 0


def test_an_escalated_case_keeps_its_level_through_later_updates(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    push(r, keys, [record(1)])
    drain(timed_engine)
    clock.now = REPORTED + timedelta(minutes=20)
    timed_engine.sweep()
    push(r, keys, [record(1, zt="已受理")])
    drain(timed_engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    assert (case["level"], case["overdue"]) == ("village", False)
    assert orjson.loads(r.get(keys.case("urban:T-000001")) or "{}")["responded_at"]
