from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.categories import categories
from cases.clock import (
    SUPPORTED_YEARS,
    CalendarRangeError,
    Clock,
    WorkingHours,
    add_working_time,
    clock,
    clocks,
    first_response_due,
    handling_deadline,
    handling_due,
    is_working_day,
    workday_or_weekday,
    working_time_between,
)
from cases.view import case_view

BJ = ZoneInfo("Asia/Shanghai")


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as the UTC instant the clock functions take."""
    return datetime(year, month, day, hour, minute, tzinfo=BJ).astimezone(UTC)


class ManualClock:
    """The engine's 'now', moved by hand: no sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


# --- the calendar -------------------------------------------------------------------------


def test_the_package_knows_the_2025_and_2026_tiaoxiu_days() -> None:
    # 国庆 2025: Sunday 28 Sept and Saturday 11 Oct are worked; 春节 2026: Saturdays 14 and 28 Feb.
    for day in (date(2025, 9, 28), date(2025, 10, 11), date(2026, 2, 14), date(2026, 2, 28)):
        assert day.weekday() >= 5
        assert is_working_day(day)
        assert chinese_calendar.get_holiday_detail(day)[0] is False
    assert not is_working_day(date(2025, 10, 1))  # Wednesday, National Day
    assert not is_working_day(date(2026, 2, 16))  # Monday, Spring Festival


def test_a_tiaoxiu_sunday_counts_in_a_working_hours_deadline() -> None:
    # Saturday 27 Sept 2025, 16:00: the next working time is the 调休 Sunday, not Monday.
    assert handling_due("parking", bj(2025, 9, 27, 16, 0)) == bj(2025, 9, 28, 10, 30)
    # The ordinary weekend before it waits for Monday.
    assert handling_due("parking", bj(2025, 9, 20, 16, 0)) == bj(2025, 9, 22, 10, 30)


def test_a_tiaoxiu_saturday_counts_in_a_working_days_deadline() -> None:
    # Friday 13 Feb 2026 15:00 + 1 working day: Saturday 14 Feb is a 春节 调休 working day.
    assert clock("construction_noise").kind == "working_days"
    assert handling_due("construction_noise", bj(2026, 2, 13, 15)) == bj(2026, 2, 14, 15)
    # A plain Friday spans the weekend to Monday.
    assert handling_due("construction_noise", bj(2026, 3, 6, 15)) == bj(2026, 3, 9, 15)


def test_holiday_weekdays_are_skipped() -> None:
    # Tuesday 30 Sept 2025 17:00: half an hour that day, then 1–8 Oct are holidays.
    assert handling_due("parking", bj(2025, 9, 30, 17, 0)) == bj(2025, 10, 9, 10, 0)
    assert handling_due("construction_noise", bj(2025, 9, 30, 10)) == bj(2025, 10, 9, 10)
    # Reported during the holiday: the clock starts on the first working morning.
    assert handling_due("exposed_garbage", bj(2025, 10, 3, 9)) == bj(2025, 10, 9, 14, 0)


def test_working_hours_skip_lunch_and_nights() -> None:
    assert handling_due("parking", bj(2025, 6, 9, 11, 0)) == bj(2025, 6, 9, 14, 30)
    assert handling_due("parking", bj(2025, 6, 9, 17, 0)) == bj(2025, 6, 10, 10, 0)
    assert handling_due("parking", bj(2025, 6, 9, 22, 0)) == bj(2025, 6, 10, 10, 30)
    assert handling_due("parking", bj(2025, 6, 9, 12, 15)) == bj(2025, 6, 9, 15, 30)


def test_a_deadline_met_at_noon_stays_at_noon() -> None:
    due = add_working_time(bj(2025, 6, 9, 10, 0), timedelta(hours=2))
    assert due == bj(2025, 6, 9, 12, 0)


def test_the_15_minute_first_response_is_wall_clock_time() -> None:
    reported = bj(2025, 10, 1, 23, 50)  # a holiday night
    due = first_response_due("parking", reported)
    assert due == bj(2025, 10, 2, 0, 5)
    assert due is not None
    case = {"status": "open", "stage": "reported", "response_due": due.isoformat()}
    now = ManualClock(reported)
    now.advance(minutes=15)
    assert not case_view(case, now.now).overdue
    now.advance(seconds=1)
    assert case_view(case, now.now).overdue
    assert first_response_due("exposed_garbage", reported) is None


def test_danger_categories_run_on_a_calendar_clock() -> None:
    assert handling_due("manhole_cover", bj(2025, 10, 1, 3, 0)) == bj(2025, 10, 1, 4, 0)
    assert handling_due("road_collapse", bj(2025, 10, 4, 23, 30)) == bj(2025, 10, 5, 0, 30)
    # A calendar clock needs no holiday data, so any year works.
    assert handling_due("manhole_cover", datetime(2031, 1, 1, tzinfo=UTC)) is not None


def test_records_have_no_handling_deadline() -> None:
    assert handling_due("economy_indicator", bj(2025, 6, 9, 9)) is None
    record = {"status": "open", "stage": "reported", "response_due": None, "handling_due": None}
    assert not case_view(record, bj(2030, 1, 1)).late


def test_a_date_outside_the_calendar_data_says_which_years_are_supported() -> None:
    first, last = SUPPORTED_YEARS
    with pytest.raises(CalendarRangeError, match=f"supports {first}–{last}"):
        is_working_day(date(last + 1, 1, 5))
    with pytest.raises(CalendarRangeError, match=str(first - 1)):
        add_working_time(datetime(first - 1, 6, 2, tzinfo=UTC), timedelta(hours=1))
    # A deadline that would run past the last supported year refuses rather than guesses.
    with pytest.raises(CalendarRangeError):
        add_working_time(bj(last, 12, 31, 9), timedelta(days=2), hours=None)


