"""Incident areas the tests draw on the demo town."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from emergency.footprint import RESOURCE_REACH_M, SHELTER_REACH_M
from layers.emergency import default_emergency
from layers.town import WGS84, Town


def two_villages_area(town: Town, radius_deg: float = 0.008) -> BaseGeometry:
    """A polygon round the middle of the longest border two villages share, within those two
    villages only: it covers part of each (a CAP polygon's shape, as the tests send it)."""
    frame = town.l1
    best: tuple[float, str, str] = (0.0, "", "")
    for i, a in enumerate(frame.index):
        for b in frame.index[i + 1 :]:
            shared = frame.geometry[a].intersection(frame.geometry[b]).length
            best = max(best, (shared, a, b))
    _, a, b = best
    border = frame.geometry[a].intersection(frame.geometry[b])
    middle = border.interpolate(0.5, normalized=True)
    both = shapely.union(frame.geometry[a], frame.geometry[b])
    area: BaseGeometry = shapely.set_precision(middle.buffer(radius_deg).intersection(both), 1e-6)
    return area


def independent_footprint(area: BaseGeometry, town: Town) -> dict[str, object]:
    """What `area` touches, computed here on its own with geopandas (overlay, spatial join,
    distances) from the same data files: the tests hold emergency/footprint.py to it."""
    utm = town.l2.estimate_utm_crs()
    zone = gpd.GeoDataFrame(geometry=[area], crs=WGS84).to_crs(utm)
    grids = town.l2.to_crs(utm).reset_index()
    grids["whole"] = grids.area
    pieces = gpd.overlay(grids, zone, how="intersection")
    pieces = pieces[pieces.area > 0]
    share = dict(zip(pieces["code"], pieces.area / pieces["whole"], strict=True))
    people = default_emergency().population
    places = default_emergency().places.to_crs(utm)
    joined = gpd.sjoin(places, zone, predicate="intersects")
    distance = places.distance(zone.geometry.iloc[0])
    resources = places[places["layer"] == "resource"]
    near = set(resources.index[distance[resources.index] <= RESOURCE_REACH_M])
    near |= {distance[group.index].idxmin() for _, group in resources.groupby("kind")}
    shelters = places.index[(places["layer"] == "shelter") & (distance <= SHELTER_REACH_M)]
    return {
        "grids": set(share),
        "villages": set(town.l2.loc[list(share), "village"]),
        "resident": round(sum(s * people.at[g, "resident"] for g, s in share.items())),
        "registered": round(sum(s * people.at[g, "registered"] for g, s in share.items())),
        "vulnerable": set(joined.index[joined["layer"] == "vulnerable"]),
        "shelters": set(shelters),
        "resources": near,
    }


def found_footprint(touched: dict[str, Any]) -> dict[str, object]:
    """The same figures read from a footprint (emergency/footprint.py's answer)."""

    def ids(name: str) -> set[str]:
        return {row["id"] for row in touched[name]}

    return {
        "grids": {g["code"] for g in touched["grids"]},
        "villages": {v["code"] for v in touched["villages"]},
        "resident": touched["population"]["resident"],
        "registered": touched["population"]["registered"],
        "vulnerable": ids("vulnerable"),
        "shelters": ids("shelters"),
        "resources": ids("resources"),
    }


def cap_xml(
    area: BaseGeometry,
    *,
    severity: str,
    sent: datetime,
    identifier: str,
    hours: float = 6,
    msg_type: str = "Alert",
    references: str = "",
) -> bytes:
    """A CAP 1.2 alert (one zh-CN info) whose area is `area`'s outline, in force for `hours`;
    an Update or a Cancel names the message it references (`sender,identifier,sent`)."""
    outline = area.geoms[0] if hasattr(area, "geoms") else area
    ring = shapely.get_coordinates(shapely.get_exterior_ring(outline))
    polygon = " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring)
    expires = sent + timedelta(hours=hours)
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>江阴市气象台</sender>
  <sent>{sent.isoformat(timespec="seconds")}</sent><status>Actual</status>
  <msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info><language>zh-CN</language><category>Met</category><event>暴雨</event>
    <urgency>Immediate</urgency><severity>{severity}</severity><certainty>Observed</certainty>
    <expires>{expires.isoformat(timespec="seconds")}</expires>
    <headline>江阴市气象台发布暴雨红色预警</headline><description>特大暴雨。</description>
    <area><areaDesc>霞客镇部分村</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>""".encode()
