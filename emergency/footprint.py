"""What an incident's area touches: the one function every screen, the API and the report read.

Everything is measured in the town's UTM zone (metres), never in degrees:

- **grids**: the level-2 grids the area overlaps with a positive area, each with its `share`
  (the part of the grid's area inside); a grid the area only touches along a border is not one.
- **people**: area-weighted. A grid's residents (常住) and registered people (户籍) are assumed
  spread evenly over it, so the people inside are Σ share × the grid's count, rounded once, on
  the total (each grid's own figure is rounded for display only).
- **vulnerable sites** and **enterprises**: the points inside the area (on its border counts).
- **shelters**: those within `SHELTER_REACH_M` of the area, nearest first, each saying whether it
  is itself inside (a shelter inside may be unusable).
- **resources**: those within `RESOURCE_REACH_M`, and of every kind the nearest one even when it
  is farther, nearest first; **teams**: every team base, nearest first. Distances are to the
  area (0 inside), in whole metres.
- **staff**: the 一长五员 of every affected grid, to call and to notify.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from layers.emergency import Emergency
from layers.town import WGS84, Town

RINGS_M = (500, 1000, 3000)  # drawn round a point incident
SHELTER_REACH_M = 3000.0
RESOURCE_REACH_M = 5000.0
CIRCLE_SEGMENTS = 32  # per quarter circle


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An enterprise the feeds placed: the registry's point, or a hazard report's."""

    id: str  # the unified social credit code, or the hazard report's enterprise name
    name: str
    lon: float
    lat: float
    hazard: str | None = None  # "major" (重大隐患 open), "general", or None
    employees: int | None = None


@dataclass(frozen=True, slots=True)
class Team:
    code: str
    zh: str
    en: str
    lon: float
    lat: float


def _to(geometry: BaseGeometry, source: str, target: str) -> BaseGeometry:
    moved: BaseGeometry = gpd.GeoSeries([geometry], crs=source).to_crs(target).iloc[0]
    return moved


def _points(lon_lat: Sequence[tuple[float, float]], crs: str) -> gpd.GeoSeries:
    lons, lats = [p[0] for p in lon_lat], [p[1] for p in lon_lat]
    return gpd.GeoSeries(gpd.points_from_xy(lons, lats), crs=WGS84).to_crs(crs)


def metric_crs(town: Town) -> str:
    """The town's UTM zone, as an EPSG code."""
    return str(town.l2.estimate_utm_crs().to_string())


def circle(town: Town, lon: float, lat: float, radius_m: float) -> BaseGeometry:
    """A circle of `radius_m` metres round a point, as a WGS84 polygon (drawn in metres)."""
    crs = metric_crs(town)
    centre = _to(shapely.Point(lon, lat), WGS84, crs)
    ring = _to(centre.buffer(radius_m, quad_segs=CIRCLE_SEGMENTS), crs, WGS84)
    rounded: BaseGeometry = shapely.set_precision(ring, 1e-6)
    return rounded


def footprint(
    area: BaseGeometry,
    town: Town,
    data: Emergency,
    *,
    enterprises: Sequence[Enterprise] = (),
    teams: Sequence[Team] = (),
) -> dict[str, Any]:
    """What `area` (WGS84) touches, as plain JSON values (the module's docstring says how)."""
    crs = metric_crs(town)
    zone = _to(area, WGS84, crs)
    grids = _grids(zone, town, data, crs)
    people = {
        column: round(sum(g["share"] * _count(data, g["code"], column) for g in grids))
        for column in ("resident", "registered")
    }
    places = data.places.to_crs(crs)
    distance = places.geometry.distance(zone)
    inside = places.geometry.intersects(zone)
    villages = {g["village"]: g["village_name"] for g in grids}
    return {
        "grids": [{**g, "share": round(g["share"], 4)} for g in grids],
        "villages": [{"code": c, "name": n} for c, n in sorted(villages.items())],
        "population": {**people, "method": "area-weighted"},
        "vulnerable": _rows(data, places.index[(places["layer"] == "vulnerable") & inside]),
        "shelters": _rows(
            data,
            _nearest(distance[(places["layer"] == "shelter") & (distance <= SHELTER_REACH_M)]),
            distance,
            inside,
        ),
        "resources": _rows(data, _resources(places, distance), distance),
        "enterprises": _enterprises(enterprises, zone, crs),
        "teams": _teams(teams, zone, crs),
        "staff": [
            {"grid": g["code"], **dataclasses.asdict(person)}
            for g in grids
            for person in town.roster.get(g["code"], [])
        ],
    }


