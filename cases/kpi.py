"""Assessment KPIs (考核指标) of published 数字城管 bulletins, as pure functions over case facts.

应结案 (due to close) in a period [start, end) is every valid case whose handling deadline falls
in the period, or that was closed in it; a case closed before the period began is not due again.
Why both halves: a bulletin's 结案数 counts the cases closed in the period, early ones included,
so they must be in the denominator too (结案率 can never pass 100 %); and a case that fell due
but was not closed must stay in the denominator, or the rate would reward doing nothing. A case
that falls due in March and is closed in April is due in both months: unclosed in March's
figures, closed late in April's, as the monthly bulletins count it.

The deadline is the current one: an approved extension (延期) moves it, and closing by the new
deadline is on time; 延期率 shows how often that happened. Cancelled (作废) and merged (合并)
cases are not cases, parked (挂账) ones are assessed apart; none of them is due to close.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

Status = Literal["open", "closed", "parked", "cancelled", "merged"]
GroupBy = Literal["grid", "village", "department"]
NOT_ASSESSED: frozenset[str] = frozenset({"parked", "cancelled", "merged"})
CENT = Decimal("0.01")


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
    """A half-open assessment period [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("a period needs timezone-aware bounds")
        if self.end <= self.start:
            raise ValueError(f"empty period {self.start} – {self.end}")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class KpiRow:
    """One unit's figures: raw counts beside every rate (percent, two decimals, or None)."""

    key: str | None
    due_to_close: int  # 应结案数
    closed: int  # 结案数
    closed_on_time: int  # 按期结案数
    reworked: int  # closed cases that were reworked at least once
    extended: int  # due cases extended at least once
    open_overdue: int  # open at period end and past the deadline, whenever it fell
    responses: int  # cases reported in the period with a first response
    closure_rate: Decimal | None  # 结案率 = closed / due_to_close
    on_time_rate: Decimal | None  # 按期结案率 = closed_on_time / due_to_close
    rework_rate: Decimal | None  # 返工率 = reworked / closed
    extension_rate: Decimal | None  # 延期率 = extended / due_to_close
    response_mean_minutes: Decimal | None
    response_p90_minutes: Decimal | None


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


def is_on_time(case: CaseFacts) -> bool:
    """Closed on or before its (possibly extended) deadline; no deadline cannot be missed."""
    if case.closed_at is None:
        return False
    return case.due_at is None or case.closed_at <= case.due_at


def is_open_overdue(case: CaseFacts, period: Period) -> bool:
    """Open at the period's end (as far as the facts know) with its deadline already passed."""
    if case.status in NOT_ASSESSED or case.due_at is None or case.reported_at >= period.end:
        return False
    still_open = case.closed_at is None or case.closed_at >= period.end
    return still_open and case.due_at < period.end


def _response_minutes(cases: Iterable[CaseFacts], period: Period) -> list[float]:
    return [
        (c.first_response_at - c.reported_at).total_seconds() / 60
        for c in cases
        if c.reported_at in period and c.first_response_at is not None
    ]


def kpi_row(key: str | None, cases: Sequence[CaseFacts], period: Period) -> KpiRow:
    """The figures of one unit from its cases."""
    due = [c for c in cases if is_due_to_close(c, period)]
    closed = [c for c in due if c.closed_at in period]
    on_time = sum(1 for c in closed if is_on_time(c))
    reworked = sum(1 for c in closed if c.reworks > 0)
    extended = sum(1 for c in due if c.extensions > 0)
    minutes = _response_minutes(cases, period)
    return KpiRow(
        key=key,
        due_to_close=len(due),
        closed=len(closed),
        closed_on_time=on_time,
        reworked=reworked,
        extended=extended,
        open_overdue=sum(1 for c in cases if is_open_overdue(c, period)),
        responses=len(minutes),
        closure_rate=percent(len(closed), len(due)),
        on_time_rate=percent(on_time, len(due)),
        rework_rate=percent(reworked, len(closed)),
        extension_rate=percent(extended, len(due)),
        response_mean_minutes=_minutes(sum(minutes) / len(minutes) if minutes else None),
        response_p90_minutes=_minutes(p90(minutes)),
    )


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
    groups: dict[str | None, list[CaseFacts]] = {unit: [] for unit in units}
    for record in cases:
        case = CaseFacts.of(record)
        groups.setdefault(getattr(case, by), []).append(case)
    order = sorted(groups, key=lambda k: (k is None, k or ""))
    return [kpi_row(key, groups[key], period) for key in order]
