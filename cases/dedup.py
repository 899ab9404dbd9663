"""Which new cases are duplicates, and of which open case: the engine's side of
cases/duplicates.py.

Every open case that could be a parent sits in a Redis GEO set of its category
(`cases:near:<category>`, kept by the projections in the batch's transaction), so the
candidates of a batch's new reports are one GEOSEARCH each, pipelined, within the category's
radius. ``Pool`` then decides in the order the batch creates its cases, by category,
geodesic distance and time (``find_parent``): an earlier new case of the same batch is a
parent for a later one, so a report sent twice in one batch joins the first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import redis

from cases.alarms import FEED as ALARM_FEED
from cases.duplicates import WIDER, Report, Rule, Rules, duplicate_rules, find_parent
from cases.model import Case
from core.keys import Keys
from core.replies import text

LAT_METRES = 110_574.0  # the shortest degree of latitude (at the equator), in metres
# Redis keeps GEO points within these latitudes (Web Mercator's square); a town is well inside.
GEO_LAT = 85.05112878


def as_report(case: Case) -> Report | None:
    """A case as duplicate detection sees it; None without a point of its own (none at all,
    or its grid's centroid standing in: two such reports are not near each other)."""
    if case.lon is None or case.lat is None or "location_from_grid" in case.flags:
        return None
    return Report(case.id, case.category, case.lon, case.lat, case.reported_at)


def mergeable(case: Case) -> bool:
    """An open report that could be a parent: not merged into another, and not an alarm
    (a station's alarms are one case per metric by construction, never duplicates)."""
    return (
        case.status == "open"
        and case.parent is None
        and case.stage != "merged"
        and case.feed != ALARM_FEED
    )


def near_point(case: Case, rules: Rules | None = None) -> tuple[float, float] | None:
    """The point under which a case belongs in its category's GEO set; None: not there."""
    rules = rules or duplicate_rules()
    if not mergeable(case) or rules.rule(case.category) is None:
        return None
    report = as_report(case)
    if report is None or abs(report.lat) > GEO_LAT:
        return None
    return report.lon, report.lat


def search_radius_m(rule: Rule) -> float:
    """Redis measures on a sphere (error up to ~0.5 %): ask a little wider, decide exactly."""
    return rule.radius_m * WIDER + 1.0


def nearby_ids(
    r: redis.Redis,
    keys: Keys,
    points: Iterable[tuple[str, float, float]],
    rules: Rules | None = None,
) -> list[str]:
    """The ids in the GEO sets within the radius of any of these (category, lon, lat) points
    of new reports, in first-seen order."""
    rules = rules or duplicate_rules()
    pipe = r.pipeline(transaction=False)
    asked = 0
    for category, lon, lat in points:
        rule = rules.rule(category)
        if rule is None or abs(lat) > GEO_LAT:
            continue
        pipe.geosearch(
            keys.near(category), longitude=lon, latitude=lat,
            radius=search_radius_m(rule), unit="m", sort="ASC",
        )  # fmt: skip
        asked += 1
    if not asked:
        return []
    found: list[Any] = pipe.execute()
    return list(dict.fromkeys(text(i) for ids in found for i in ids))


class Pool:
    """The open cases a new report may join, as the batch goes: per category, in bands of
    latitude one radius high, so a report is compared with its neighbours only."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or duplicate_rules()
        self._bands: dict[tuple[str, int], list[str]] = defaultdict(list)
        self._seen: set[str] = set()

    def _band(self, rule: Rule, lat: float) -> int:
        # A degree of latitude is at least 110,574 m: a band is at least a radius high, so
        # every point within the radius is in the report's band or the next one either side.
        return math.floor(lat / (search_radius_m(rule) / LAT_METRES))

    def offer(self, cases: Iterable[Case]) -> None:
        """Candidates; each is checked again (``mergeable``) when a report is compared."""
        for case in cases:
            point = near_point(case, self.rules)
            rule = self.rules.rule(case.category)
            if point is None or rule is None or case.id in self._seen:
                continue
            self._seen.add(case.id)
            self._bands[case.category, self._band(rule, point[1])].append(case.id)

    def parent_of(self, case: Case, current: Mapping[str, Case | None]) -> Case | None:
        """The open case this new one duplicates, as ``current`` has it now; None: none."""
        report = as_report(case)
        rule = self.rules.rule(case.category)
        if report is None or rule is None or case.feed == ALARM_FEED:
            return None
        band = self._band(rule, report.lat)
        nearby = []
        for b in (band - 1, band, band + 1):
            for cid in self._bands.get((case.category, b), ()):
                other = current.get(cid)
                if other is None or cid == case.id or not mergeable(other):
                    continue
                if abs(other.reported_at - case.reported_at) > rule.window:
                    continue
                if (point := as_report(other)) is not None:
                    nearby.append(point)
        parent = find_parent(report, nearby, self.rules) if nearby else None
        return current.get(parent) if parent else None


def reason(child: Case, parent: Case, rules: Rules | None = None) -> str:
    """Why the engine merged a report: what the audit log and the case page say."""
    rule = (rules or duplicate_rules()).rule(child.category)
    if rule is None:
        return f"duplicate of {parent.id}"
    minutes = rule.window.total_seconds() / 60
    return f"duplicate of {parent.id}: same category within {rule.radius_m:g} m and {minutes:g} min"


def parent_candidates(
    r: redis.Redis, keys: Keys, case: Mapping[str, Any], *, radius_m: float, limit: int
) -> list[tuple[str, float]]:
    """The open cases an operator may merge ``case`` into: those of its category within
    ``radius_m`` of it in the set a duplicate joins, nearest first, with their distance in
    metres; never the case itself."""
    lon, lat, category = case.get("lon"), case.get("lat"), case.get("category")
    if not isinstance(lon, int | float) or not isinstance(lat, int | float) or not category:
        return []
    if abs(lat) > GEO_LAT:
        return []
    found: Any = r.geosearch(
        keys.near(str(category)), longitude=lon, latitude=lat, radius=radius_m, unit="m",
        sort="ASC", count=limit + 1, withdist=True,
    )  # fmt: skip
    return [(text(i), float(d)) for i, d in found if text(i) != case.get("id")][:limit]
