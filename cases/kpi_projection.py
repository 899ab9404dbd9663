"""Write side of the KPI buckets: what a batch's changed cases add and take away, written
into the engine's MULTI/EXEC with the projections (cases/projections.py calls ``write``), so a
rebuild replaying the journal writes the very same buckets.

Each case counts in its grid, its village, its department and the town; a change moves its
contribution (cases/kpi_buckets.py ``marks``) from what it was to what it is: counters by
HINCRBY of the difference, sorted-set members by ZADD or ZREM. A change that leaves a case's
assessment facts as they were (most feed updates) writes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import redis

from cases.kpi import CaseFacts
from cases.kpi_buckets import GROUPINGS, TOWN, YEARS, marks, unit_of
from cases.kpi_store import facts_of_case
from cases.model import Case
from core.keys import Keys


@dataclass(slots=True)
class Placed:
    """One case's contribution with its units: (hash, field) → amount, sorted set → score."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    members: dict[str, int] = field(default_factory=dict)
    years: set[int] = field(default_factory=set)


def placed(keys: Keys, facts: CaseFacts | None) -> Placed:
    """Where a case's contribution goes: one copy per grouping, under its unit there."""
    found = Placed()
    if facts is None:
        return found
    contribution = marks(facts)
    found.years = contribution.years
    root = keys.kpi("")  # the keys are keys.kpi(kind, grouping, piece) and so on, spelled out
    for grouping in (*GROUPINGS, TOWN):
        unit = unit_of(facts, grouping)
        for (kind, piece, metric), amount in contribution.counts.items():
            found.counts[(f"{root}{kind}:{grouping}:{piece}", f"{unit}|{metric}")] += amount
        for (name, piece), score in contribution.members.items():
            tail = f":{piece}" if piece else ""
            found.members[f"{root}{name}:{grouping}:{unit}{tail}"] = score
    return found


def write(
    pipe: redis.client.Pipeline,
    keys: Keys,
    first: Mapping[str, Case | None],
    last: Mapping[str, Case],
) -> None:
    """Queue the buckets' changes for these cases (before the batch → after it) on ``pipe``."""
    counts: Counter[tuple[str, str]] = Counter()
    add: dict[str, dict[str, int]] = defaultdict(dict)
    drop: dict[str, list[str]] = defaultdict(list)
    years: set[int] = set()
    for case_id, after in last.items():
        before = first.get(case_id)
        old, new = None if before is None else facts_of_case(before), facts_of_case(after)
        if old == new:
            continue
        was, now = placed(keys, old), placed(keys, new)
        counts.update(now.counts)
        counts.subtract(was.counts)
        for key, score in now.members.items():
            if was.members.get(key) != score:
                add[key][case_id] = score
        for key in was.members.keys() - now.members.keys():
            drop[key].append(case_id)
        years |= now.years
    for (key, name), delta in counts.items():
        if delta:
            pipe.hincrby(key, name, delta)
    for key, mapping in add.items():
        pipe.zadd(key, mapping)
    for key, ids in drop.items():
        pipe.zrem(key, *ids)
    if years:
        pipe.sadd(keys.kpi(YEARS), *sorted(years))
