"""The holiday calendar: the town's file of the State Council's arrangements over chinese-calendar,
checked whole when loaded; and deadlines that span a Spring Festival the package does not know."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from cases.calendar import (
    LIBRARY_YEARS,
    CalendarFileError,
    CalendarRangeError,
    HolidayCalendar,
    calendar_end,
    default_calendar,
    load_calendar,
)
from cases.clock import Clock, handling_deadline, working_time_between
from core.settings import Settings
from towncc.cli import _calendar

BJ = ZoneInfo("Asia/Shanghai")
# The 2027 arrangement of these tests is invented, not the State Council's: the tests must not
# depend on the shipped file. 春节 from Thursday 4 to Friday 12 February; 2027-02-13 is a
# Saturday, 2027-01-31 a Sunday.
HOLIDAYS_2027 = """
[2027]
source = "invented for the test, not the State Council's notice"
holidays = [
  { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
  { name = "春节", from = 2027-02-04, to = 2027-02-12 },
]
"""
TIAOXIU_2027 = "workdays = [2027-01-31, 2027-02-13]\n"


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BJ).astimezone(UTC)


def calendar(tmp_path: Path, text: str, name: str = "holidays.toml") -> HolidayCalendar:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_calendar(path)


# --- deadlines across the Spring Festival of a year the package does not know -------------


def test_a_deadline_across_the_spring_festival_counts_the_tiaoxiu_saturday(tmp_path: Path) -> None:
    cal = calendar(tmp_path, HOLIDAYS_2027 + TIAOXIU_2027)
    now = bj(2027, 2, 3, 17, 0)  # the injected clock: Wednesday, the eve of the holiday
    # 乱停乱放, 2 working hours: 17:00–17:30, then the 调休 Saturday after the festival.
    assert handling_deadline("parking", now, cal) == (bj(2027, 2, 13, 10, 0), False)
    # 施工噪音, 1 working day, from 15:00: the same Saturday at 15:00.
    assert handling_deadline("construction_noise", bj(2027, 2, 3, 15), cal) == (
        bj(2027, 2, 13, 15),
        False,
    )


def test_a_deadline_across_the_spring_festival_without_tiaoxiu_waits_for_monday(
    tmp_path: Path,
) -> None:
    cal = calendar(tmp_path, HOLIDAYS_2027)
    now = bj(2027, 2, 3, 17, 0)
    assert handling_deadline("parking", now, cal) == (bj(2027, 2, 15, 10, 0), False)
    assert handling_deadline("construction_noise", bj(2027, 2, 3, 15), cal) == (
        bj(2027, 2, 15, 15),
        False,
    )


def test_working_days_skip_the_festival_and_count_the_tiaoxiu_day(tmp_path: Path) -> None:
    cal = calendar(tmp_path, HOLIDAYS_2027 + TIAOXIU_2027)
    five_days = Clock("working_days", timedelta(days=5))
    start = bj(2027, 2, 1, 9)  # Monday: Mon, Tue, Wed, the 调休 Saturday, Mon → Tuesday 09:00
    due = five_days.add(start, timedelta(days=5), workday=cal.is_working_day)
    assert due == bj(2027, 2, 16, 9)
    assert working_time_between(start, due, hours=None, workday=cal.is_working_day) == timedelta(
        days=5
    )
    assert cal.is_working_day(date(2027, 1, 31)), "a 调休 Sunday is worked"
    assert not cal.is_working_day(date(2027, 2, 8)), "a festival Monday is not"
    assert not cal.is_working_day(date(2027, 2, 20)), "an ordinary Saturday is not"


def test_the_file_takes_precedence_over_the_package(tmp_path: Path) -> None:
    last = LIBRARY_YEARS[1]
    monday = next(date(last, 3, d) for d in range(1, 8) if date(last, 3, d).weekday() == 0)
    cal = calendar(
        tmp_path,
        f'[{last}]\nsource = "test"\n'
        f'holidays = [{{ name = "测试", from = {monday}, to = {monday} }}]\n',
    )
    assert chinese_calendar.is_workday(monday) and not cal.is_working_day(monday)
    # The file's year is the whole arrangement: a day it does not name follows the week.
    library_holiday = next(
        d for d in chinese_calendar.holidays if d.year == last and d.weekday() < 5
    )
    assert cal.is_working_day(library_holiday)


def test_the_horizon_is_the_last_year_of_the_file_or_the_package(tmp_path: Path) -> None:
    empty = calendar(tmp_path, "# no year entered yet\n", "empty.toml")
    assert empty.known_until == date(LIBRARY_YEARS[1], 12, 31)
    cal = calendar(tmp_path, HOLIDAYS_2027 + TIAOXIU_2027)
    last = max(2027, LIBRARY_YEARS[1])
    assert cal.known_until == date(last, 12, 31)
    with pytest.raises(CalendarRangeError, match=f"add the {last + 1} arrangement"):
        cal.is_working_day(date(last + 1, 1, 5))
    saturday = next(
        date(last + 1, 1, d) for d in range(1, 8) if date(last + 1, 1, d).weekday() == 5
    )
    assert not cal.workday_or_weekday(saturday)
    assert cal.workday_or_weekday(saturday + timedelta(days=2))


def test_the_shipped_file_agrees_with_the_package_wherever_both_know() -> None:
    shipped = default_calendar()
    first, last = LIBRARY_YEARS
    for year, arrangement in shipped.arrangements.items():
        assert arrangement.source.strip() and arrangement.holidays
        if not first <= year <= last:
            continue
        day = date(year, 1, 1)
        while day.year == year:
            assert shipped.is_working_day(day) == chinese_calendar.is_workday(day), day
            day += timedelta(days=1)


# --- the file's checks ----------------------------------------------------------------------


def one_holiday(first: str, last: str, year: int = 2027, name: str = "春节") -> str:
    """A year's table with one run of days off (``first``, ``last``: TOML values)."""
    return (
        f'[{year}]\nsource = "t"\nholidays = [{{ name = "{name}", from = {first}, to = {last} }}]\n'
    )


GAP = LIBRARY_YEARS[1] + 2
BAD_FILES = {
    "both": (HOLIDAYS_2027 + "workdays = [2027-02-06]\n", "both a holiday and a workday"),
    "impossible date": (one_holiday('"2027-02-30"', '"2027-03-01"'), "not a date"),
    "not a date": (one_holiday('"next week"', "2027-03-01"), "not a date like"),
    "a time, not a date": (one_holiday("2027-02-04T08:00:00", "2027-02-05"), "not a date like"),
    "year missing": (
        one_holiday(f"{GAP}-01-01", f"{GAP}-01-01", GAP),
        f"year {GAP - 1} is missing",
    ),
    "a weekday as workday": (HOLIDAYS_2027 + "workdays = [2027-02-03]\n", "not a Saturday"),
    "backwards": (one_holiday("2027-02-12", "2027-02-04"), "not a run of"),
    "too long": (one_holiday("2027-02-04", "2027-12-04"), "not a run of"),
    "another year": (one_holiday("2028-01-01", "2028-01-01"), "outside 2027"),
    "no source": (HOLIDAYS_2027.replace("source", "# source"), "source is required"),
    "a misspelt key": (HOLIDAYS_2027 + "workday = [2027-02-13]\n", "unknown keys"),
    "no holidays": ('[2027]\nsource = "t"\n', "holidays is required"),
    "overlap": (
        '[2027]\nsource = "t"\nholidays = [{ name = "A", from = 2027-02-04, to = 2027-02-06 },'
        ' { name = "B", from = 2027-02-06, to = 2027-02-07 }]',
        "2027-02-06 is already A",
    ),
    "not a year": ('[twenty]\nsource = "t"\n', "not a year's table"),
    "not TOML": ("[2027\nsource = ", "holiday arrangements"),
    "years disagree": (
        one_holiday("2026-10-01", "2026-10-07", 2026, "国庆节")
        + "workdays = [2026-12-27]\n"
        + one_holiday("2026-12-27", "2027-01-01", 2027, "元旦"),
        "a day off in one year and worked in another",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_broken_file_is_refused_with_its_reason(tmp_path: Path, case: str) -> None:
    text, reason = BAD_FILES[case]
    with pytest.raises(CalendarFileError, match=reason):
        calendar(tmp_path, text)


def test_a_broken_file_stops_the_start_up(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="holiday calendar refused: holiday arrangements"):
        _calendar(Settings(holiday_arrangements_path=tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text(HOLIDAYS_2027 + "workdays = [2027-02-03]\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="not a Saturday"):
        _calendar(Settings(holiday_arrangements_path=bad))
    good = tmp_path / "good.toml"
    good.write_text(HOLIDAYS_2027, encoding="utf-8")
    assert _calendar(Settings(holiday_arrangements_path=good)).known_until >= date(2027, 12, 31)


# --- the warning ----------------------------------------------------------------------------


def test_the_calendar_warns_30_days_before_it_ends(tmp_path: Path) -> None:
    cal = calendar(tmp_path, HOLIDAYS_2027)
    until = cal.known_until
    thirty_before = datetime.combine(until - timedelta(days=30), datetime.min.time(), BJ)
    assert calendar_end(cal, thirty_before) is None
    end = calendar_end(cal, thirty_before + timedelta(days=1))
    assert end is not None and (end.until, end.next_year, end.ended) == (
        until,
        until.year + 1,
        False,
    )
    after = calendar_end(cal, thirty_before + timedelta(days=31))
    assert after is not None and after.ended
    # Beijing's date counts: 16:00 UTC is already the next day in Beijing.
    utc_evening = datetime.combine(until - timedelta(days=30), datetime.min.time(), UTC)
    assert calendar_end(cal, utc_evening.replace(hour=15, minute=59)) is None
    assert calendar_end(cal, utc_evening.replace(hour=16)) is not None
