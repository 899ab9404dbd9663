"""China's holiday and 调休 calendar: the town's file of the State Council's yearly arrangements
first, the installed ``chinese-calendar`` package next.

The State Council publishes next year's arrangement each November (国务院办公厅关于……年部分节假日
安排的通知); the package learns it only in a later release, and a centre that waits for one counts
the Spring Festival as working days. The file (TOML, ``holiday_arrangements_path``) lets a town
add the year the day it is published. It is checked whole when loaded: a mistake in it would
move every deadline silently, so a broken file stops the start-up with the reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar

from core.times import BEIJING

HOLIDAYS_FILE = Path(__file__).resolve().parent / "data" / "holidays.toml"
# The years the installed package has the State Council's arrangement for.
LIBRARY_YEARS: tuple[int, int] = (
    min(chinese_calendar.holidays).year,
    max(chinese_calendar.holidays).year,
)
LIBRARY = f"chinese-calendar {getattr(chinese_calendar, '__version__', '?')}"
# How long before the known calendar runs out the centre says so (/healthz, /metrics, wall).
WARN_AHEAD = timedelta(days=30)
# The longest run of days off one arrangement may name: a typo in a month (02-14 → 12-14)
# would otherwise turn most of a year into a holiday.
LONGEST_HOLIDAY = timedelta(days=31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_KEYS = frozenset({"source", "holidays", "workdays"})
_HOLIDAY_KEYS = frozenset({"name", "from", "to"})


class CalendarRangeError(ValueError):
    """A date the holiday calendar has no data for: guessing weekends would be wrong."""


class CalendarFileError(ValueError):
    """The arrangement file is wrong; the message names the file, the year and the entry."""


@dataclass(frozen=True, slots=True)
class Arrangement:
    """One year's notice: its days off by name, its weekend days worked (调休上班)."""

    year: int
    source: str
    holidays: Mapping[date, str]
    workdays: frozenset[date]


@lru_cache(maxsize=8192)  # the package validates its range on every call
def _library_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarRangeError(f"{LIBRARY} has no arrangement for {day.year}") from exc


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """The file's arrangements over the package's; past both, nothing is known."""

    arrangements: Mapping[int, Arrangement]
    days: Mapping[date, bool]  # every day the file names: worked or not
    source: str = "no arrangement file"

    @property
    def years(self) -> tuple[int, int]:
        """First and last year known, from the file or the package."""
        first, last = LIBRARY_YEARS
        return min([first, *self.arrangements]), max([last, *self.arrangements])

    @property
    def known_until(self) -> date:
        """The last day whose status is known: the horizon of working-time deadlines."""
        return date(self.years[1], 12, 31)

    def is_working_day(self, day: date) -> bool:
        """Whether Beijing works on this day (调休 weekends yes, holiday weekdays no)."""
        if (worked := self.days.get(day)) is not None:
            return worked
        if day.year in self.arrangements:
            return day.weekday() < 5
        try:
            return _library_workday(day)
        except CalendarRangeError as exc:
            first, last = self.years
            raise CalendarRangeError(
                f"no holiday calendar for {day.isoformat()}: this centre supports "
                f"{first}–{last} ({LIBRARY} and {self.source}); add the {day.year} "
                "arrangement to the holiday arrangements file once the State Council "
                "publishes it"
            ) from exc

    def workday_or_weekday(self, day: date) -> bool:
        """The calendar where it has data, plain Monday to Friday beyond it.

        Only for a fallback that the caller flags: it misses the holidays and 调休 of years
        nobody has entered yet.
        """
        # Tested first rather than caught: past the horizon this runs for every day of every
        # deadline, and a refusal (its message, two exceptions) costs a hundred times more.
        if day.year in self.arrangements or LIBRARY_YEARS[0] <= day.year <= LIBRARY_YEARS[1]:
            return self.is_working_day(day)
        return day.weekday() < 5


def calendar_of(arrangements: Mapping[int, Arrangement], source: str) -> HolidayCalendar:
    """The calendar of these arrangements; refuses a day two years disagree on, or a gap."""
    days: dict[date, bool] = {}
    for year, arrangement in sorted(arrangements.items()):
        named = [(d, False) for d in arrangement.holidays] + [
            (d, True) for d in arrangement.workdays
        ]
        for day, worked in named:
            if days.setdefault(day, worked) != worked:
                raise CalendarFileError(
                    f"{source}: {day.isoformat()} is a day off in one year and worked in "
                    f"another ({year})"
                )
    _check_no_gap(sorted(arrangements), source)
    return HolidayCalendar(dict(arrangements), days, source)


