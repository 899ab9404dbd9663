"""What an incident's area touches, checked against the same figures computed here on their own
with geopandas (overlay, spatial join, distances) from the same data files."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from emergency.footprint import (
    Enterprise,
    circle,
    footprint,
)
from layers.emergency import default_emergency
from layers.town import WGS84, Town, default_town
from tests.support.areas import found_footprint, independent_footprint, two_villages_area


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


def across_two_villages(town: Town) -> BaseGeometry:
    return two_villages_area(town)


def test_an_area_over_two_villages_touches_what_geopandas_finds(town: Town) -> None:
    area = across_two_villages(town)
    touched = footprint(area, town, default_emergency())
    assert found_footprint(touched) == independent_footprint(area, town)
    assert len(touched["villages"]) == 2
    assert 0 < touched["population"]["resident"] < 180_000
    distances = [r["distance_m"] for r in touched["resources"]]
    assert distances == sorted(distances)


@pytest.mark.parametrize("radius", [500, 1000, 3000])
def test_a_point_incident_touches_what_geopandas_finds(town: Town, radius: int) -> None:
    area = circle(town, *town.centre, radius)
    touched = footprint(area, town, default_emergency())
    assert found_footprint(touched) == independent_footprint(area, town)
    staff = {(p["grid"], p["phone"]) for p in touched["staff"]}
    assert staff == {
        (g, p.phone) for g in found_footprint(touched)["grids"] for p in town.roster[g]
    }  # type: ignore[attr-defined]


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
