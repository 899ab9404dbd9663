from __future__ import annotations

import math

import prcoords
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.coords import CRS, UnknownCRSError, from_wgs84, gcj02_offset, parse_crs, to_wgs84

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
