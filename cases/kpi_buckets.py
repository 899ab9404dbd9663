"""What one case contributes to the KPI buckets: pure, no Redis (cases/kpi_projection.py
writes it, cases/kpi_read.py reads a period back).

The figures of cases/kpi.py over a period P = [s, e) split into parts that each hang on one
moment of a case, so they can be kept per Beijing day, month and year ("pieces") and summed
over the few pieces that cover P. Write R for reported, D for the (current) deadline, C for
closed; only assessed cases count (cancelled, merged and parked ones contribute nothing).

- 结案 and 按期结案: counted at C (``flow`` ``c``, ``ot``).
- 应结案 (due to close; and its reworked and extended subsets, the flags ``rw`` and ``ex``):
  a case closed before its deadline, or without one, is due in P exactly when C is in P
  (``c1`` at C). One closed at or after its deadline is due when D or C is in P: ``dl`` at D,
  plus, for each piece C falls in, a sorted set of such cases scored by D (``late``), so a
  read adds those closed in P but due before s (ZCOUNT below s). An open case is due when D
  is in P: that depends on the clock, so open cases sit in a sorted set by D (``open-due``)
  the read counts from, never in a counter.
- open at P's end: ``r`` at R minus ``c`` at C, summed over every piece before e (``stock``;
  for a period running now, the piece ``ever`` holds them all).
- open and overdue at P's end: the open cases with D before e (``open-due`` again), plus,
  for a period already over, the closed cases with D < e <= C: ``dc`` at D minus ``m`` at
  max(D, C), summed over every piece before e.
- first response: ``n`` and ``us`` (exact total, in microseconds) at R, and a sorted set of
  the response times per piece R falls in (``resp``), whose rank gives the exact p90.

A case's facts are in the past when they are written (reported, answered and closed by the
engine's clock, reported no later than its deadline and its close): that is what lets a
period running now sum whole days. The tests hold every figure equal to the full recount.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cases.kpi import NOT_ASSESSED, CaseFacts, GroupBy, is_on_time, response_us
from cases.periods import next_month
from core.times import BEIJING

GROUPINGS: tuple[GroupBy, ...] = ("grid", "village", "department")
TOWN = "town"  # the grouping with one unit, the whole town
FLAGS = ("all", "rw", "ex")  # every due case, the reworked ones, the extended ones
FLOW = "flow"  # counters of what happened in a piece
STOCK = "stock"  # counters summed over every piece before a moment
OPEN_DUE = "open-due"  # open cases by deadline, per unit (no piece)
LATE = "late"  # cases closed at or after their deadline, per piece of C, by deadline
RESPONSE = "resp"  # response times, per piece of R
EVER = "ever"  # the stock's piece that holds every moment: a running period's "before its end"
YEARS = "years"  # every year a stock counter was written in: where a prefix sum starts


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(moment: datetime) -> int:
    """A moment as whole microseconds since the epoch: exact as a sorted-set score."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def day_of(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def pieces_of(moment: datetime) -> tuple[str, str, str]:
    """The Beijing day, month and year a moment falls in, as piece names."""
    day = day_of(moment)
    return f"d{day.isoformat()}", f"m{day.year:04d}-{day.month:02d}", f"y{day.year:04d}"


def cover(first: date, after: date) -> list[str]:
    """The fewest pieces covering the Beijing days [first, after): whole years, then whole
    months, then days."""
    found: list[str] = []
    day = first
    while day < after:
        if (day.month, day.day) == (1, 1) and date(day.year + 1, 1, 1) <= after:
            found.append(f"y{day.year:04d}")
            day = date(day.year + 1, 1, 1)
        elif day.day == 1 and next_month(day.year, day.month) <= after:
            found.append(f"m{day.year:04d}-{day.month:02d}")
            day = next_month(day.year, day.month)
        else:
            found.append(f"d{day.isoformat()}")
            day += timedelta(days=1)
    return found


@dataclass(slots=True)
class Marks:
    """One case's contribution, unit aside: counters (kind, piece, metric) → amount, sorted
    set memberships (name, piece or "") → score, and the years of its stock moments."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    members: dict[tuple[str, str], int] = field(default_factory=dict)
    years: set[int] = field(default_factory=set)

    def add(self, kind: str, moment: datetime, metric: str, amount: int = 1) -> None:
        for piece in pieces_of(moment):
            self.counts[(kind, piece, metric)] += amount
        if kind == STOCK:
            self.counts[(kind, EVER, metric)] += amount
            self.years.add(day_of(moment).year)


def flags_of(facts: CaseFacts) -> tuple[str, ...]:
    return (
        ("all",)
        + (("rw",) if facts.reworks > 0 else ())
        + (("ex",) if facts.extensions > 0 else ())
    )


def marks(facts: CaseFacts) -> Marks:
    """What a case adds to the buckets (see the module docstring); nothing if not assessed."""
    found = Marks()
    if facts.status in NOT_ASSESSED:
        return found
    reported, due, closed = facts.reported_at, facts.due_at, facts.closed_at
    found.add(STOCK, reported, "r")
    if (took := response_us(facts)) is not None:
        found.add(FLOW, reported, "n")
        found.add(FLOW, reported, "us", took)
        for piece in pieces_of(reported):
            found.members[(RESPONSE, piece)] = took
    flags = flags_of(facts)
    if closed is None:
        if due is not None:
            for flag in flags:
                found.members[(f"{OPEN_DUE}-{flag}", "")] = epoch_us(due)
        return found
    found.add(FLOW, closed, "c")
    found.add(STOCK, closed, "c")
    if is_on_time(facts):
        found.add(FLOW, closed, "ot")
    if due is None or closed < due:
        for flag in flags:
            found.add(FLOW, closed, f"c1-{flag}")
    else:
        for flag in flags:
            found.add(FLOW, due, f"dl-{flag}")
            for piece in pieces_of(closed):
                found.members[(f"{LATE}-{flag}", piece)] = epoch_us(due)
    if due is not None:
        found.add(STOCK, due, "dc")
        found.add(STOCK, max(due, closed), "m")
    return found


def unit_of(facts: CaseFacts, grouping: str) -> str:
    """The unit a case counts in for a grouping: "" for none (and for the town)."""
    if grouping == TOWN:
        return ""
    value: str | None = getattr(facts, grouping)
    return value or ""
