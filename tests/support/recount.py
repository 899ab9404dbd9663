"""Every count recounted from the case records alone (SCAN of `case:*`), to check the
engine's counters (cases/tally.py) against."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import orjson
import redis

from cases.counts import read_counts
from cases.facets import FACETS
from cases.tally import DIMENSIONS, tally_field
from cases.view import case_view, level_of
from core.keys import Keys, glob_escape


def open_records(r: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    names = sorted(r.scan_iter(match=glob_escape(keys.case("")) + "*", count=1000))
    found = [orjson.loads(v) for v in r.mget(names)] if names else []
    return [c for c in found if c.get("status") == "open"]


def recount(r: redis.Redis, keys: Keys, now: datetime) -> dict[str, Any]:
    cases = open_records(r, keys)
    views = [case_view(c, now) for c in cases]
    tally: Counter[str] = Counter()
    for c in cases:
        values = {
            "feed": c["feed"],
            "category": c["category"],
            "level": level_of(c),
            "department": c.get("department"),
        }
        for dims in DIMENSIONS:
            if all(values[d] for d in dims):  # no department: not counted by department
                tally[tally_field(**{d: values[d] for d in dims})] += 1
    return {
        "open_total": len(cases),
        "late": sum(v.late for v in views),
        "response_overdue": sum(v.overdue for v in views),
        "hazard_enterprises": len({c["title"] for c in cases if c["feed"] == "safety"}),
        "hazards_by_enterprise": dict(Counter(c["title"] for c in cases if c["feed"] == "safety")),
        "village_open": dict(Counter(c["village"] for c in cases if c.get("village"))),
        "tally": dict(tally),
        "facets": facet_recount(cases),
    }


def facet_recount(cases: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """The open cases by each value of each facet, from the records."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in cases:
        for name in FACETS:
            if c.get(name):
                found[(name, c[name])].append(c["id"])
    return {k: sorted(v) for k, v in found.items()}


def counted(r: redis.Redis, keys: Keys, now: datetime) -> dict[str, Any]:
    """The same figures as the engine's counters give them (cases/counts.py)."""
    counts = read_counts(r, keys, now)
    return {
        "open_total": counts.open_total,
        "late": counts.late,
        "response_overdue": counts.response_overdue,
        "hazard_enterprises": counts.hazard_enterprises,
        "hazards_by_enterprise": dict(counts.hazards_by_enterprise),
        "village_open": dict(counts.village_open),
        "tally": dict(counts.tally),
        "facets": facet_sets(r, keys),
    }


def facet_sets(r: redis.Redis, keys: Keys) -> dict[tuple[str, str], list[str]]:
    """Every facet set the engine keeps (cases/projections.py FACETS), as its members: the
    sets of every value any case record has (open or closed: a set a closed case was left in
    shows), read without a SCAN of the keyspace per facet."""
    names = sorted(r.scan_iter(match=glob_escape(keys.case("")) + "*", count=1000))
    records = [orjson.loads(v) for v in r.mget(names)] if names else []
    wanted = sorted({(n, str(c[n])) for c in records for n in FACETS if c.get(n)})
    pipe = r.pipeline(transaction=False)
    for name, value in wanted:
        pipe.zrange(keys.facet(name, value), 0, -1)
    found: dict[tuple[str, str], list[str]] = {}
    for key, members in zip(wanted, pipe.execute(), strict=True):
        if members:
            found[key] = sorted(str(m) for m in members)
    return found