def _grids(zone: BaseGeometry, town: Town, data: Emergency, crs: str) -> list[dict[str, Any]]:
    metric = town.l2.to_crs(crs)
    overlap = metric.geometry.intersection(zone).area
    share = overlap / metric.geometry.area
    found = []
    for code in metric.index[overlap > 0]:
        info = town.grid_info(code)
        found.append(
            {
                "code": code,
                "name": info.name,
                "village": info.village,
                "village_name": info.village_name,
                "share": float(min(1.0, share[code])),
                "resident": round(float(share[code]) * _count(data, code, "resident")),
                "registered": round(float(share[code]) * _count(data, code, "registered")),
            }
        )
    return found


def _count(data: Emergency, code: str, column: str) -> float:
    value: Any = data.population.at[code, column]
    return float(value)


def _nearest(distance: gpd.GeoSeries | Any) -> list[str]:
    return [str(i) for i in distance.sort_values(kind="stable").index]


def _resources(places: gpd.GeoDataFrame, distance: Any) -> list[str]:
    resource = places["layer"] == "resource"
    near = set(distance[resource & (distance <= RESOURCE_REACH_M)].index)
    for _, group in distance[resource].groupby(places["kind"][resource]):
        near.add(group.sort_values(kind="stable").index[0])
    return _nearest(distance[list(near)])


def _rows(
    data: Emergency, ids: Iterable[str], distance: Any = None, inside: Any = None
) -> list[dict[str, Any]]:
    rows = []
    for place_id in ids:
        place = data.places.loc[place_id]
        row: dict[str, Any] = {
            "id": place_id,
            "kind": place["kind"],
            "name": place["name"],
            "contact": place["contact"],
            "phone": place["phone"],
            "lon": round(float(place.geometry.x), 6),
            "lat": round(float(place.geometry.y), 6),
        }
        if place["layer"] == "shelter":
            row["capacity"] = int(place["capacity"])
        if distance is not None:
            row["distance_m"] = round(float(distance[place_id]))
        if inside is not None:
            row["inside"] = bool(inside[place_id])
        rows.append(row)
    return rows


def _enterprises(
    enterprises: Sequence[Enterprise], zone: BaseGeometry, crs: str
) -> list[dict[str, Any]]:
    rank = {"major": 0, "general": 1, None: 2}
    if not enterprises:
        return []
    inside = _points([(e.lon, e.lat) for e in enterprises], crs).intersects(zone)
    found = [e for e, hit in zip(enterprises, inside, strict=True) if hit]
    found.sort(key=lambda e: (rank.get(e.hazard, 2), e.name, e.id))
    return [
        {"id": e.id, "name": e.name, "hazard": e.hazard, "employees": e.employees,
         "lon": e.lon, "lat": e.lat}
        for e in found
    ]  # fmt: skip


def _teams(teams: Sequence[Team], zone: BaseGeometry, crs: str) -> list[dict[str, Any]]:
    if not teams:
        return []
    distance = _points([(t.lon, t.lat) for t in teams], crs).distance(zone)
    rows = [
        {"code": t.code, "zh": t.zh, "en": t.en, "distance_m": round(float(d))}
        for t, d in zip(teams, distance, strict=True)
    ]
    return sorted(rows, key=lambda row: (row["distance_m"], row["code"]))


def rings(town: Town, lon: float, lat: float) -> list[dict[str, Any]]:
    """The 500 m / 1 km / 3 km rings round a point incident, as GeoJSON geometries."""
    return [
        {"radius_m": radius, "geometry": shapely.geometry.mapping(circle(town, lon, lat, radius))}
        for radius in RINGS_M
    ]


def teams_of(bases: Mapping[str, tuple[float, float]], names: Mapping[str, Any]) -> list[Team]:
    """The teams that have a base (layers/data/sites.json) with their names (routing.json)."""
    return [
        Team(code, names[code].zh, names[code].en, lon, lat)
        for code, (lon, lat) in sorted(bases.items())
        if code in names
    ]
