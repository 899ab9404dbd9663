"""Declaring an incident: its area from a point and radius, a drawn polygon or an alert; what
the area touches (emergency/footprint.py) from the town's data and what the feeds placed; and
the record stored (emergency/store.py).

Used by the API (a leader by hand) and by the rules (emergency/rules.py), so an incident is the
same whichever way it came.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
import redis
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from cases.facets import matching
from cases.routing import table
from cases.store import get_cases
from core.keys import Keys
from core.replies import text
from emergency import notices, store
from emergency.footprint import Enterprise, Team, circle, footprint, rings, teams_of
from emergency.store import IncidentError
from layers.emergency import Emergency
from layers.sites import sites
from layers.town import Town

Shape = Literal["point", "polygon", "alert"]
MAX_VERTICES = 2_000  # a drawn polygon; more is not drawn by hand
HAZARDS = {"major_hazard": "major", "enterprise_hazard": "general"}
ENTERPRISE_PREFIX = "enterprise:"
MAX_HAZARD_CASES = 5_000
WHOLE = 0.9999  # a grid's share from which it is wholly inside
CHUNK = 2_000  # cases read at once


@dataclass(frozen=True, slots=True)
class Context:
    """What declaring needs besides Redis: the town, its emergency data and its teams."""

    town: Town
    data: Emergency
    teams: Sequence[Team]


def area_of(
    shape: Shape,
    *,
    context: Context,
    point: tuple[float, float] | None = None,
    radius_m: float | None = None,
    polygon: dict[str, Any] | None = None,
    alert: dict[str, Any] | None = None,
) -> BaseGeometry:
    """The incident's area in WGS84; IncidentError (422) when it cannot be one, or when it does
    not touch the town."""
    if shape == "point":
        if point is None or radius_m is None:
            raise IncidentError("a point incident needs `point` and `radius_m`", 422)
        area = circle(context.town, point[0], point[1], radius_m)
    elif shape == "polygon":
        area = _shape(polygon, "the polygon")
        if shapely.get_num_coordinates(area) > MAX_VERTICES:
            raise IncidentError(f"the polygon has more than {MAX_VERTICES} vertices", 422)
    else:
        if alert is None:
            raise IncidentError("no such alert", 422)
        area = _shape((alert.get("attrs") or {}).get("geometry"), "the alert's area")
    if not area.intersects(context.town.boundary):
        raise IncidentError("the area does not touch the town", 422)
    return area


def _shape(geometry: Any, what: str) -> BaseGeometry:
    try:
        area = shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError):
        raise IncidentError(f"{what} is not a GeoJSON geometry", 422) from None
    if area.geom_type not in ("Polygon", "MultiPolygon") or area.is_empty:
        raise IncidentError(f"{what} must be a polygon", 422)
    if not area.is_valid:
        raise IncidentError(f"{what} is not valid: {shapely.is_valid_reason(area)}", 422)
    return area


def enterprises(r: redis.Redis, keys: Keys, now: datetime) -> list[Enterprise]:
    """Every enterprise the feeds placed: the registry's (its newest record, not deregistered
    or moved out), with the grade of its open hazards; a hazard's enterprise the registry does
    not place stands at the hazard's own point."""
    placed: dict[str, Enterprise] = {}
    by_name: dict[str, str] = {}
    for field, raw in r.hscan_iter(keys.latest("metric"), match=f"{ENTERPRISE_PREFIX}*"):
        record = orjson.loads(raw)
        attrs = record.get("attrs") or {}
        if record.get("lon") is None or attrs.get("registration") in ("deregistered", "moved_out"):
            continue
        key = attrs.get("uscc") or record.get("source_id") or str(field)
        name = attrs.get("name") or record.get("title") or key
        placed[key] = Enterprise(
            key, name, record["lon"], record["lat"], None, attrs.get("employees")
        )
        by_name[name] = key
    for category, grade in HAZARDS.items():
        page = matching(r, keys, {"category": category}, now=now, limit=MAX_HAZARD_CASES)
        for case in get_cases(r, keys, page.ids):
            if case.get("lon") is None:
                continue
            key = by_name.get(case["title"], case["title"] or case["id"])
            current = placed.get(key)
            if current is None:
                placed[key] = Enterprise(key, case["title"], case["lon"], case["lat"], grade)
            elif current.hazard != "major":
                placed[key] = Enterprise(
                    key, current.name, current.lon, current.lat, grade, current.employees
                )
    return list(placed.values())


def prepare(
    r: redis.Redis,
    keys: Keys,
    context: Context,
    *,
    title: str,
    shape: Shape,
    area: BaseGeometry,
    actor: str,
    now: datetime,
    point: tuple[float, float] | None = None,
    radius_m: float | None = None,
    source: dict[str, Any] | None = None,
    note: str = "",
) -> dict[str, Any]:
    """The incident record, with what its area touches now."""
    touched = footprint(
        area, context.town, context.data, enterprises=enterprises(r, keys, now), teams=context.teams
    )
    return {
        "id": store.new_id(r, keys, now),
        "title": title,
        "status": "active",
        "shape": shape,
        "point": list(point) if point else None,
        "radius_m": radius_m,
        "source": source or {"kind": "hand"},
        "note": note,
        "declared_at": now.isoformat(),
        "declared_by": actor,
        "ended_at": None,
        "ended_by": None,
        "area": shapely.geometry.mapping(area),
        "rings": rings(context.town, *point) if point else [],
        "footprint": touched,
    }