def test_utc_in_utc_out_and_naive_refused() -> None:
    due = handling_due("parking", datetime(2025, 6, 9, 3, 0, tzinfo=BJ))
    assert due is not None and due.tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        add_working_time(datetime(2025, 6, 9, 9, 0), timedelta(hours=1))  # noqa: DTZ001


def test_negative_durations_and_bad_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_time(bj(2025, 6, 9, 9), timedelta(hours=-1))
    with pytest.raises(ValueError, match="sorted"):
        WorkingHours(((time(13), time(17)), (time(8), time(12))))
    with pytest.raises(ValueError, match="at least one"):
        WorkingHours(())


def test_working_time_between_counts_only_office_hours() -> None:
    friday, monday = bj(2025, 6, 13, 16, 30), bj(2025, 6, 16, 9, 30)
    assert working_time_between(friday, monday) == timedelta(hours=2)
    assert working_time_between(monday, friday) == timedelta(hours=-2)
    assert working_time_between(friday, monday, hours=None) == timedelta(hours=7, minutes=30) + (
        timedelta(hours=9, minutes=30)
    )
    assert Clock("calendar", None).between(friday, monday) == monday - friday


# --- the data file ------------------------------------------------------------------------


def test_every_category_has_a_clock_and_first_responses_agree() -> None:
    assert set(clocks()) == set(categories())
    for code, cat in categories().items():
        minutes = clocks()[code].first_response
        assert minutes == (
            timedelta(minutes=cat.response_minutes) if cat.response_minutes else None
        )
    assert clock("no-such-code") == clocks()["other"]


def test_the_brief_s_handling_deadlines() -> None:
    expected = {
        "parking": ("working_hours", timedelta(hours=2)),
        "street_vending": ("working_hours", timedelta(hours=2)),
        "exposed_garbage": ("working_hours", timedelta(hours=4)),
        "manhole_cover": ("calendar", timedelta(hours=1)),
        "road_collapse": ("calendar", timedelta(hours=1)),
        "construction_noise": ("working_days", timedelta(days=1)),
    }
    for code, (kind, handling) in expected.items():
        assert (clocks()[code].kind, clocks()[code].handling) == (kind, handling)


def test_a_clock_file_with_the_wrong_unit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clocks.json"
    path.write_text('{"other": {"kind": "working_days", "handling_hours": 4}}', encoding="utf-8")
    with pytest.raises(ValueError, match="handling_days"):
        clocks(path)


# --- properties ---------------------------------------------------------------------------

# Hypothesis takes naive bounds and attaches the zone itself.
starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2026, 9, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
day_durations = st.integers(0, 20 * 24 * 60).map(lambda m: timedelta(minutes=m))
hour_durations = st.integers(0, 60 * 60).map(lambda m: timedelta(minutes=m))
hour_kinds = st.sampled_from([WorkingHours(), None])


@given(starts, hour_durations, hour_kinds)
def test_a_deadline_is_never_before_its_start(
    start: datetime, duration: timedelta, hours: WorkingHours | None
) -> None:
    due = add_working_time(start, duration, hours=hours)
    assert due >= start
    assert working_time_between(start, due, hours=hours) == duration


@given(starts, starts, hour_durations, hour_kinds)
def test_deadlines_are_monotone_in_the_start(
    a: datetime, b: datetime, duration: timedelta, hours: WorkingHours | None
) -> None:
    early, late = sorted((a, b))
    assert add_working_time(early, duration, hours=hours) <= add_working_time(
        late, duration, hours=hours
    )


@given(starts, hour_durations, hour_durations, hour_kinds)
def test_deadlines_are_monotone_in_the_duration(
    start: datetime, a: timedelta, b: timedelta, hours: WorkingHours | None
) -> None:
    short, long = sorted((a, b))
    assert add_working_time(start, short, hours=hours) <= add_working_time(start, long, hours=hours)


@given(starts, day_durations, day_durations)
def test_adding_a_then_b_is_adding_a_plus_b_in_working_days(
    start: datetime, a: timedelta, b: timedelta
) -> None:
    stepwise = add_working_time(add_working_time(start, a, hours=None), b, hours=None)
    assert stepwise == add_working_time(start, a + b, hours=None)


@given(starts, hour_durations, hour_durations)
def test_adding_a_then_b_is_adding_a_plus_b_in_working_hours(
    start: datetime, a: timedelta, b: timedelta
) -> None:
    stepwise = add_working_time(add_working_time(start, a), b)
    assert stepwise == add_working_time(start, a + b)


def test_the_engine_s_deadline_falls_back_to_weekdays_past_the_calendar_and_says_so() -> None:
    last = SUPPORTED_YEARS[1]
    known = bj(2025, 9, 27, 16, 0)
    assert handling_deadline("parking", known) == (bj(2025, 9, 28, 10, 30), False)
    # The last evening the calendar knows, then a year it does not: counted Monday to Friday.
    start = bj(last, 12, 31, 17, 0)
    due, fallback = handling_deadline("construction_noise", start)
    expected = add_working_time(start, timedelta(days=1), hours=None, workday=workday_or_weekday)
    assert (due, fallback) == (expected, True)
    assert due is not None and due.astimezone(BJ).weekday() < 5
    assert workday_or_weekday(date(2025, 9, 28)), "the calendar still rules where it knows"
    saturday = next(
        date(last + 1, 1, d) for d in range(1, 8) if date(last + 1, 1, d).weekday() == 5
    )
    assert not workday_or_weekday(saturday)
    assert handling_deadline("economy_indicator", start) == (None, False)