def _check_no_gap(years: list[int], source: str) -> None:
    """Years follow each other and the package's last one: a deadline may not jump a gap."""
    known = LIBRARY_YEARS[1]
    for year in years:
        if year > known + 1:
            raise CalendarFileError(
                f"{source}: year {known + 1} is missing: the file has {year}, but neither it "
                f"nor {LIBRARY} (which ends with {LIBRARY_YEARS[1]}) has {known + 1}"
            )
        known = max(known, year)


@cache
def load_calendar(path: Path = HOLIDAYS_FILE) -> HolidayCalendar:
    """The calendar of an arrangement file, checked whole (CalendarFileError names the fault)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalendarFileError(f"holiday arrangements {path}: {exc}") from exc
    arrangements = {}
    for key, table in data.items():
        arrangement = _arrangement(key, table, path.name)
        arrangements[arrangement.year] = arrangement
    return calendar_of(arrangements, path.name)


@cache
def default_calendar() -> HolidayCalendar:
    """The shipped file's calendar (a town's own file is passed down from the settings)."""
    return load_calendar(HOLIDAYS_FILE)


def _arrangement(key: str, table: Any, where: str) -> Arrangement:
    if not re.fullmatch(r"\d{4}", key) or not isinstance(table, dict):
        raise CalendarFileError(f"{where}: [{key}] is not a year's table like [2027]")
    here = f"{where}: [{key}]"
    if unknown := set(table) - _YEAR_KEYS:
        raise CalendarFileError(f"{here}: unknown keys {sorted(unknown)}; use {sorted(_YEAR_KEYS)}")
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalendarFileError(f"{here}: source is required (the notice's title and address)")
    year = int(key)
    holidays = _holidays(year, table.get("holidays"), here)
    workdays = _workdays(year, table.get("workdays", []), here)
    if both := sorted(set(holidays) & workdays):
        raise CalendarFileError(
            f"{here}: {', '.join(d.isoformat() for d in both)}: both a holiday and a workday"
        )
    return Arrangement(year, source.strip(), holidays, workdays)


def _holidays(year: int, items: Any, here: str) -> dict[date, str]:
    if not isinstance(items, list) or not items:
        raise CalendarFileError(f"{here}: holidays is required, a list of {{name, from, to}}")
    days: dict[date, str] = {}
    for n, item in enumerate(items, start=1):
        where = f"{here} holidays #{n}"
        if not isinstance(item, dict) or set(item) != _HOLIDAY_KEYS:
            raise CalendarFileError(f"{where}: expected {{ name = …, from = …, to = … }}")
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            raise CalendarFileError(f"{where}: name must be the holiday's name, e.g. 春节")
        first, last = (_day(item[k], year, f"{where} ({name}) {k}") for k in ("from", "to"))
        if not first <= last < first + LONGEST_HOLIDAY:
            raise CalendarFileError(
                f"{where} ({name}): from {first} to {last} is not a run of 1 to "
                f"{LONGEST_HOLIDAY.days} days"
            )
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if day in days:
                raise CalendarFileError(f"{where} ({name}): {day} is already {days[day]}")
            days[day] = name.strip()
    return days


def _workdays(year: int, items: Any, here: str) -> frozenset[date]:
    if not isinstance(items, list):
        raise CalendarFileError(f"{here}: workdays must be a list of dates")
    days = [_day(item, year, f"{here} workdays") for item in items]
    if weekdays := [d.isoformat() for d in days if d.weekday() < 5]:
        raise CalendarFileError(
            f"{here}: workdays lists {', '.join(weekdays)}, not a Saturday or Sunday: only a "
            "weekend day worked (调休上班) belongs there"
        )
    return frozenset(days)


def _day(value: Any, year: int, where: str) -> date:
    """A date of the year's notice: a TOML date or 'YYYY-MM-DD', in that year or the December
    before it (a notice's 元旦 may begin on 30 or 31 December)."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise CalendarFileError(f"{where}: {value!r} is not a date: {exc}") from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CalendarFileError(f"{where}: {value!r} is not a date like 2027-02-06")
    if not date(year - 1, 12, 1) <= value <= date(year, 12, 31):
        raise CalendarFileError(f"{where}: {value} is outside {year}")
    return value


@dataclass(frozen=True, slots=True)
class CalendarEnd:
    """The known calendar ends soon (or has ended): the next year's arrangement is missing."""

    until: date
    ended: bool

    @property
    def next_year(self) -> int:
        return self.until.year + 1


def calendar_end(
    calendar: HolidayCalendar, now: datetime, ahead: timedelta = WARN_AHEAD
) -> CalendarEnd | None:
    """Whether working-time deadlines from ``now`` on (Beijing) may run past the known calendar
    within ``ahead``; None while the calendar reaches further."""
    today = now.astimezone(BEIJING).date()
    until = calendar.known_until
    if until - today >= ahead:
        return None
    return CalendarEnd(until, ended=today > until)
