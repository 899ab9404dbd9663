"""The clock at the ends of time: a report dated 9999-12-31 or 0001-01-01 gets a deadline or a
ClockRangeError (a ValueError naming the time), never an OverflowError that stops the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cases.clock import (
    Clock,
    ClockRangeError,
    add_working_time,
    clocks,
    first_response_due,
    handling_deadline,
    working_time_between,
)
from cases.commands import admit
from cases.model import Place, Siting, apply
from core.event import Event
from core.times import parse_source_time

BJ = ZoneInfo("Asia/Shanghai")
ZONES: list[tzinfo] = [UTC, BJ, timezone(timedelta(hours=8)), timezone(timedelta(hours=-12))]
LATEST = datetime(9999, 12, 31, 23, 59, 59)  # noqa: DTZ001 - zones attached below
EARLIEST = datetime(1, 1, 1)  # noqa: DTZ001
PLACE = Siting(Place("XXK-01-01", "一网格", "XXK-01", "甲村"), 120.4, 31.78)

any_time = st.datetimes(min_value=EARLIEST, max_value=LATEST, timezones=st.sampled_from(ZONES))
# Two times near the same end: counting working time across thousands of years is not the point.
near_first = st.datetimes(EARLIEST, EARLIEST + timedelta(days=20), timezones=st.sampled_from(ZONES))
near_last = st.datetimes(LATEST - timedelta(days=20), LATEST, timezones=st.sampled_from(ZONES))
edge_pair = st.one_of(st.tuples(near_first, near_first), st.tuples(near_last, near_last))


def counts_or_refuses(count: Callable[[], object]) -> None:
    """Run ``count()``: a result or a ClockRangeError; an OverflowError fails the test."""
    try:
        count()
    except ClockRangeError as exc:
        refused = str(exc)
    else:
        return
    assert "too near the ends" in refused


def test_the_report_of_issue_11_gets_a_domain_error_not_an_overflow() -> None:
    reported = parse_source_time("9999-12-31 23:59:59")  # as the urban feed reads sbsj
    with pytest.raises(ClockRangeError, match="9999-12-31T15:59:59"):
        handling_deadline("parking", reported)
    with pytest.raises(ClockRangeError):
        first_response_due("parking", datetime.max.replace(tzinfo=UTC))
    with pytest.raises(ClockRangeError):
        add_working_time(datetime.min.replace(tzinfo=timezone(timedelta(hours=8))), timedelta(1))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(clocks())), any_time)
@example("parking", LATEST.replace(tzinfo=UTC))
@example("manhole_cover", LATEST.replace(tzinfo=UTC))
@example("construction_noise", EARLIEST.replace(tzinfo=UTC))
@example("parking", EARLIEST.replace(tzinfo=timezone(timedelta(hours=8))))
def test_any_time_of_any_category_gets_a_deadline_or_a_clock_range_error(
    category: str, reported: datetime
) -> None:
    counts_or_refuses(lambda: handling_deadline(category, reported))
    counts_or_refuses(lambda: first_response_due(category, reported))


@settings(max_examples=200, deadline=None)
@given(edge_pair, st.sampled_from(["calendar", "working_days", "working_hours"]))
def test_times_between_and_added_at_the_ends_never_overflow(
    pair: tuple[datetime, datetime], kind: str
) -> None:
    a, b = pair
    spec = Clock(kind, timedelta(days=2))  # type: ignore[arg-type]
    counts_or_refuses(lambda: working_time_between(a, b, workday=lambda d: d.weekday() < 5))
    counts_or_refuses(lambda: spec.add(a, timedelta(days=2), workday=lambda d: d.weekday() < 5))
    if kind == "calendar":
        counts_or_refuses(lambda: spec.between(a, b))


def report(at: datetime) -> Event:
    values = {
        "id": "urban:A1:new", "feed": "urban", "kind": "report", "source_id": "A1",
        "category": "parking", "title": "机动车乱停放", "description": "d", "occurred_at": at,
        "received_at": datetime(2026, 12, 6, tzinfo=UTC), "lon": 120.4, "lat": 31.78,
        "status": "new", "source_status": "new", "raw": "{}",
    }  # fmt: skip
    return Event.from_json(orjson.dumps(values))


def test_the_engine_s_own_steps_refuse_a_time_at_the_end_with_a_domain_error() -> None:
    # The first-response clock at the very end; the handling clock a few hours before it.
    with pytest.raises(ClockRangeError):
        apply(None, report(datetime.max.replace(tzinfo=UTC)), PLACE, "1-0")
    created = apply(None, report(datetime(9999, 12, 31, 15, 0, tzinfo=UTC)), PLACE, "1-0")
    assert created is not None
    with pytest.raises(ClockRangeError):
        admit(created[0], {"XXK-01": "village"})
