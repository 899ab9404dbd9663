"""Case deadlines in working time, on China's official holiday and 调休 calendar.

Pure functions: UTC in, UTC out. Working days and hours are Beijing's (Asia/Shanghai), and
whether a day is worked comes from the calendar of cases/calendar.py: the town's file of the
State Council's yearly notices first, the ``chinese-calendar`` package next. A 调休 Saturday or
Sunday is a working day, a holiday weekday is not.

No function here lets an OverflowError out: a time too near the ends of what ``datetime``
holds (a report dated 9999-12-31 or 0001-01-01) is a ClockRangeError, a ValueError that says
which time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, wraps
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar, cast, get_args

from cases.calendar import CalendarRangeError as CalendarRangeError  # re-exported
from cases.calendar import HolidayCalendar, default_calendar
from core.times import BEIJING

CLOCKS_FILE = Path(__file__).resolve().parent / "data" / "clocks.json"
ClockKind = Literal["calendar", "working_days", "working_hours"]
ONE_DAY = timedelta(days=1)
Workday = Callable[[date], bool]
P = ParamSpec("P")
R = TypeVar("R")
# The years the shipped calendar knows (the arrangement file's and the package's).
SUPPORTED_YEARS: tuple[int, int] = default_calendar().years


class ClockRangeError(ValueError):
    """A time too near the ends of the calendar (years 1 and 9999) to count a deadline from."""


def _in_range(count: Callable[P, R]) -> Callable[P, R]:
    """``count``, with an overflow of ``datetime`` turned into a ClockRangeError naming the times
    (the engine must get a domain error it can quarantine, not an OverflowError)."""

    @wraps(count)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return count(*args, **kwargs)
        except OverflowError as exc:
            times = [a for a in (*args, *kwargs.values()) if isinstance(a, datetime)]
            raise ClockRangeError(
                f"{count.__name__}: {', '.join(t.isoformat() for t in times) or 'a time'} is too "
                "near the ends of the calendar (years 1–9999) to count a deadline from"
            ) from exc

    return counted


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The office periods of a working day, Beijing wall-clock, sorted and disjoint."""

    periods: tuple[tuple[time, time], ...] = (
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("working hours need at least one period")
        previous = time.min
        for first, (begin, end) in enumerate(self.periods):
            if begin >= end or (first and begin < previous):
                raise ValueError(f"working hours must be sorted and disjoint: {self.periods}")
            previous = end


OFFICE_HOURS = WorkingHours()


def is_working_day(day: date) -> bool:
    """Whether Beijing works on this day, by the shipped calendar (CalendarRangeError past it)."""
    return default_calendar().is_working_day(day)


def workday_or_weekday(day: date) -> bool:
    """The shipped calendar where it has data, plain Monday to Friday beyond it.

    Only for a fallback that the caller flags: it misses the holidays and 调休 of years
    nobody has entered yet.
    """
    return default_calendar().workday_or_weekday(day)


def _local(moment: datetime) -> datetime:
    """Beijing wall-clock time, naive (Asia/Shanghai has had no DST since 1991)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware one")
    return moment.astimezone(BEIJING).replace(tzinfo=None)


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=BEIJING).astimezone(UTC)


def _day_spans(
    day: date, hours: WorkingHours | None, workday: Workday
) -> Iterator[tuple[datetime, datetime]]:
    """The counted spans of one day: none on a rest day, the whole day or its office periods."""
    if not workday(day):
        return
    midnight = datetime.combine(day, time.min)
    if hours is None:
        yield midnight, midnight + ONE_DAY
        return
    for begin, end in hours.periods:
        yield datetime.combine(day, begin), datetime.combine(day, end)


def _spans_from(
    start: datetime, hours: WorkingHours | None, workday: Workday = is_working_day
) -> Iterator[tuple[datetime, datetime]]:
    """Counted spans from a local instant on, clipped at it; endless but for CalendarRangeError."""
    day = start.date()
    while True:
        for begin, end in _day_spans(day, hours, workday):
            if end > start:
                yield max(begin, start), end
        day += ONE_DAY


@_in_range
def add_working_time(
    start: datetime,
    duration: timedelta,
    *,
    hours: WorkingHours | None = OFFICE_HOURS,
    workday: Workday = is_working_day,
) -> datetime:
    """The first instant by which ``duration`` of working time has passed since ``start``.

    ``hours=None`` counts whole working days (24 h each); otherwise only office periods count.
    A zero duration is ``start`` itself; a deadline met at 12:00 stays 12:00, not 13:30.
    """
    if duration < timedelta(0):
        raise ValueError(f"negative duration {duration}")
    if not duration:
        return start.astimezone(UTC)
    remaining = duration
    for begin, end in _spans_from(_local(start), hours, workday):
        if remaining <= end - begin:
            return _utc(begin + remaining)
        remaining -= end - begin
    raise AssertionError("unreachable: spans end only by CalendarRangeError")  # pragma: no cover


@_in_range
def working_time_between(
    a: datetime,
    b: datetime,
    *,
    hours: WorkingHours | None = OFFICE_HOURS,
    workday: Workday = is_working_day,
) -> timedelta:
    """Working time from a to b; negative when b is before a (closed ahead of a deadline)."""
    if b < a:
        return -working_time_between(b, a, hours=hours, workday=workday)
    start, stop = _local(a), _local(b)
    total = timedelta(0)
    for begin, end in _spans_from(start, hours, workday):
        if begin >= stop:
            break
        total += min(end, stop) - begin
    return total


@dataclass(frozen=True, slots=True)
class Clock:
    """The two clocks of a category: first response (wall-clock) and handling (by kind)."""

    kind: ClockKind
    handling: timedelta | None
    first_response: timedelta | None = None

    @property
    def hours(self) -> WorkingHours | None:
        return OFFICE_HOURS if self.kind == "working_hours" else None

    @_in_range
    def add(
        self, start: datetime, duration: timedelta, *, workday: Workday = is_working_day
    ) -> datetime:
        """start + duration on this clock."""
        if self.kind == "calendar":
            return (start + duration).astimezone(UTC)
        return add_working_time(start, duration, hours=self.hours, workday=workday)

    @_in_range
    def between(self, a: datetime, b: datetime) -> timedelta:
        """Time from a to b as this clock counts it."""
        if self.kind == "calendar":
            return b - a
        return working_time_between(a, b, hours=self.hours)


def _duration(value: object, unit: timedelta, where: str) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{where}: expected a positive number, got {value!r}")
    return unit * value


def _clock(code: str, spec: dict[str, object], where: Path) -> Clock:
    kind = spec.get("kind")
    if kind not in get_args(ClockKind):
        raise ValueError(f"{where}: {code}: kind {kind!r} is not one of {get_args(ClockKind)}")
    unit_key, wrong_key = ("handling_days", "handling_hours")
    if kind != "working_days":
        unit_key, wrong_key = wrong_key, unit_key
    if wrong_key in spec:
        raise ValueError(f"{where}: {code}: a {kind} clock takes {unit_key}, not {wrong_key}")
    unit = ONE_DAY if unit_key == "handling_days" else timedelta(hours=1)
    return Clock(
        kind=cast(ClockKind, kind),
        handling=_duration(spec.get(unit_key), unit, f"{where}: {code}.{unit_key}"),
        first_response=_duration(
            spec.get("first_response_minutes"),
            timedelta(minutes=1),
            f"{where}: {code}.first_response_minutes",
        ),
    )


@cache
def clocks(path: Path = CLOCKS_FILE) -> dict[str, Clock]:
    """Every category's clock by code; 'other' is always present."""
    data: dict[str, dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))
    found = {code: _clock(code, spec, path) for code, spec in data.items() if code[0] != "_"}
    if "other" not in found:
        raise ValueError(f"{path}: no 'other' clock")
    return found