def scan_inside(r: redis.Redis, keys: Keys, incident: dict[str, Any]) -> dict[str, float]:
    """Every open case inside the area now, with its report time (epoch ms, its facets'
    score): a grid wholly inside whole, from its facet set, without reading a case; of a grid
    the area crosses, the cases whose point is inside. Read once, when the incident is
    declared; `towncc emergency` keeps the index from then on (`follow_case`)."""
    area = prep(shapely.geometry.shape(incident["area"]))
    found: dict[str, float] = {}
    for grid in incident["footprint"]["grids"]:
        scored: Any = r.zrange(keys.facet("grid", grid["code"]), 0, -1, withscores=True)
        if grid["share"] >= WHOLE:
            found.update((text(i), float(score)) for i, score in scored)
            continue
        for start in range(0, len(scored), CHUNK):
            part = [(text(i), float(score)) for i, score in scored[start : start + CHUNK]]
            stored = r.mget([keys.case(i) for i, _ in part])
            for (case_id, score), raw in zip(part, stored, strict=True):
                case = orjson.loads(raw) if raw else {}
                if case.get("lon") is not None and area.intersects(
                    shapely.Point(case["lon"], case["lat"])
                ):
                    found[case_id] = score
    return found


def inside(case: dict[str, Any], incident: dict[str, Any], area: Any) -> bool:
    """Whether an open case is inside an incident's area: its point, or, without one, its
    grid wholly inside (`scan_inside`'s rule, for one case)."""
    if case.get("status") != "open":
        return False
    if case.get("lon") is None:
        whole = {g["code"] for g in incident["footprint"]["grids"] if g["share"] >= WHOLE}
        return case.get("grid") in whole
    return bool(area.intersects(shapely.Point(case["lon"], case["lat"])))


def cases_inside(
    r: redis.Redis, keys: Keys, incident: dict[str, Any], now: datetime, limit: int = 500
) -> tuple[int, list[dict[str, Any]]]:
    """How many open cases are inside the area now, and the newest `limit` of them (by their
    report), from the incident's index (`incident-cases:<id>`)."""
    key = keys.incident_cases(incident["id"])
    pipe = r.pipeline(transaction=False)
    pipe.zcard(key)
    pipe.zrevrange(key, 0, limit - 1)
    total, ids = pipe.execute()
    return int(total), get_cases(r, keys, [text(i) for i in ids], now)


def context_for(town: Town, population: Path, places: Path) -> Context:
    """The town's emergency data, loaded and checked (TownDataError names a bad file), and its
    teams with a base."""
    bases = {code: base.lon_lat for code, base in sites().teams.items()}
    return Context(town, Emergency.load(population, places, town), teams_of(bases, table().teams))


def open_incident(
    r: redis.Redis,
    keys: Keys,
    incident: dict[str, Any],
    *,
    now: datetime,
    minutes: float,
    link_base: str = "",
    source: str | None = None,
) -> tuple[str, bool]:
    """Store a prepared incident (once per `source`) and send its notices to the affected
    grids' staff; its id and whether it is new."""
    incident_id, new = store.declare(r, keys, incident, source=source)
    if new:
        found = scan_inside(r, keys, incident)
        if found:
            r.zadd(keys.incident_cases(incident_id), found)
        notices.issue(r, keys, incident, now=now, minutes=minutes, link_base=link_base)
    return incident_id, new


SECRET = frozenset({"token", "code"})  # a notice's: whoever holds them acknowledges it


def detail(
    r: redis.Redis,
    keys: Keys,
    incident_id: str,
    now: datetime,
    *,
    cases_limit: int = 500,
    timeline_limit: int | None = None,
) -> dict[str, Any] | None:
    """An incident as every screen, the API and the report show it: with the open cases
    inside its area now (how many, and the newest `cases_limit`), its notices (without their
    secrets) and their counts, and its timeline (how long, and its entries: the newest
    `timeline_limit`, or all); None when there is no such incident."""
    incident = store.get(r, keys, incident_id)
    if incident is None:
        return None
    sent = notices.of_incident(r, keys, incident_id)
    total, cases = cases_inside(r, keys, incident, now, cases_limit)
    length, entries = store.timeline(r, keys, incident_id, timeline_limit)
    return {
        **incident,
        "cases": cases,
        "cases_total": total,
        "notices": [{k: v for k, v in n.items() if k not in SECRET} for n in sent],
        "notice_counts": notices.summary(sent),
        "timeline_total": length,
        "timeline": entries,
    }


def current(
    r: redis.Redis,
    keys: Keys,
    now: datetime,
    *,
    cases_limit: int = 500,
    timeline_limit: int | None = None,
) -> tuple[dict[str, Any] | None, int]:
    """The newest active incident in detail (None: none), and how many are active."""
    active = store.active_ids(r, keys)
    for incident_id in active:
        found = detail(r, keys, incident_id, now, cases_limit=cases_limit,
                       timeline_limit=timeline_limit)  # fmt: skip
        if found is not None:
            return found, len(active)
    return None, 0
