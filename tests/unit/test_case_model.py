from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from cases.model import Case, Place, Siting, apply
from cases.projections import count_deltas
from core.event import Event

T0 = datetime(2026, 11, 28, 1, 12, tzinfo=UTC)
PLACE_A = Siting(Place("XXK-01-01", "一网格", "XXK-01", "甲村"), 120.4, 31.78)
PLACE_B = Siting(Place("XXK-02-01", "二网格", "XXK-02", "乙村"), 120.41, 31.79)
OUTSIDE = Siting(None, 121.5, 31.2, ("outside_town",))


def event(status: str = "new", category: str = "parking", n: int = 0, **kw: object) -> Event:
    values: dict[str, object] = {
        "id": f"urban:A1:{status}{n}", "feed": "urban", "kind": "report", "source_id": "A1",
        "category": category, "title": "机动车乱停放", "description": "d",
        "occurred_at": T0, "received_at": T0 + timedelta(minutes=n), "lon": 120.4, "lat": 31.78,
        "status": status, "source_status": status, "raw": "{}",
    }  # fmt: skip
    return Event.from_json(orjson.dumps({**values, **kw}))


def test_a_parking_report_opens_a_case_with_a_15_minute_clock() -> None:
    result = apply(None, event(), PLACE_A, "1-0")
    assert result is not None
    case, change = result
    assert change == "created"
    assert (case.status, case.stage, case.grid, case.village) == (
        "open",
        "reported",
        "XXK-01-01",
        "XXK-01",
    )
    assert case.response_due == T0 + timedelta(minutes=15)
    assert case.responded_at is None


def test_categories_without_a_clock_have_no_due_time() -> None:
    result = apply(None, event(category="exposed_garbage"), PLACE_A, "1-0")
    assert result is not None and result[0].response_due is None


def test_the_same_event_again_changes_nothing() -> None:
    created = apply(None, event(), PLACE_A, "1-0")
    assert created is not None
    assert apply(created[0], event(), PLACE_A, "2-0") is None
    assert apply(created[0], event(n=1), PLACE_A, "1-0") is None  # an entry already applied


def test_acknowledgement_then_closing() -> None:
    created = apply(None, event(), PLACE_A, "1-0")
    assert created is not None
    acked = apply(created[0], event("acknowledged", n=5), PLACE_A, "2-0")
    assert acked is not None
    assert acked[0].responded_at == T0 + timedelta(minutes=5)
    assert (acked[0].stage, acked[0].version, acked[1]) == ("registered", 2, "updated")
    closed = apply(acked[0], event("closed", n=9), PLACE_A, "3-0")
    assert closed is not None
    assert (closed[0].status, closed[1]) == ("closed", "closed")
    assert closed[0].responded_at == acked[0].responded_at


def test_a_point_outside_the_town_still_makes_a_flagged_case() -> None:
    result = apply(None, event(), OUTSIDE, "1-0")
    assert result is not None
    case = result[0]
    assert case.outside_town and "outside_town" in case.flags and case.grid is None


def test_json_round_trip() -> None:
    result = apply(None, event(), PLACE_A, "1-0")
    assert result is not None
    assert Case.from_json(result[0].to_json()) == result[0]


def test_count_deltas_follow_opening_moving_and_closing() -> None:
    a = apply(None, event(), PLACE_A, "1-0")
    assert a is not None
    moved = apply(a[0], event(n=1, id="urban:A1:moved"), PLACE_B, "2-0")
    assert moved is not None
    closed = apply(moved[0], event("closed", n=2), PLACE_B, "3-0")
    assert closed is not None
    assert count_deltas({"urban:A1": None}, {"urban:A1": a[0]})["grid"] == {"XXK-01-01": 1}
    deltas = count_deltas({"urban:A1": a[0]}, {"urban:A1": moved[0]})
    assert deltas["grid"] == {"XXK-01-01": -1, "XXK-02-01": 1}
    assert count_deltas({"urban:A1": moved[0]}, {"urban:A1": closed[0]})["village"] == {
        "XXK-02": -1
    }
