"""What an incident's area touches, checked against the same figures computed here on their own
with geopandas (overlay, spatial join, distances) from the same data files."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from emergency.footprint import (
    RESOURCE_REACH_M,
    SHELTER_REACH_M,
    Enterprise,
    circle,
    footprint,
)
from layers.emergency import default_emergency
from layers.town import WGS84, Town, default_town
from tests.support.areas import two_villages_area


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


def across_two_villages(town: Town) -> BaseGeometry:
    return two_villages_area(town)


def expected(area: BaseGeometry, town: Town) -> dict[str, object]:
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


def found(touched: dict[str, object]) -> dict[str, object]:
    def ids(name: str) -> set[str]:
        return {row["id"] for row in touched[name]}  # type: ignore[attr-defined]

    return {
        "grids": {g["code"] for g in touched["grids"]},  # type: ignore[attr-defined]
        "villages": {v["code"] for v in touched["villages"]},  # type: ignore[attr-defined]
        "resident": touched["population"]["resident"],  # type: ignore[index]
        "registered": touched["population"]["registered"],  # type: ignore[index]
        "vulnerable": ids("vulnerable"),
        "shelters": ids("shelters"),
        "resources": ids("resources"),
    }


def test_an_area_over_two_villages_touches_what_geopandas_finds(town: Town) -> None:
    area = across_two_villages(town)
    touched = footprint(area, town, default_emergency())
    assert found(touched) == expected(area, town)
    assert len(touched["villages"]) == 2
    assert 0 < touched["population"]["resident"] < 180_000
    distances = [r["distance_m"] for r in touched["resources"]]
    assert distances == sorted(distances)


@pytest.mark.parametrize("radius", [500, 1000, 3000])
def test_a_point_incident_touches_what_geopandas_finds(town: Town, radius: int) -> None:
    area = circle(town, *town.centre, radius)
    touched = footprint(area, town, default_emergency())
    assert found(touched) == expected(area, town)
    staff = {(p["grid"], p["phone"]) for p in touched["staff"]}
    assert staff == {(g, p.phone) for g in found(touched)["grids"] for p in town.roster[g]}  # type: ignore[attr-defined]


def test_a_circle_is_drawn_in_metres(town: Town) -> None:
    utm = town.l2.estimate_utm_crs()
    area = gpd.GeoSeries([circle(town, *town.centre, 1000)], crs=WGS84).to_crs(utm).area[0]
    assert area == pytest.approx(math.pi * 1000**2, rel=0.005)


def test_a_village_does_not_touch_the_grids_it_only_borders(town: Town) -> None:
    village = town.l1.index[0]
    touched = footprint(town.l1.geometry.iloc[0], town, default_emergency())
    assert {g["village"] for g in touched["grids"]} == {village}
    assert all(g["share"] == pytest.approx(1.0, abs=1e-3) for g in touched["grids"])


def test_enterprises_inside_come_first_by_hazard(town: Town) -> None:
    x, y = town.centre
    inside = [
        Enterprise("A", "甲厂", x, y),
        Enterprise("B", "乙厂", x + 0.001, y, hazard="major"),
        Enterprise("C", "丙厂", x, y + 0.001, hazard="general"),
    ]
    far = Enterprise("D", "丁厂", x + 0.2, y)
    touched = footprint(
        circle(town, x, y, 500), town, default_emergency(), enterprises=[*inside, far]
    )
    assert [(e["id"], e["hazard"]) for e in touched["enterprises"]] == [
        ("B", "major"), ("C", "general"), ("A", None)
    ]  # fmt: skip


def test_an_area_outside_the_town_touches_nothing_of_it(town: Town) -> None:
    far = shapely.Point(town.centre[0] + 5, town.centre[1]).buffer(0.05)
    touched = footprint(far, town, default_emergency())
    assert touched["grids"] == [] and touched["population"]["resident"] == 0
