"""Explicit coordinate conversion at the edge: every source system → WGS84 (EPSG:4326).

GCJ-02 and BD-09 are the obfuscated datums of Chinese web maps; their inverses are
iterative (prcoords' ``*_bored`` functions, accurate to ~1e-6°). CGCS2000 (EPSG:4490) is
converted with pyproj: sub-metre from WGS84, but done explicitly so that the CRS is never
silently assumed.
"""

from __future__ import annotations

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
    return bool(prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)))


def _from_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    wgs = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon), check_china=False)
    return wgs.lon, wgs.lat


def _from_bd09(lon: float, lat: float) -> tuple[float, float]:
    if not _in_china(lon, lat):
        return lon, lat
    wgs = prcoords.bd_wgs_bored(prcoords.Coords(lat, lon), check_china=False)
    return wgs.lon, wgs.lat


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
