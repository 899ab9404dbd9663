"""What the leaders' tablet reads: the town's overview, a village, a grid. Every figure comes
from the one place that computes it for every screen:

- the counts over every open case (cases/counts.py, the wall's header);
- the KPIs as `GET /api/kpi` answers them (dashboard/kpi_api.kpi_answer: this month so far,
  and the previous month whole, to say the change);
- a village's or grid's open cases and how many are late (cases/facets.py, the console's
  queue), each case with its view (cases/view.py);
- today's closures (cases/kpi_read.closed_on, the KPI buckets' day counter);
- the cases escalated to the town or to a village (cases/escalation.level_page, the
  `/api/queues/…` routes' own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cases.counts import Counts, read_counts
from cases.escalation import level_page
from cases.facets import matching, tallies
from cases.kpi_read import closed_on
from cases.periods import Period, month_of
from cases.store import get_cases
from core.times import BEIJING
from dashboard.context import WallContext
from dashboard.kpi_api import kpi_answer

LISTED = 50  # the newest open cases a village or grid lists (the count is of all)
MAPPED = 400  # the newest open cases a village's or grid's map marks (the count is of all)


@dataclass(frozen=True, slots=True)
class TownOverview:
    counts: Counts
    closed_today: int
    kpi: dict[str, Any]  # `GET /api/kpi?by=village` for this month so far
    before: dict[str, Any]  # the same for the previous month, whole
    escalated: tuple[int, list[dict[str, Any]]] = (0, [])  # the town's queue: all, newest


@dataclass(frozen=True, slots=True)
class Area:
    """A village or a grid: its open cases (how many, how many late), its units' (a
    village's grids) and the newest of its cases."""

    facet: str  # "village" or "grid"
    code: str
    total: int
    late: int
    units: dict[str, tuple[int, int]] = field(default_factory=dict)  # grid → (open, late)
    cases: list[dict[str, Any]] = field(default_factory=list)  # newest first, with the view
    # A village's queue: the cases escalated to it (how many, the newest).
    escalated: tuple[int, list[dict[str, Any]]] = (0, [])


def previous_month(now: datetime) -> Period:
    """The Beijing month before ``now``'s."""
    return month_of(month_of(now).start - timedelta(microseconds=1))


def read_town(wall: WallContext, now: datetime) -> TownOverview:
    counts = read_counts(wall.r, wall.keys, now)
    today = now.astimezone(BEIJING).date()
    return TownOverview(
        counts=counts,
        closed_today=closed_on(wall.r, wall.keys, today),
        kpi=kpi_answer(wall.r, wall.keys, wall.town, "village", month_of(now), now),
        before=kpi_answer(wall.r, wall.keys, wall.town, "village", previous_month(now), now),
        escalated=level_page(wall.r, wall.keys, "town", None, now, LISTED),
    )


def read_area(wall: WallContext, facet: str, code: str, now: datetime) -> Area:
    """A village (``facet`` "village", with its grids' figures) or a grid."""
    village = facet == "village"
    l2 = wall.town.l2
    grids = [str(g) for g in l2.index[l2["village"] == code]] if village else []
    found = tallies(wall.r, wall.keys, [(facet, code), *(("grid", g) for g in grids)], now=now)
    page = matching(wall.r, wall.keys, {facet: code}, now=now, limit=MAPPED)
    cases = get_cases(wall.r, wall.keys, page.ids, now)
    queue = level_page(wall.r, wall.keys, "village", code, now, LISTED) if village else (0, [])
    units = {g: found["grid", g] for g in grids}
    return Area(facet, code, *found[facet, code], units, cases, queue)
