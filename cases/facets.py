"""The open cases that match a set of filters, over every open case: the console's queue and
the tablet's drill-down read them, and count them, here.

Each filter is one of the engine's facet sets (cases/projections.py FACETS: the open cases by
village, grid, category, stage, department and level); several intersect in Redis (ZINTER),
newest report first. `late` keeps the cases late now on either clock (the case view's rule,
from the `cases:late-at` index the engine keeps by the moment each becomes late). The total
is the number of every match, never of a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from cases.tally import late_by
from core.keys import Keys
from core.replies import text

# The open cases by each value of each of these fields (Keys.facet, kept by the engine's
# projections): the console's and the tablet's filters intersect them over every open case.
FACETS: tuple[str, ...] = ("village", "grid", "category", "stage", "department", "level")


@dataclass(frozen=True, slots=True)
class Page:
    total: int  # every open case that matches
    ids: list[str]  # this page of them, newest report first


def matching(
    r: redis.Redis,
    keys: Keys,
    filters: Mapping[str, str],
    *,
    late: bool | None = None,
    now: datetime,
    limit: int,
    offset: int = 0,
) -> Page:
    """The open cases whose facets equal ``filters`` (and, with ``late``, that are or are
    not late at ``now``), newest report first: their number and a page of their ids."""
    unknown = sorted(set(filters) - set(FACETS))
    if unknown:
        raise ValueError(f"no filter {', '.join(unknown)}; one of {', '.join(FACETS)}")
    sets = [keys.facet(name, value) for name, value in sorted(filters.items())]
    if late is None and len(sets) <= 1:
        key = sets[0] if sets else keys.open_cases
        total = int(r.zcard(key))
        found = r.zrevrange(key, offset, offset + limit - 1)
        return Page(total, [text(i) for i in found])
    scored: Any = r.zinter(sets or [keys.open_cases], withscores=True)
    ranked = sorted(((float(score), text(i)) for i, score in scored), reverse=True)
    if late is not None:
        now_late = {text(i) for i in r.zrangebyscore(keys.late_at, "-inf", late_by(now))}
        ranked = [(s, i) for s, i in ranked if (i in now_late) is late]
    return Page(len(ranked), [i for _, i in ranked[offset : offset + limit]])


def tallies(
    r: redis.Redis, keys: Keys, wanted: Sequence[tuple[str, str]], *, now: datetime
) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (facet, value): its open cases, and how many of them are late at ``now`` (the case
    view's rule, as ``matching`` with ``late``). One round trip."""
    unknown = sorted({facet for facet, _ in wanted} - set(FACETS))
    if unknown:
        raise ValueError(f"no facet {', '.join(unknown)}; one of {', '.join(FACETS)}")
    pipe = r.pipeline(transaction=False)
    pipe.zrangebyscore(keys.late_at, "-inf", late_by(now))
    for facet, value in wanted:
        pipe.zrange(keys.facet(facet, value), 0, -1)
    late, *members = pipe.execute()
    now_late = {text(i) for i in late}
    return {
        pair: (len(found), sum(1 for i in found if text(i) in now_late))
        for pair, found in zip(wanted, members, strict=True)
    }
