"""Duplicate reports: same category, within radius and window; the earliest is the parent."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from cases.duplicates import (
    DUPLICATES_FILE,
    Report,
    distance_m,
    distances_m,
    duplicate_rules,
    find_parent,
    matches,
    search_box,
)

T0 = datetime(2026, 11, 28, 1, 12, tzinfo=UTC)
CROSSING = (120.39871, 31.78564)  # 璜塘路与人民路口, WGS84
MINUTE = timedelta(minutes=1)
GEOD = Geod(ellps="WGS84")  # the tests' own, to place points at known distances


def offset(
    metres: float, azimuth: float = 45.0, origin: tuple[float, float] = CROSSING
) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(origin[0], origin[1], azimuth, metres)
    return float(lon), float(lat)


def report(
    id: str,
    metres: float = 0.0,
    minutes: float = 0.0,
    category: str = "parking",
    azimuth: float = 45.0,
) -> Report:
    lon, lat = offset(metres, azimuth)
    return Report(id, category, lon, lat, T0 + minutes * MINUTE)


def edited(tmp_path: Path, edit: Callable[[dict[str, Any]], object]) -> Path:
    data = json.loads(DUPLICATES_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "duplicates.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ---- distance and the search box -------------------------------------------------------------


def test_distance_is_geodesic_metres_not_degrees() -> None:
    lon, lat = CROSSING
    assert distance_m(lon, lat, lon, lat) == 0
    # One minute of arc on the WGS84 ellipsoid, along the meridian (radius M, taken at the
    # middle of the arc) and along the parallel (N cos φ); degrees would call both the same.
    a, e2, arc = 6378137.0, 0.00669437999014, math.radians(1 / 60)

    def w(degrees: float) -> float:
        return 1 - e2 * math.sin(math.radians(degrees)) ** 2

    north = distance_m(lon, lat, lon, lat + 1 / 60)
    assert north == pytest.approx(a * (1 - e2) / w(lat + 1 / 120) ** 1.5 * arc, rel=1e-6)
    assert round(north) == 1848
    east = distance_m(lon, lat, lon + 1 / 60, lat)
    assert east == pytest.approx(
        a / math.sqrt(w(lat)) * math.cos(math.radians(lat)) * arc, rel=1e-6
    )
    assert distance_m(lon, lat, *offset(50.0)) == pytest.approx(50.0, abs=1e-6)


def test_distances_to_many_points_at_once() -> None:
    points = [offset(m, az) for m, az in ((10, 0), (50, 90), (120, 200))]
    got = distances_m(*CROSSING, [p[0] for p in points], [p[1] for p in points])
    assert got.tolist() == pytest.approx([10, 50, 120], abs=1e-6)


def test_the_search_box_holds_the_circle_and_little_more() -> None:
    min_lon, min_lat, max_lon, max_lat = search_box(*CROSSING, 50.0)
    for azimuth in range(0, 360, 15):
        lon, lat = offset(50.0, azimuth)
        assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
    width = distance_m(min_lon, CROSSING[1], max_lon, CROSSING[1])
    height = distance_m(CROSSING[0], min_lat, CROSSING[0], max_lat)
    assert 100 <= width <= 102 and 100 <= height <= 102


def test_the_search_box_at_the_edges_of_the_map() -> None:
    assert search_box(*CROSSING, 0) == pytest.approx((*CROSSING, *CROSSING))
    near_pole = search_box(10.0, 89.9999, 100.0)
    assert (near_pole[0], near_pole[2], near_pole[3]) == (-180.0, 180.0, 90.0)
    with pytest.raises(ValueError, match="radius"):
        search_box(*CROSSING, -1)
    with pytest.raises(ValueError, match="radius"):
        search_box(*CROSSING, math.nan)


# ---- deciding ---------------------------------------------------------------------------------


def test_a_report_near_an_open_case_of_its_category_joins_it() -> None:
    case = report("urban:A1")
    assert find_parent(report("urban:A2", 25, 20), [case]) == "urban:A1"
    assert find_parent(report("urban:A2", 35, 20), [case]) is None, "parking: 30 m"
    assert find_parent(report("urban:A2", 25, 61), [case]) is None, "parking: one hour"
    assert find_parent(report("urban:A2", 25, 20, "street_vending"), [case]) is None


def test_a_listed_category_without_its_own_figures_takes_the_default_50_m_and_2_h() -> None:
    case = report("governance:Z1", category="sanitation")
    assert find_parent(report("x", 49, 119, "sanitation"), [case]) == "governance:Z1"
    assert find_parent(report("x", 51, 10, "sanitation"), [case]) is None
    assert find_parent(report("x", 10, 121, "sanitation"), [case]) is None


def test_some_categories_are_never_merged() -> None:
    # Listed as never merged, or not listed at all (the shipped default does not merge):
    # two hazards found at one enterprise, or two service-hall cases, are two cases.
    for code in ("dispute", "other", "major_hazard", "enterprise_hazard", "service_case"):
        assert find_parent(report("b", category=code), [report("a", category=code)]) is None


def test_the_earliest_is_the_parent_and_a_late_report_still_joins_the_open_case() -> None:
    cases = [report("c", 5, 30), report("b", 10, 10), report("a", 20, 10), report("z", 90, 0)]
    assert [c.id for c in matches(report("new", 0, 40), cases)] == ["a", "b", "c"]
    assert find_parent(report("new", 0, 40), cases) == "a", "ties by id"
    assert find_parent(report("new", 0, 0), [report("later", 10, 30)]) == "later"


def test_a_report_never_joins_itself() -> None:
    again = report("urban:A1")
    assert find_parent(again, [again]) is None
    assert find_parent(again, [again, report("urban:A0", 5, -5)]) == "urban:A0"


def test_a_report_needs_a_real_point_and_an_aware_time() -> None:
    with pytest.raises(ValueError, match="longitude"):
        Report("a", "parking", 181.0, 31.0, T0)
    with pytest.raises(ValueError, match="latitude"):
        Report("a", "parking", 120.0, math.nan, T0)
    with pytest.raises(ValueError, match="naive"):
        Report("a", "parking", 120.0, 31.0, datetime(2026, 11, 28, 9))  # noqa: DTZ001


# ---- the data file ---------------------------------------------------------------------------


def test_the_shipped_rules() -> None:
    rules = duplicate_rules()
    assert (rules.default.radius_m, rules.default.window_minutes) == (50, 120)
    parking = rules.rule("parking")
    assert parking is not None and (parking.radius_m, parking.window) == (30, timedelta(hours=1))
    assert rules.rule("dispute") is None


def test_a_category_may_set_only_its_radius(tmp_path: Path) -> None:
    path = edited(tmp_path, lambda d: d["categories"].update(sanitation={"radius_m": 80}))
    rule = duplicate_rules(path).rule("sanitation")
    assert rule is not None and (rule.radius_m, rule.window) == (80, timedelta(hours=2))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["categories"].update(parkng={"radius_m": 30}), "unknown categories"),
        (lambda d: d["default"].update(radius_m=0), "greater than 0"),
        (lambda d: d["default"].pop("window_minutes"), "window_minutes"),
        (lambda d: d["categories"]["parking"].update(radius=30), "radius"),
        (lambda d: d["categories"]["dispute"].update(merge="no"), "merge"),
        (lambda d: d["categories"]["parking"].update(window_minutes=True), "window_minutes"),
    ],
)
def test_a_mistake_in_the_file_is_refused(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        duplicate_rules(edited(tmp_path, edit))


# ---- properties ------------------------------------------------------------------------------

LONS = st.floats(min_value=-179.9, max_value=179.9)
LATS = st.floats(min_value=-85, max_value=85)
POINTS = st.tuples(LONS, LATS)


@given(POINTS, POINTS)
def test_distance_is_symmetric_to_the_last_bit(
    a: tuple[float, float], b: tuple[float, float]
) -> None:
    assert distance_m(*a, *b) == distance_m(*b, *a)
    assert distance_m(*a, *a) == 0


@settings(deadline=None)
@given(
    st.tuples(st.floats(min_value=-170, max_value=170), LATS),
    st.floats(min_value=1, max_value=200_000),
    st.lists(st.tuples(st.floats(0, 360), st.floats(0, 1)), min_size=1, max_size=20),
)
def test_the_search_box_holds_every_point_within_the_radius(
    centre: tuple[float, float], radius: float, samples: list[tuple[float, float]]
) -> None:
    min_lon, min_lat, max_lon, max_lat = search_box(*centre, radius)
    for azimuth, share in samples:
        lon, lat = offset(radius * share, azimuth, centre)
        # Near the antimeridian the box's bounds pass ±180 (its contract): the point's
        # longitude is compared unwrapped around the centre, as the box is.
        lon = centre[0] + (lon - centre[0] + 180.0) % 360.0 - 180.0
        assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


CASES = st.lists(
    st.builds(
        lambda i, m, az, minutes, category: report(f"c{i}", m, minutes, category, az),
        st.integers(0, 10**6),
        st.floats(0, 120),
        st.floats(0, 360),
        st.integers(-180, 180),
        st.sampled_from(["parking", "sanitation", "noise"]),
    ),
    max_size=12,
    unique_by=lambda c: c.id,
)


@settings(deadline=None)
@given(
    CASES, st.sampled_from(["parking", "sanitation", "noise"]), st.randoms(use_true_random=False)
)
def test_the_parent_is_always_the_earliest_match_whatever_the_order(
    cases: list[Report], category: str, random: Any
) -> None:
    new = report("new", 0, 0, category)
    parent = find_parent(new, cases)
    rule = duplicate_rules().rule(category)
    assert rule is not None
    metres = {c.id: GEOD.inv(new.lon, new.lat, c.lon, c.lat)[2] for c in cases}
    assume(all(abs(m - rule.radius_m) > 1e-6 for m in metres.values()))  # not on the rim
    by_hand = [
        c
        for c in cases
        if c.category == category
        and abs(c.occurred_at - new.occurred_at) <= rule.window
        and metres[c.id] <= rule.radius_m
    ]
    if not by_hand:
        assert parent is None
    else:
        earliest = min(by_hand, key=lambda c: (c.occurred_at, c.id))
        assert parent == earliest.id
        assert all(earliest.occurred_at <= c.occurred_at for c in by_hand)
    shuffled = list(cases)
    random.shuffle(shuffled)
    assert find_parent(new, shuffled) == parent
