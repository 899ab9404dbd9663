"""A new case is routed by 权责清单 as the engine creates it: dispatched to one team with its
handling deadline in working time, or left in the duty officer's queue."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest
import redis

from cases import store
from cases.clock import SUPPORTED_YEARS
from cases.engine import Engine
from cases.routing import DUTY_QUEUE
from core.event import Event
from core.keys import Keys
from ingest.sink import RedisSink
from tests.support.pipeline import drain, push
from tests.support.urban import urban_record

pytestmark = pytest.mark.redis
BJ = ZoneInfo("Asia/Shanghai")


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return datetime(year, month, day, hour, minute, tzinfo=BJ).astimezone(UTC).isoformat()


def report(n: int, category: str, severity: int = 1, lon: float = 120.397) -> Event:
    """A report built directly, for categories and severities the urban feed does not send."""
    at = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    return Event(
        id=f"governance:G-{n}:1", feed="governance", kind="report", source_id=f"G-{n}",
        category=category, title="测试事件", description="", occurred_at=at, received_at=at,
        lon=lon, lat=31.7835, severity=severity, raw="{}",
    )  # fmt: skip


def test_an_unambiguous_case_is_created_dispatched_with_its_deadline(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [urban_record(1, sbsj="2026-11-27 09:00:00")])  # a Friday, 璜塘社区
    drain(engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    assert (case["stage"], case["department"], case["queue"]) == (
        "dispatched",
        "enforce-central",
        None,
    )
    assert case["handling_due"] == bj(2026, 11, 27, 11, 0)  # 乱停乱放: 2 working hours
    assert case["version"] == 1, "created dispatched, in one change"
    [created] = store.case_history(r, keys, "urban:T-000001")
    assert created["type"] == "created" and "enforce-central" in created["reason"]
    lifecycle = orjson.loads(created["lifecycle"])
    assert [(e["type"], e["actor"]) for e in lifecycle] == [
        ("Registered", "engine"),
        ("Dispatched", "engine"),
    ]
    assert r.zscore(keys.handling_due, "urban:T-000001") is not None


def test_an_ambiguous_or_unknown_route_lands_in_the_duty_officer_s_queue(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    RedisSink(keys, 1000).write(r, [report(1, "safety_risk")])  # 安监办 or 综治中心?
    push(r, keys, [urban_record(2, xlbm="9999", xlmc="没有这个小类")])  # unmapped: other
    drain(engine)
    ambiguous = store.get_case(r, keys, "governance:G-1")
    unknown = store.get_case(r, keys, "urban:T-000002")
    assert ambiguous is not None and unknown is not None
    for case in (ambiguous, unknown):
        assert (case["stage"], case["department"], case["queue"]) == ("reported", None, DUTY_QUEUE)
        assert case["handling_due"] is not None, "the town's clock runs in the queue too"
    [created] = store.case_history(r, keys, "governance:G-1")
    assert "ambiguous" in created["reason"] and "duty officer" in created["reason"]


def test_a_tiaoxiu_sunday_counts_in_the_handling_deadline(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    # Saturday 27 Sept 2025, 16:00: Sunday 28 Sept is a 国庆 调休 working day, so the two
    # working hours end on Sunday morning; the Saturday before is a plain weekend.
    push(r, keys, [urban_record(1, sbsj="2025-09-27 16:00:00")])
    push(r, keys, [urban_record(2, sbsj="2025-09-20 16:00:00")])
    drain(engine)
    tiaoxiu = store.get_case(r, keys, "urban:T-000001")
    plain = store.get_case(r, keys, "urban:T-000002")
    assert tiaoxiu is not None and plain is not None
    assert tiaoxiu["handling_due"] == bj(2025, 9, 28, 10, 30)
    assert plain["handling_due"] == bj(2025, 9, 22, 10, 30)
    assert "calendar_fallback" not in tiaoxiu["flags"]


def test_a_deadline_past_the_holiday_calendar_falls_back_to_weekdays_and_is_flagged(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    last = SUPPORTED_YEARS[1]
    received = datetime(last, 12, 31, 9, 5, tzinfo=UTC)  # the record is not from the future
    push(r, keys, [urban_record(1, sbsj=f"{last}-12-31 17:00:00")], received)
    push(r, keys, [urban_record(2)])  # the engine goes on
    drain(engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None and case["stage"] == "dispatched"
    # Half an hour on the 31st; the next weekday (a guess: flagged for a person) gives the rest.
    first_weekday = next(d for d in range(1, 8) if datetime(last + 1, 1, d).weekday() < 5)  # noqa: DTZ001
    assert case["handling_due"] == bj(last + 1, 1, first_weekday, 10, 0)
    assert "calendar_fallback" in case["flags"]
    assert store.get_case(r, keys, "urban:T-000002") is not None
    push(r, keys, [urban_record(1, sbsj=f"{last}-12-31 17:00:00", wtms="更新")])
    drain(engine)
    updated = store.get_case(r, keys, "urban:T-000001")
    assert updated is not None and "calendar_fallback" in updated["flags"], "kept on update"


def test_a_source_acknowledgement_never_moves_a_dispatched_case_back(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [urban_record(1)])
    drain(engine)
    push(r, keys, [urban_record(1, zt="已受理")])
    drain(engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    assert (case["stage"], case["department"]) == ("dispatched", "enforce-central")
    assert case["responded_at"] is not None
