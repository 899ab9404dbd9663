from __future__ import annotations

import math

import prcoords
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.coords import (
    CRS,
    VECTOR_MIN,
    Point,
    SourcePoint,
    UnknownCRSError,
    _bd09_to_gcj02,
    from_wgs84,
    gcj02_offset,
    parse_crs,
    place_all,
    to_wgs84,
)

TOWN = (120.40, 31.78)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_574
    return math.hypot(dx, dy)


@pytest.mark.parametrize("crs", list(CRS))
def test_round_trip_to_a_centimetre(crs: CRS) -> None:
    native = from_wgs84(*TOWN, crs)
    assert _metres(to_wgs84(*native, crs), TOWN) < 0.01


def test_gcj02_offset_near_the_town_is_hundreds_of_metres() -> None:
    # tech-notes: GCJ-02 and WGS84 differ by about 490 m here; an adapter that forgot to
    # convert would put cases in the neighbouring grid.
    assert 400 < _metres(from_wgs84(*TOWN, CRS.GCJ02), TOWN) < 600
    assert _metres(from_wgs84(*TOWN, CRS.BD09), TOWN) > 1000


def test_outside_china_gcj02_is_wgs84() -> None:
    assert to_wgs84(2.35, 48.85, CRS.GCJ02) == (2.35, 48.85)


@pytest.mark.parametrize(
    ("name", "crs"),
    [("gcj-02", CRS.GCJ02), ("GCJ02", CRS.GCJ02), ("bd09ll", CRS.BD09), ("EPSG:4490", CRS.CGCS2000),
     ("wgs 84", CRS.WGS84)],
)  # fmt: skip
def test_parse_crs_forgives_spelling(name: str, crs: CRS) -> None:
    assert parse_crs(name) is crs


@pytest.mark.parametrize("name", ["", "Beijing54", "UTM51N", None])
def test_unknown_crs_is_refused(name: str | None) -> None:
    with pytest.raises(UnknownCRSError, match="unknown coordinate system"):
        parse_crs(name)


def test_impossible_coordinates_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_wgs84(31.78, 190.0, CRS.WGS84)


china_lon = st.floats(min_value=73.0, max_value=135.0)
china_lat = st.floats(min_value=1.0, max_value=55.0)


@given(china_lon, china_lat)
def test_the_gcj02_offset_is_prcoords_own_formula(lon: float, lat: float) -> None:
    reference = prcoords.wgs_gcj(prcoords.Coords(lat, lon), check_china=False)
    dlon, dlat = gcj02_offset(lon, lat)
    assert lon + dlon == pytest.approx(reference.lon, abs=1e-12)
    assert lat + dlat == pytest.approx(reference.lat, abs=1e-12)


@given(china_lon, china_lat)
def test_the_gcj02_inverse_is_sub_millimetre_and_agrees_with_prcoords(
    lon: float, lat: float
) -> None:
    wlon, wlat = to_wgs84(lon, lat, CRS.GCJ02)
    dlon, dlat = gcj02_offset(wlon, wlat)
    assert _metres((wlon + dlon, wlat + dlat), (lon, lat)) < 0.001
    reference = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon), check_china=False)
    assert _metres((wlon, wlat), (reference.lon, reference.lat)) < 0.01


@given(china_lon, china_lat)
def test_bd09_comes_back_to_within_a_centimetre(lon: float, lat: float) -> None:
    assert _metres(to_wgs84(*from_wgs84(lon, lat, CRS.BD09), CRS.BD09), (lon, lat)) < 0.01


@given(china_lon, china_lat)
def test_bd09_to_gcj02_inverts_prcoords_forward_formula(lon: float, lat: float) -> None:
    glon, glat = _bd09_to_gcj02(lon, lat, math)
    forward = prcoords.gcj_bd(prcoords.Coords(glat, glon))
    assert _metres((forward.lon, forward.lat), (lon, lat)) < 0.0001
    # prcoords' own inverse stops iterating earlier (within 1e-5 degrees of its fixed point)
    reference = prcoords.bd_gcj_bored(prcoords.Coords(lat, lon), check_china=False)
    assert _metres((glon, glat), (reference.lon, reference.lat)) < 0.01


points = st.tuples(
    st.floats(min_value=60.0, max_value=150.0),  # inside China and around it
    st.floats(min_value=-5.0, max_value=60.0),
    st.sampled_from(["WGS84", "CGCS2000", "gcj-02", "BD09", "Beijing54"]),
)


@given(st.lists(st.none() | points.map(lambda p: SourcePoint(*p)), max_size=3 * VECTOR_MIN))
def test_a_body_s_points_convert_as_each_point_alone(sources: list[SourcePoint | None]) -> None:
    for source, placed in zip(sources, place_all(sources), strict=True):
        if source is None:
            assert placed is None
            continue
        try:
            crs = parse_crs(source.crs)
            alone = to_wgs84(source.lon, source.lat, crs)
        except ValueError as exc:
            refused = str(exc)
        else:
            refused = None
        if refused is not None:
            assert isinstance(placed, ValueError)
            assert str(placed) == refused
            continue
        assert isinstance(placed, Point)
        assert placed.crs == crs.value
        assert _metres((placed.lon, placed.lat), alone) < 0.001


def test_impossible_points_are_refused_in_a_body_too() -> None:
    sources = [SourcePoint(120.4, 31.8, "GCJ02")] * VECTOR_MIN + [SourcePoint(31.8, 190.0, "GCJ02")]
    *good, bad = place_all(sources)
    assert all(isinstance(p, Point) for p in good)
    assert isinstance(bad, ValueError)
    assert "out of range" in str(bad)
