"""Assessment periods: Beijing calendar days, ISO weeks, months, quarters and years, or
from/to dates, as half-open UTC intervals [start, end)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from core.times import BEIJING

INSTANT = timedelta(microseconds=1)  # the finest step of a datetime


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open assessment period [start, end); ``label`` names it (e.g. ``2026-11``)."""

    start: datetime
    end: datetime
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("a period needs timezone-aware bounds")
        if self.end <= self.start:
            raise ValueError(f"empty period {self.start} – {self.end}")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end

    def until(self, now: datetime) -> Period:
        """The period as far as it has run at ``now``, ``now`` included: a current month is
        assessed to date, and what happened at ``now`` itself has happened (the engine's
        buckets already hold it; a half-open end at ``now`` would leave it out of a recount)."""
        if now <= self.start:
            raise ValueError(f"period {self.label or self.start.isoformat()} has not begun yet")
        return Period(self.start, min(self.end, now + INSTANT), self.label)


def _beijing(first: date, after: date, label: str) -> Period:
    """[first 00:00, after 00:00) Beijing time, in UTC."""
    start, end = (datetime.combine(d, time(), BEIJING).astimezone(UTC) for d in (first, after))
    return Period(start, end, label)


def next_month(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def _year(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y + 1, 1, 1)


def _quarter(y: int, q: int) -> tuple[date, date]:
    return date(y, 3 * q - 2, 1), next_month(y, 3 * q)


def _month(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), next_month(y, m)


def _week(y: int, w: int) -> tuple[date, date]:
    monday = date.fromisocalendar(y, w, 1)
    return monday, monday + timedelta(days=7)


def _day(y: int, m: int, d: int) -> tuple[date, date]:
    day = date(y, m, d)
    return day, day + timedelta(days=1)


_FORMS: tuple[tuple[re.Pattern[str], Callable[..., tuple[date, date]]], ...] = (
    (re.compile(r"(\d{4})", re.ASCII), _year),
    (re.compile(r"(\d{4})-Q([1-4])", re.ASCII), _quarter),
    (re.compile(r"(\d{4})-(\d{2})", re.ASCII), _month),
    (re.compile(r"(\d{4})-W(\d{2})", re.ASCII), _week),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII), _day),
)
PERIOD_FORMS = "YYYY, YYYY-Qn, YYYY-MM, YYYY-Www (ISO week) or YYYY-MM-DD"


def parse_period(text: str) -> Period:
    """A Beijing calendar period: ``2026``, ``2026-Q4``, ``2026-11``, ``2026-W48``, ``2026-11-28``.

    ValueError with the reason for anything else (``2026-13``, ``2026-W54``, ``2026-02-30`` …).
    """
    label = text.strip().upper()
    for pattern, span in _FORMS:
        if found := pattern.fullmatch(label):
            try:
                return _beijing(*span(*(int(g) for g in found.groups())), label)
            except (ValueError, OverflowError) as exc:
                raise ValueError(f"period {text!r} is not a calendar period: {exc}") from None
    raise ValueError(f"period {text!r} is not one of {PERIOD_FORMS}")


def between(first: str, last: str) -> Period:
    """From the Beijing day ``first`` to the day ``last``, both included (ISO dates)."""
    try:
        days = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    except ValueError as exc:
        raise ValueError(f"from and to must be ISO dates (YYYY-MM-DD): {exc}") from None
    if days[1] < days[0]:
        raise ValueError(f"to ({days[1]}) is before from ({days[0]})")
    try:
        return _beijing(days[0], days[1] + timedelta(days=1), f"{days[0]}/{days[1]}")
    except OverflowError:
        raise ValueError(f"from and to are out of range: {first}, {last}") from None


def month_of(moment: datetime) -> Period:
    """The Beijing calendar month that ``moment`` falls in."""
    local = moment.astimezone(BEIJING)
    return _beijing(*_month(local.year, local.month), f"{local.year:04d}-{local.month:02d}")


def choose_period(period: str | None, first: str | None, last: str | None, now: datetime) -> Period:
    """A named period, or from/to, or (neither given) the current Beijing month."""
    if period is not None and (first is not None or last is not None):
        raise ValueError("give either period or from and to, not both")
    if period is not None:
        return parse_period(period)
    if first is not None and last is not None:
        return between(first, last)
    if first is not None or last is not None:
        raise ValueError("from and to go together: give both (ISO dates, both included)")
    return month_of(now)
