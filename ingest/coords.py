"""Explicit coordinate conversion at the edge: every source system → WGS84 (EPSG:4326).

GCJ-02 and BD-09 are the obfuscated datums of Chinese web maps; their inverses are
iterative. GCJ-02 is on the hot path of intake (many 数字城管 systems report in it), so
its forward offset is evaluated here in one pass, sharing the terms that prcoords computes
twice, and inverted with two fixed-point refinements (~1e-9°, sub-millimetre);
tests/unit/test_coords.py holds it to prcoords (the reference). BD-09 is taken
to GCJ-02 by prcoords' ``bd_gcj_bored``, then the same way. CGCS2000 (EPSG:4490) is
converted with pyproj: sub-metre from WGS84, but done explicitly so that the CRS is never
silently assumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from functools import cache, lru_cache

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


def _in_china(lon: float, lat: float) -> bool:
    # GCJ-02 is only defined inside China; outside it the datum is WGS84 itself.
    return 72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271  # prcoords' box


# The GCJ-02 constants: the Krasovsky 1940 ellipsoid, as the datum uses it.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_LAT_ARC = math.radians(_GCJ_A * (1 - _GCJ_EE))
_LON_ARC = math.radians(_GCJ_A)
_PI = math.pi
_SIN = math.sin


def gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """The (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 point inside China."""
    x, y = lon - 105.0, lat - 35.0
    shared = 2.0 * _SIN(x * 6.0 * _PI) + 2.0 * _SIN(x * 2.0 * _PI)
    waves_lat = (
        shared + 2.0 * _SIN(y * _PI) + 4.0 * _SIN(y / 3.0 * _PI)
        + 16.0 * _SIN(y / 12.0 * _PI) + 32.0 * _SIN(y / 30.0 * _PI)
    )  # fmt: skip
    waves_lon = (
        shared + 2.0 * _SIN(x * _PI) + 4.0 * _SIN(x / 3.0 * _PI)
        + 15.0 * _SIN(x / 12.0 * _PI) + 30.0 * _SIN(x / 30.0 * _PI)
    )  # fmt: skip
    root = math.sqrt(abs(x))
    d_lat_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root
    d_lon_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root
    rad_lat = math.radians(lat)
    sin_lat = _SIN(rad_lat)
    magic = 1.0 - _GCJ_EE * sin_lat * sin_lat
    sqrt_magic = math.sqrt(magic)
    lat_arc = _LAT_ARC / (magic * sqrt_magic)
    lon_arc = _LON_ARC * math.cos(rad_lat) / sqrt_magic
    return (d_lon_m + waves_lon * 20.0 / 3.0) / lon_arc, (
        d_lat_m + waves_lat * 20.0 / 3.0
    ) / lat_arc


def _from_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    dlon, dlat = gcj02_offset(lon, lat)
    wlon, wlat = lon - dlon, lat - dlat  # ~1e-5° off: the offset varies slowly
    for _ in range(2):  # each refinement shrinks the error ~100-fold
        dlon, dlat = gcj02_offset(wlon, wlat)
        wlon, wlat = wlon - (wlon + dlon - lon), wlat - (wlat + dlat - lat)
    return wlon, wlat


def _from_bd09(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    gcj = prcoords.bd_gcj_bored(prcoords.Coords(lat, lon), check_china=False)
    return _from_gcj02(gcj.lon, gcj.lat)


_CONVERT: dict[CRS, Callable[[float, float], tuple[float, float]]] = {
    CRS.WGS84: lambda lon, lat: (lon, lat),
    CRS.CGCS2000: _from_cgcs2000,
    CRS.GCJ02: _from_gcj02,
    CRS.BD09: _from_bd09,
}


def to_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """The WGS84 (lon, lat) of a point given in ``crs``; rejects impossible coordinates."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"coordinates out of range: lon={lon}, lat={lat}")
    return _CONVERT[crs](lon, lat)


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
