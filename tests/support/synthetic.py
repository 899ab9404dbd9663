"""A year of synthetic cases, written through the engine's own transaction as a rebuild
replays them (case, history, indexes, counters, facets and KPI buckets): what the KPI and
tablet benchmarks and the tablet's tests read. Each case is one real case (made by the engine
from an urban report) varied at random: its grid (placed at the grid's representative point),
team, report time over the year, answer, deadline, close, reworks and extensions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import redis

from cases.engine import Engine
from cases.model import Case
from cases.places import Geography
from cases.projections import Change, Writes, commit
from cases.routing import table
from core.keys import Keys
from layers.town import Town
from tests.support.pipeline import drain_now, push
from tests.support.urban import urban_record

BATCH = 2000  # cases per transaction
DAY_S = 24 * 3600


def template(r: redis.Redis, geography: Geography) -> Case:
    """One real case, as the engine made it from an urban report, to vary."""
    keys = Keys("bench-kpi-template:")
    engine = Engine(r, keys, geography)
    engine.ensure_group()
    push(r, keys, [urban_record(1)])
    drain_now(engine)
    (case_key,) = r.keys(keys.case("*"))
    case = Case.from_json(r.get(case_key))  # type: ignore[arg-type]
    r.delete(*r.keys(f"{keys.prefix}*"))
    return case


def synthetic(base: Case, town: Town, count: int, now: datetime, seed: int) -> Iterator[Case]:
    """A year of cases up to ``now``: the facts the figures read, drawn at random."""
    rng = np.random.default_rng(seed)
    codes = [str(c) for c in town.l2.index]
    names = [str(n) for n in town.l2["name"]]
    parent = [str(v) for v in town.l2["village"]]
    villages = [str(v) for v in town.l2["village_name"]]
    spots = [p.coords[0] for p in town.l2.geometry.representative_point()]
    teams = sorted(table().teams)
    # In the order they were reported, as the engine would have met them.
    reported = np.sort(rng.uniform(60, 365 * DAY_S, count))[::-1]  # seconds before now
    grid = rng.integers(0, len(codes), count)
    team = rng.integers(0, len(teams) + 1, count)  # the last: none
    kind = rng.choice(["closed", "open", "parked", "cancelled", "merged"], count,
                      p=[0.72, 0.20, 0.03, 0.03, 0.02])  # fmt: skip
    answer_s = rng.exponential(1800, count)
    answered = rng.random(count) < 0.85
    due_s = rng.uniform(2 * 3600, 72 * 3600, count)
    close_s = rng.uniform(600, 96 * 3600, count)
    reworks = rng.choice([0, 0, 0, 0, 0, 0, 0, 0, 1, 2], count)
    extensions = rng.choice([0] * 19 + [1], count)
    for i in range(count):
        at = now - timedelta(seconds=float(reported[i]))
        closed = at + timedelta(seconds=float(close_s[i]))
        status = str(kind[i])
        if status == "closed" and closed >= now:
            status = "open"
        first = at + timedelta(seconds=float(answer_s[i])) if answered[i] else None
        if first is not None and first >= now:
            first = None
        g = int(grid[i])
        yield replace(
            base,
            id=f"bench:{i}",
            source_id=str(i),
            reported_at=at,
            received_at=at,
            updated_at=closed if status == "closed" else at,
            grid=codes[g],
            lon=float(spots[g][0]),
            lat=float(spots[g][1]),
            grid_name=names[g],
            village=parent[g],
            village_name=villages[g],
            department=teams[int(team[i])] if team[i] < len(teams) else None,
            status="closed" if status == "closed" else "open",
            stage="accepted" if status == "open" else status,
            responded_at=first,
            handling_due=at + timedelta(seconds=float(due_s[i]) * (1 + int(extensions[i]))),
            closed_at=closed if status == "closed" else None,
            rework_count=int(reworks[i]),
            extension_count=int(extensions[i]),
        )


def seed(r: redis.Redis, keys: Keys, cases: Iterator[Case], now: datetime) -> int:
    """Write the cases through the engine's own transaction, BATCH at a time."""
    written = 0
    batch: list[Case] = []
    for case in cases:
        batch.append(case)
        if len(batch) == BATCH:
            written += _commit(r, keys, batch, now)
            batch = []
    if batch:
        written += _commit(r, keys, batch, now)
    return written


def _commit(r: redis.Redis, keys: Keys, batch: list[Case], now: datetime) -> int:
    changes = [Change(None, c, "created", c.id, "0-1") for c in batch]
    writes = Writes(changes=changes, first={c.id: None for c in batch}, now=now)
    commit(r, keys, writes, maxlen=1000, replay=True)
    return len(batch)
