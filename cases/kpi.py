"""Assessment KPIs (考核指标) of published 数字城管 bulletins, as pure functions over case facts.

应结案 (due to close) in a period [start, end) is every valid case whose handling deadline falls
in the period, or that was closed in it; a case closed before the period began is not due again.
Why both halves: a bulletin's 结案数 counts the cases closed in the period, early ones included,
so they must be in the denominator too (结案率 can never pass 100 %); and a case that fell due
but was not closed must stay in the denominator, or the rate would reward doing nothing. A case
that falls due in March and is closed in April is due in both months: unclosed in March's
figures, closed late in April's, as the monthly bulletins count it. 返工率 and 延期率 are over
应结案 too: the bulletins' own figures divide that way (docs/api.md shows the arithmetic).

The deadline is the current one: an approved extension (延期) moves it, and closing by the new
deadline is on time; 延期率 shows how often that happened. Cancelled (作废) and merged (合并)
cases are not cases, parked (挂账) ones are off the clock (to be assessed apart); none of them
is in any figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

Status = Literal["open", "closed", "parked", "cancelled", "merged"]
GroupBy = Literal["grid", "village", "department"]
NOT_ASSESSED: frozenset[str] = frozenset({"parked", "cancelled", "merged"})
CENT = Decimal("0.01")
BEIJING = ZoneInfo("Asia/Shanghai")  # periods are Beijing calendar periods


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What assessment needs to know of one case; every time timezone-aware."""

    id: str
    grid: str | None
    village: str | None
    department: str | None
    reported_at: datetime
    first_response_at: datetime | None
    due_at: datetime | None
    closed_at: datetime | None
    reworks: int = 0
    extensions: int = 0
    status: Status = "open"

    def __post_init__(self) -> None:
        for name in ("reported_at", "first_response_at", "due_at", "closed_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"case {self.id}: {name} is a naive datetime")
        if (self.status == "closed") != (self.closed_at is not None):
            raise ValueError(f"case {self.id}: status {self.status} but closed_at {self.closed_at}")

    @classmethod
    def of(cls, record: CaseFacts | Mapping[str, Any]) -> CaseFacts:
        """Facts from a plain dict (unknown keys ignored) or facts already."""
        if isinstance(record, CaseFacts):
            return record
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


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
        """The period as far as it has run at ``now``: a current month is assessed to date."""
        if now <= self.start:
            raise ValueError(f"period {self.label or self.start.isoformat()} has not begun yet")
        return Period(self.start, min(self.end, now), self.label)


# ---- periods: Beijing calendar days, weeks, months, quarters, years ------------------------


def _beijing(first: date, after: date, label: str) -> Period:
    """[first 00:00, after 00:00) Beijing time, in UTC."""
    start, end = (datetime.combine(d, time(), BEIJING).astimezone(UTC) for d in (first, after))
    return Period(start, end, label)


def _next_month(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1)


def _year(y: int) -> tuple[date, date]:
    return date(y, 1, 1), date(y + 1, 1, 1)


def _quarter(y: int, q: int) -> tuple[date, date]:
    return date(y, 3 * q - 2, 1), _next_month(y, 3 * q)


def _month(y: int, m: int) -> tuple[date, date]:
    return date(y, m, 1), _next_month(y, m)


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


# ---- the figures -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One unit's counts; every rate is a property over two of them (percent or None)."""

    key: str | None
    due_to_close: int  # 应结案数
    closed: int  # 结案数
    closed_on_time: int  # 按期结案数
    reworked: int  # 返工数: due cases reworked at least once
    extended: int  # 延期数: due cases extended at least once
    open_cases: int  # open at the period's end (as far as it has run)
    open_overdue: int  # of those, past their deadline, whenever it fell
    responses: int  # cases reported in the period with a first response
    response_total_minutes: Decimal
    responses_within_p90: int  # responses no slower than the p90
    response_mean_minutes: Decimal | None
    response_p90_minutes: Decimal | None

    @property
    def closure_rate(self) -> Decimal | None:  # 结案率
        return percent(self.closed, self.due_to_close)

    @property
    def on_time_rate(self) -> Decimal | None:  # 按期结案率
        return percent(self.closed_on_time, self.due_to_close)

    @property
    def rework_rate(self) -> Decimal | None:  # 返工率
        return percent(self.reworked, self.due_to_close)

    @property
    def extension_rate(self) -> Decimal | None:  # 延期率
        return percent(self.extended, self.due_to_close)

    @property
    def open_overdue_rate(self) -> Decimal | None:
        return percent(self.open_overdue, self.open_cases)


def percent(count: int, total: int) -> Decimal | None:
    """count / total in percent, rounded half-up to two decimals; None when total is 0."""
    if total == 0:
        return None
    return (Decimal(count) * 100 / Decimal(total)).quantize(CENT, rounding=ROUND_HALF_UP)


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank: an observed value, ceil(0.9·n)-th smallest."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _minutes(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def is_due_to_close(case: CaseFacts, period: Period) -> bool:
    """Whether a case is in the period's 应结案 (see the module docstring)."""
    if case.status in NOT_ASSESSED:
        return False
    if case.closed_at is not None and case.closed_at < period.start:
        return False
    return case.closed_at in period or case.due_at in period


def bears_on(status: str, reported: datetime, closed: datetime | None, period: Period) -> bool:
    """Whether a case can count in any figure of the period; the rest may be skipped unread.

    Cases are reported before they fall due, are answered or closed: one reported after the
    period, or closed before it began, is in none of its figures.
    """
    if status in NOT_ASSESSED or reported >= period.end:
        return False
    return closed is None or closed >= period.start


def is_on_time(case: CaseFacts) -> bool:
    """Closed on or before its (possibly extended) deadline; no deadline cannot be missed."""
    if case.closed_at is None:
        return False
    return case.due_at is None or case.closed_at <= case.due_at


def is_open_at_end(case: CaseFacts, period: Period) -> bool:
    """Reported before the period's end and not closed by then (as far as the facts know)."""
    if case.status in NOT_ASSESSED or case.reported_at >= period.end:
        return False
    return case.closed_at is None or case.closed_at >= period.end


def is_open_overdue(case: CaseFacts, period: Period) -> bool:
    """Open at the period's end with its deadline already passed."""
    return is_open_at_end(case, period) and case.due_at is not None and case.due_at < period.end


def _response_minutes(cases: Iterable[CaseFacts], period: Period) -> list[float]:
    """First-response times of the assessed cases reported in the period (a response cannot
    precede the report: a source clock running ahead counts as an instant response)."""
    return [
        max(0.0, (c.first_response_at - c.reported_at).total_seconds() / 60)
        for c in cases
        if c.status not in NOT_ASSESSED
        and c.reported_at in period
        and c.first_response_at is not None
    ]


def kpi_row(key: str | None, cases: Sequence[CaseFacts], period: Period) -> KpiRow:
    """The figures of one unit from its cases."""
    due = [c for c in cases if is_due_to_close(c, period)]
    closed = [c for c in due if c.closed_at in period]
    minutes = _response_minutes(cases, period)
    total, slow = math.fsum(minutes), p90(minutes)
    return KpiRow(
        key=key,
        due_to_close=len(due),
        closed=len(closed),
        closed_on_time=sum(1 for c in closed if is_on_time(c)),
        reworked=sum(1 for c in due if c.reworks > 0),
        extended=sum(1 for c in due if c.extensions > 0),
        open_cases=sum(1 for c in cases if is_open_at_end(c, period)),
        open_overdue=sum(1 for c in cases if is_open_overdue(c, period)),
        responses=len(minutes),
        response_total_minutes=Decimal(repr(total)).quantize(CENT, rounding=ROUND_HALF_UP),
        responses_within_p90=sum(1 for m in minutes if slow is not None and m <= slow),
        response_mean_minutes=_minutes(total / len(minutes) if minutes else None),
        response_p90_minutes=_minutes(slow),
    )


def group(
    cases: Iterable[CaseFacts | Mapping[str, Any]], by: GroupBy, units: Iterable[str] = ()
) -> dict[str | None, list[CaseFacts]]:
    """Cases per unit, sorted by unit (None, the cases without one, last); ``units`` are
    listed even without cases."""
    groups: dict[str | None, list[CaseFacts]] = {unit: [] for unit in units}
    for record in cases:
        case = CaseFacts.of(record)
        groups.setdefault(getattr(case, by), []).append(case)
    return {k: groups[k] for k in sorted(groups, key=lambda k: (k is None, k or ""))}


def kpis(
    cases: Iterable[CaseFacts | Mapping[str, Any]],
    period: Period,
    by: GroupBy,
    *,
    units: Iterable[str] = (),
) -> list[KpiRow]:
    """One row per unit (grid, village or department), sorted; ``units`` adds quiet ones.

    A unit without cases gets zero counts and None rates; cases without a unit share key None.
    """
    return [kpi_row(key, found, period) for key, found in group(cases, by, units).items()]