def clock(category: str) -> Clock:
    """The clock of a category; an unknown code gets the clock of 'other'."""
    table = clocks()
    return table.get(category, table["other"])


def handling_due(
    category: str, reported_at: datetime, calendar: HolidayCalendar | None = None
) -> datetime | None:
    """The handling deadline (处置时限) of a case; None when the category has none."""
    spec = clock(category)
    workday = (calendar or default_calendar()).is_working_day
    return None if spec.handling is None else spec.add(reported_at, spec.handling, workday=workday)


def handling_deadline(
    category: str, start: datetime, calendar: HolidayCalendar | None = None
) -> tuple[datetime | None, bool]:
    """The handling deadline, and whether it had to assume plain weekends past the calendar.

    For the engine, which must never stop on a date nobody has entered the arrangement of:
    it counts the known days by the calendar and later ones Monday to Friday, and the caller
    flags the case so that a person checks the deadline (adding the year's arrangement to the
    holiday file fixes it). A time beyond what ``datetime`` holds is a ClockRangeError.
    """
    calendar = calendar or default_calendar()
    try:
        return handling_due(category, start, calendar), False
    except CalendarRangeError:
        spec = clock(category)
        if spec.handling is None:  # pragma: no cover - a clock without handling never raises
            return None, False
        return spec.add(start, spec.handling, workday=calendar.workday_or_weekday), True


@_in_range
def first_response_due(category: str, reported_at: datetime) -> datetime | None:
    """The first-response deadline, always wall-clock: the 15-minute rule runs at night too."""
    spec = clock(category)
    if spec.first_response is None:
        return None
    return (reported_at + spec.first_response).astimezone(UTC)
