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


def units_of(facts: CaseFacts) -> tuple[tuple[str, str], ...]:
    """(grouping, unit) of every copy of a case's contribution."""
    return tuple((grouping, unit_of(facts, grouping)) for grouping in (*GROUPINGS, TOWN))


@dataclass(slots=True)
class Batch:
    """What one transaction writes to the buckets: (hash, field) → amount, sorted set → case
    id → score, sorted set → case ids to take out."""

    root: str  # keys.kpi(""): the keys are keys.kpi(kind, grouping, piece) and so on, spelled out
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    add: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    drop: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    years: set[int] = field(default_factory=set)

    def place(
        self,
        case_id: str,
        units: tuple[tuple[str, str], ...],
        sign: int,
        counts: Counter[tuple[str, str, str]],
        members: Mapping[tuple[str, str], int],
    ) -> None:
        """Counters (times ``sign``) and sorted-set memberships (added when ``sign`` is 1,
        taken out when -1) of one case, once per (grouping, unit)."""
        root = self.root
        for grouping, unit in units:
            for (kind, piece, metric), amount in counts.items():
                self.counts[(f"{root}{kind}:{grouping}:{piece}", f"{unit}|{metric}")] += (
                    sign * amount
                )
            for (name, piece), score in members.items():
                key = f"{root}{name}:{grouping}:{unit}" + (f":{piece}" if piece else "")
                if sign > 0:
                    self.add[key][case_id] = score
                else:
                    self.drop[key].append(case_id)

    def move(self, case_id: str, old: CaseFacts | None, new: CaseFacts) -> None:
        """A case's contribution from what it was to what it is. In the same units (most
        changes) only the difference is placed; moved to other units, all of it."""
        now = marks(new)
        self.years |= now.years
        if old is None:
            self.place(case_id, units_of(new), 1, now.counts, now.members)
            return
        was = marks(old)
        if units_of(old) != units_of(new):
            self.place(case_id, units_of(old), -1, was.counts, was.members)
            self.place(case_id, units_of(new), 1, now.counts, now.members)
            return
        counts = Counter(now.counts)
        counts.subtract(was.counts)
        changed = {k: v for k, v in counts.items() if v}
        gone = {k: v for k, v in was.members.items() if k not in now.members}
        moved = {k: v for k, v in now.members.items() if was.members.get(k) != v}
        units = units_of(new)
        self.place(case_id, units, 1, Counter(changed), moved)
        self.place(case_id, units, -1, Counter(), gone)


def write(
    pipe: redis.client.Pipeline,
    keys: Keys,
    first: Mapping[str, Case | None],
    last: Mapping[str, Case],
) -> None:
    """Queue the buckets' changes for these cases (before the batch → after it) on ``pipe``."""
    batch = Batch(keys.kpi(""))
    for case_id, after in last.items():
        before = first.get(case_id)
        old, new = None if before is None else facts_of_case(before), facts_of_case(after)
        if old != new:
            batch.move(case_id, old, new)
    counts, add, drop, years = batch.counts, batch.add, batch.drop, batch.years
    for (key, name), delta in counts.items():
        if delta:
            pipe.hincrby(key, name, delta)
    for key, ids in drop.items():  # first: a case moved to another grid stays in the town
        pipe.zrem(key, *ids)
    for key, mapping in add.items():
        pipe.zadd(key, mapping)
    if years:
        pipe.sadd(keys.kpi(YEARS), *sorted(years))
