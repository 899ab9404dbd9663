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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, TypeVar

from cases.periods import Period

Status = Literal["open", "closed", "parked", "cancelled", "merged"]
GroupBy = Literal["grid", "village", "department"]
NOT_ASSESSED: frozenset[str] = frozenset({"parked", "cancelled", "merged"})
CENT = Decimal("0.01")
Number = TypeVar("Number", int, float)


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


def p90(values: Sequence[Number]) -> Number | None:
    """The 90th percentile by nearest rank: an observed value, ceil(0.9·n)-th smallest."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


US_PER_MINUTE = Decimal(60_000_000)


def _minutes(us: Decimal | int | None) -> Decimal | None:
    if us is None:
        return None
    return (Decimal(us) / US_PER_MINUTE).quantize(CENT, rounding=ROUND_HALF_UP)


def response_figures(count: int, total_us: int, slow_us: int | None, within: int) -> dict[str, Any]:
    """The first-response fields of a row from exact integers: how many responses, their
    total in microseconds, the p90 (an observed value) and how many were no slower than it.
    The recount (``kpi_row``) and the buckets (cases/kpi_read.py) both end here."""
    return {
        "responses": count,
        "response_total_minutes": _minutes(total_us) or Decimal(0).quantize(CENT),
        "responses_within_p90": within,
        "response_mean_minutes": _minutes(Decimal(total_us) / count) if count else None,
        "response_p90_minutes": _minutes(slow_us),
    }


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


def response_us(case: CaseFacts) -> int | None:
    """The first response time in whole microseconds (exact: a timedelta's own unit); a
    response cannot precede the report, a source clock running ahead counts as instant."""
    if case.status in NOT_ASSESSED or case.first_response_at is None:
        return None
    return max(0, (case.first_response_at - case.reported_at) // timedelta(microseconds=1))


def kpi_row(key: str | None, cases: Sequence[CaseFacts], period: Period) -> KpiRow:
    """The figures of one unit from its cases (the full recount; cases/kpi_read.py reads the
    same figures from the engine's buckets, and the tests hold the two equal)."""
    due = [c for c in cases if is_due_to_close(c, period)]
    closed = [c for c in due if c.closed_at in period]
    times = [t for c in cases if c.reported_at in period and (t := response_us(c)) is not None]
    slow = p90(times)
    return KpiRow(
        key=key,
        due_to_close=len(due),
        closed=len(closed),
        closed_on_time=sum(1 for c in closed if is_on_time(c)),
        reworked=sum(1 for c in due if c.reworks > 0),
        extended=sum(1 for c in due if c.extensions > 0),
        open_cases=sum(1 for c in cases if is_open_at_end(c, period)),
        open_overdue=sum(1 for c in cases if is_open_overdue(c, period)),
        **response_figures(
            len(times), sum(times), slow, sum(1 for t in times if slow is not None and t <= slow)
        ),
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
