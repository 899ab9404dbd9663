"""Explicit coordinate conversion at the edge: every source system → WGS84 (EPSG:4326).

GCJ-02 and BD-09 are the obfuscated datums of Chinese web maps; their inverses are
iterative. GCJ-02 is on the hot path of intake (many 数字城管 systems report in it), so
its forward offset is evaluated here in one pass, sharing the terms that prcoords computes
twice, and inverted with two fixed-point refinements (~1e-9°, sub-millimetre);
tests/unit/test_coords.py holds it to prcoords (the reference). BD-09 is taken to GCJ-02
by prcoords' ``bd_gcj`` formula refined twice through its forward ``gcj_bd`` (closer than
prcoords' own ``bd_gcj_bored``, which stops at 1e-5°), then the same way. CGCS2000
(EPSG:4490) is converted with pyproj: sub-metre from WGS84, but done explicitly so that
the CRS is never silently assumed.

``place_all`` converts a whole body's points at once: the points of each datum go through
numpy arrays (the same formulas, written once for floats and arrays alike), which costs a
fraction of a point-by-point conversion; a handful of points take the scalar path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import StrEnum
from functools import cache, lru_cache
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np
import prcoords
from pyproj import Transformer


class CRS(StrEnum):
    WGS84 = "WGS84"
    CGCS2000 = "CGCS2000"
    GCJ02 = "GCJ02"
    BD09 = "BD09"


_ALIASES = {
    "WGS84": CRS.WGS84,
    "EPSG4326": CRS.WGS84,
    "CGCS2000": CRS.CGCS2000,
    "EPSG4490": CRS.CGCS2000,
    "GCJ02": CRS.GCJ02,
    "BD09": CRS.BD09,
    "BD09LL": CRS.BD09,
}


class UnknownCRSError(ValueError):
    """The source named a coordinate system we cannot convert."""


@lru_cache(maxsize=256)
def parse_crs(name: str | None) -> CRS:
    """The CRS a source named, forgiving case, dashes, spaces and colons (``gcj-02``)."""
    key = "".join(ch for ch in (name or "") if ch.isalnum()).upper()
    if key not in _ALIASES:
        raise UnknownCRSError(f"unknown coordinate system {name!r} (expected one of {list(CRS)})")
    return _ALIASES[key]


@cache
def _cgcs2000() -> Transformer:
    return Transformer.from_crs("EPSG:4490", "EPSG:4326", always_xy=True)


def _from_cgcs2000(lon: float, lat: float) -> tuple[float, float]:
    x, y = _cgcs2000().transform(lon, lat)
    return float(x), float(y)


_CHINA = (72.004, 137.8347, 0.8293, 55.8271)  # prcoords' box: lon min, max, lat min, max


def _in_china(lon: float, lat: float) -> bool:
    # GCJ-02 is only defined inside China; outside it the datum is WGS84 itself.
    return _CHINA[0] <= lon <= _CHINA[1] and _CHINA[2] <= lat <= _CHINA[3]


# The GCJ-02 constants: the Krasovsky 1940 ellipsoid, as the datum uses it.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_LAT_ARC = math.radians(_GCJ_A * (1 - _GCJ_EE))
_LON_ARC = math.radians(_GCJ_A)
_PI = math.pi
_BD_DLON, _BD_DLAT = 0.0065, 0.006  # BD-09's constant shift from GCJ-02
_BD_WAVE = math.radians(3000.0)
VECTOR_MIN = 16  # fewer points of one datum than this take the scalar path

Num = Any  # a float or a numpy array of them: the formulas below serve both


def _offset(lon: Num, lat: Num, m: ModuleType) -> tuple[Num, Num]:
    """GCJ-02's (dlon, dlat) in degrees at WGS84 points; ``m`` is math or numpy."""
    sin = m.sin
    x, y = lon - 105.0, lat - 35.0
    shared = 2.0 * sin(x * 6.0 * _PI) + 2.0 * sin(x * 2.0 * _PI)
    waves_lat = (
        shared + 2.0 * sin(y * _PI) + 4.0 * sin(y / 3.0 * _PI)
        + 16.0 * sin(y / 12.0 * _PI) + 32.0 * sin(y / 30.0 * _PI)
    )  # fmt: skip
    waves_lon = (
        shared + 2.0 * sin(x * _PI) + 4.0 * sin(x / 3.0 * _PI)
        + 15.0 * sin(x / 12.0 * _PI) + 30.0 * sin(x / 30.0 * _PI)
    )  # fmt: skip
    root = m.sqrt(abs(x))
    d_lat_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root
    d_lon_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root
    rad_lat = lat * (_PI / 180.0)
    sin_lat = sin(rad_lat)
    magic = 1.0 - _GCJ_EE * sin_lat * sin_lat
    sqrt_magic = m.sqrt(magic)
    lat_arc = _LAT_ARC / (magic * sqrt_magic)
    lon_arc = _LON_ARC * m.cos(rad_lat) / sqrt_magic
    return (d_lon_m + waves_lon * 20.0 / 3.0) / lon_arc, (
        d_lat_m + waves_lat * 20.0 / 3.0
    ) / lat_arc


def gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """The (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 point inside China."""
    dlon, dlat = _offset(lon, lat, math)
    return float(dlon), float(dlat)


