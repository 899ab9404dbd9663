"""CAP area shapes → one WGS84 (lon, lat) geometry, as GeoJSON, plus a point to show it by.

CAP writes every coordinate pair latitude first (``"lat,lon"``), the reverse of GeoJSON and
shapely; the swap happens here and nowhere else. A circle (``"lat,lon radius_km"``) is drawn
in an azimuthal-equidistant projection centred on its own centre, where distances from the
centre are true geodesic distances, and brought back to WGS84.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
# 1e-7° is about 1 cm: small stored geometries, no visible change, and valid output.
GRID_SIZE = 1e-7
# Segments per quarter circle: a 64-gon, within 0.2 % of the true radius everywhere.
QUAD_SEGS = 16


class ShapeError(ValueError):
    """A polygon or circle that cannot be read."""


def _lonlat(pair: str) -> tuple[float, float]:
    """(lon, lat) of a CAP ``"lat,lon"`` pair."""
    lat_text, comma, lon_text = pair.partition(",")
    try:
        if not comma:
            raise ValueError(pair)
        lat, lon = float(lat_text), float(lon_text)
    except ValueError as exc:
        raise ShapeError(f"coordinate pair {pair!r} is not 'lat,lon'") from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise ShapeError(f"coordinate pair {pair!r} out of range (CAP writes latitude first)")
    return lon, lat


def cap_polygon(text: str) -> BaseGeometry:
    """A CAP ``<polygon>``: an unclosed ring is closed, an invalid one repaired."""
    points = [_lonlat(pair) for pair in text.split()]
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(set(points)) < 3:
        raise ShapeError(f"polygon needs at least 3 distinct points, has {len(set(points))}")
    polygon = Polygon(points)
    if polygon.is_valid:
        return polygon
    # A self-intersecting ring (a bow tie) is repaired into the areas it encloses.
    parts = [g for g in shapely.get_parts(shapely.make_valid(polygon)) if g.area > 0]
    if not parts:
        raise ShapeError("polygon encloses no area")
    return shapely.union_all(parts)


@cache
def _from_aeqd(lon: float, lat: float) -> Transformer:
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    return Transformer.from_crs(aeqd, WGS84, always_xy=True)


def cap_circle(text: str) -> BaseGeometry:
    """A CAP ``<circle>``; radius 0 (an epicentre, say) is the point itself."""
    parts = text.split()
    if len(parts) != 2:
        raise ShapeError(f"circle {text!r} is not 'lat,lon radius_km'")
    lon, lat = _lonlat(parts[0])
    try:
        radius_km = float(parts[1])
    except ValueError as exc:
        raise ShapeError(f"circle radius {parts[1]!r} is not a number of km") from exc
    if not (math.isfinite(radius_km) and 0 <= radius_km <= 5000):
        raise ShapeError(f"circle radius {radius_km} km out of range 0–5000")
    if radius_km == 0:
        return Point(lon, lat)
    transformer = _from_aeqd(lon, lat)

    def to_wgs84(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    disc = Point(0.0, 0.0).buffer(radius_km * 1000.0, quad_segs=QUAD_SEGS)
    return shapely.transform(disc, to_wgs84)


def area_geometry(polygons: Iterable[str], circles: Iterable[str]) -> BaseGeometry | None:
    """The union of every polygon and circle, or None when there is none."""
    shapes = [cap_polygon(p) for p in polygons] + [cap_circle(c) for c in circles]
    if not shapes:
        return None
    return shapely.set_precision(shapely.union_all(shapes), GRID_SIZE)


def geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON with lists, not tuples, so that it survives a JSON round trip unchanged."""
    value: dict[str, Any] = json.loads(shapely.to_geojson(geometry))
    return value


def representative(geometry: BaseGeometry) -> tuple[float, float]:
    """(lon, lat) to show an area by: its centroid when inside it, else a point surely inside."""
    point = geometry.centroid
    if not geometry.covers(point):
        point = geometry.representative_point()
    return float(point.x), float(point.y)
