"""Counters over every open case, kept in the engine's own transaction (cases/projections.py).

The wall's header and module panels show counts over the whole town, never over the capped
snapshot of the newest cases. The engine keeps them as it writes the cases, in the same
MULTI/EXEC, so a count always agrees with the cases it counts; a rebuild replays the same
transactions and so rebuilds them identically.

- ``cases:tally`` (hash): open cases by the dimensions the panels show (`tally_fields`).
- ``cases:hazard-enterprises`` (hash): enterprise (`enterprise_of`) → its open hazard cases.
- ``cases:late-at`` and ``cases:response-late-at`` (sorted sets): each open case that can be
  late, scored by the moment it becomes late on either clock, or on its first response
  (cases/view.py `countdowns`), in epoch microseconds (`late_score`); kept with the engine's
  other sorted sets (cases/projections.py `LATE_INDEXES`). "Late now" is then a range count
  below now: no write happens when only time passes, and the count equals the case view's
  at any moment. Closed cases leave every index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime

import redis

from cases.model import Case
from cases.view import level_of
from core.keys import Keys

HAZARD_FEED = "safety"  # the feed whose open cases are enterprises' open safety hazards
# The combinations of dimensions a count is kept for (and may be asked for), in this order.
# A case without a department (no team holds it yet) is not counted by department.
DIMENSIONS: frozenset[tuple[str, ...]] = frozenset(
    {
        (),
        ("level",),
        ("feed",),
        ("category",),
        ("department",),
        ("feed", "level"),
        ("feed", "category"),
    }
)
ORDER = ("feed", "category", "department", "level")


def tally_field(
    feed: str | None = None,
    category: str | None = None,
    level: str | None = None,
    department: str | None = None,
) -> str:
    """The `cases:tally` field counting open cases of these values (None: any)."""
    given = {"feed": feed, "category": category, "department": department, "level": level}
    dims = tuple(d for d in ORDER if given[d] is not None)
    if dims not in DIMENSIONS:
        raise ValueError(f"no open count is kept by {' and '.join(dims)}; kept: {_kept()}")
    return "|".join(f"{d}={given[d]}" for d in dims) or "open"


def _kept() -> str:
    return ", ".join(sorted(" and ".join(d) or "all" for d in DIMENSIONS))


def tally_fields(case: Case) -> tuple[str, ...]:
    """The `cases:tally` fields an open case counts in (`tally_field` of each combination of
    DIMENSIONS, written out: this runs for every case the engine writes)."""
    feed, category, level = f"feed={case.feed}", f"category={case.category}", level_of(case)
    fields = (
        "open",
        f"level={level}",
        feed,
        category,
        f"{feed}|level={level}",
        f"{feed}|{category}",
    )
    return (*fields, f"department={case.department}") if case.department else fields


def enterprise_of(case: Case) -> str | None:
    """The enterprise an open hazard case is about (its title: the enterprise's name), or
    None when the case is not a hazard case."""
    if case.feed != HAZARD_FEED:
        return None
    return case.title or case.id


EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def late_score(moment: datetime | None) -> int | None:
    """A moment as a late index's score: epoch microseconds (exact in a double until 2255)."""
    if moment is None:
        return None
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def late_by(now: datetime) -> str:
    """The late indexes' bound for "late at ``now``": a deadline strictly before it (ZRANGE
    and ZCOUNT's exclusive form), the case view's rule."""
    return f"({late_score(now)}"


def _open(case: Case | None) -> Case | None:
    return case if case is not None and case.status == "open" else None


def keep_counts(
    pipe: redis.client.Pipeline,
    keys: Keys,
    first: Mapping[str, Case | None],
    last: Mapping[str, Case],
) -> None:
    """Move every counter from the cases before a batch to them after it (the late indexes
    are sorted sets the projections keep with the others: cases/projections.py INDEXES)."""
    tally: Counter[str] = Counter()
    enterprises: Counter[str] = Counter()
    for case_id, after in last.items():
        before, now_open = _open(first.get(case_id)), _open(after)
        old = tally_fields(before) if before is not None else ()
        new = tally_fields(now_open) if now_open is not None else ()
        if old != new:  # most changes move a case within its counts: nothing to write
            for name in old:
                tally[name] -= 1
            for name in new:
                tally[name] += 1
        was = enterprise_of(before) if before is not None else None
        is_now = enterprise_of(now_open) if now_open is not None else None
        if was != is_now:
            if was is not None:
                enterprises[was] -= 1
            if is_now is not None:
                enterprises[is_now] += 1
    for key, deltas in ((keys.tally, tally), (keys.hazard_enterprises, enterprises)):
        for name, delta in deltas.items():
            if delta:
                pipe.hincrby(key, name, delta)