def _gcj02_inverse(lon: Num, lat: Num, m: ModuleType) -> tuple[Num, Num]:
    dlon, dlat = _offset(lon, lat, m)
    wlon, wlat = lon - dlon, lat - dlat  # ~1e-5° off: the offset varies slowly
    for _ in range(2):  # each refinement shrinks the error ~100-fold
        dlon, dlat = _offset(wlon, wlat, m)
        wlon, wlat = wlon - (wlon + dlon - lon), wlat - (wlat + dlat - lat)
    return wlon, wlat


def _bd09_to_gcj02(lon: Num, lat: Num, m: ModuleType) -> tuple[Num, Num]:
    """prcoords' ``bd_gcj`` (~1e-7°), refined twice through its forward ``gcj_bd``."""
    atan2 = np.arctan2 if m is np else math.atan2
    x, y = lon - _BD_DLON, lat - _BD_DLAT
    r = m.sqrt(x * x + y * y) - 0.00002 * m.sin(y * _BD_WAVE)
    theta = atan2(y, x) - 0.000003 * m.cos(x * _BD_WAVE)
    glon, glat = r * m.cos(theta), r * m.sin(theta)
    for _ in range(2):
        r = m.sqrt(glon * glon + glat * glat) + 0.00002 * m.sin(glat * _BD_WAVE)
        theta = atan2(glat, glon) + 0.000003 * m.cos(glon * _BD_WAVE)
        blon, blat = r * m.cos(theta) + _BD_DLON, r * m.sin(theta) + _BD_DLAT
        glon, glat = glon - (blon - lon), glat - (blat - lat)
    return glon, glat


def _from_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    wlon, wlat = _gcj02_inverse(lon, lat, math)
    return float(wlon), float(wlat)


def _from_bd09(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    return _from_gcj02(*_bd09_to_gcj02(lon, lat, math))


_CONVERT: dict[CRS, Callable[[float, float], tuple[float, float]]] = {
    CRS.WGS84: lambda lon, lat: (lon, lat),
    CRS.CGCS2000: _from_cgcs2000,
    CRS.GCJ02: _from_gcj02,
    CRS.BD09: _from_bd09,
}


def to_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """The WGS84 (lon, lat) of a point given in ``crs``; rejects impossible coordinates."""
    _check_range(lon, lat)
    return _CONVERT[crs](lon, lat)


def _check_range(lon: float, lat: float) -> None:
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"coordinates out of range: lon={lon}, lat={lat}")


class SourcePoint(NamedTuple):
    """A point as a record gives it: in the coordinate system it names."""

    lon: float
    lat: float
    crs: str | None


class Point(NamedTuple):
    """A point in WGS84, and the system the source gave it in."""

    lon: float
    lat: float
    crs: str


def required(point: Point | None) -> Point:
    """The point of a record whose format always has one (its ``source_point`` gave one)."""
    if point is None:
        raise ValueError("the record has no point")
    return point


def place_all(sources: Sequence[SourcePoint | None]) -> list[Point | ValueError | None]:
    """Each source point in WGS84; an unknown system or an impossible point is its error."""
    placed: list[Point | ValueError | None] = [None] * len(sources)
    groups: dict[CRS, list[tuple[int, SourcePoint]]] = {}
    for i, source in enumerate(sources):
        if source is None:
            continue
        try:
            crs = parse_crs(source.crs)
            _check_range(source.lon, source.lat)
        except ValueError as exc:
            placed[i] = exc
            continue
        groups.setdefault(crs, []).append((i, source))
    for crs, members in groups.items():
        if crs is CRS.WGS84 or len(members) < VECTOR_MIN:
            for i, (lon, lat, _) in members:
                placed[i] = Point(*_CONVERT[crs](lon, lat), crs.value)
            continue
        lons = np.array([source.lon for _, source in members], dtype=np.float64)
        lats = np.array([source.lat for _, source in members], dtype=np.float64)
        for (i, _), lon, lat in zip(members, *_many(lons, lats, crs), strict=True):
            placed[i] = Point(lon, lat, crs.value)
    return placed


def _many(lons: Any, lats: Any, crs: CRS) -> tuple[list[float], list[float]]:
    """The WGS84 points of arrays of points in ``crs`` (not WGS84), as lists of floats."""
    if crs is CRS.CGCS2000:
        x, y = _cgcs2000().transform(lons, lats)
        return list(x.tolist()), list(y.tolist())
    inside = (lons >= _CHINA[0]) & (lons <= _CHINA[1]) & (lats >= _CHINA[2]) & (lats <= _CHINA[3])
    glon, glat = (lons, lats) if crs is CRS.GCJ02 else _bd09_to_gcj02(lons, lats, np)
    wlon, wlat = _gcj02_inverse(glon, glat, np)
    return np.where(inside, wlon, lons).tolist(), np.where(inside, wlat, lats).tolist()


def from_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """The inverse, for simulators and tests that must send a source's native datum."""
    if crs in (CRS.GCJ02, CRS.BD09) and not _in_china(lon, lat):
        return lon, lat
    if crs is CRS.GCJ02:
        gcj = prcoords.wgs_gcj(prcoords.Coords(lat, lon), check_china=False)
        return gcj.lon, gcj.lat
    if crs is CRS.BD09:
        bd = prcoords.wgs_bd(prcoords.Coords(lat, lon), check_china=False)
        return bd.lon, bd.lat
    if crs is CRS.CGCS2000:
        x, y = _cgcs2000().transform(lon, lat, direction="INVERSE")
        return float(x), float(y)
    return lon, lat
