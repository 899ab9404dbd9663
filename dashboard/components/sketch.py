"""A small map drawn on the server as SVG: a village's or a grid's outlines and its open cases
as dots, for the tablet. No WebGL, no tiles, no script: it draws at once on any tablet and
costs nothing to redraw.

The grids are projected once to the town's UTM zone (geopandas, real metres, north up); the
cases' points with the same transformer. The picture is an `<img>` of a `data:` URI (the
page's policy allows `data:` images), so no text in it is ever markup; the only text is the
grid names from the town's own files, escaped.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

import geopandas as gpd
from dash import html
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon

from dashboard.view import Point, case_point
from layers.town import Town

WIDTH = 640
PAD = 0.04  # of the larger side, around the drawn grids
LATE = "#c62828"


@lru_cache(maxsize=4)
def projected(town: Town) -> tuple[gpd.GeoDataFrame, Transformer]:
    crs = town.l2.estimate_utm_crs()
    return town.l2.to_crs(crs), Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def prepare(town: Town) -> None:
    """Project the town's grids now (at start-up), not on the first map a tablet asks for."""
    projected(town)


def _rings(shape: Polygon | MultiPolygon) -> list[list[tuple[float, float]]]:
    polygons = shape.geoms if isinstance(shape, MultiPolygon) else [shape]
    return [list(p.exterior.coords) for p in polygons]


def sketch(
    town: Town, grids: Sequence[str], points: Sequence[Point], late: frozenset[str], alt: str
) -> tuple[str, int]:
    """A data URI of the SVG of these grids and points (late ones ringed red), and its height
    at WIDTH. ``alt`` goes in the picture's own title."""
    frame, transformer = projected(town)
    shown = frame.loc[[g for g in grids if g in frame.index]]
    if shown.empty:
        return "", 0
    west, south, east, north = shown.total_bounds
    pad = PAD * max(east - west, north - south)
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    scale = WIDTH / (east - west)
    height = max(1, round((north - south) * scale))

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - west) * scale, (north - y) * scale

    def xy(x: float, y: float) -> str:
        return "{:.1f},{:.1f}".format(*at(x, y))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(alt)}</title>',
        f'<rect width="{WIDTH}" height="{height}" fill="#eef3f8"/>',
    ]
    for code, shape in zip(shown.index, shown.geometry, strict=True):
        for ring in _rings(shape):
            path = "M" + " L".join(xy(x, y) for x, y in ring) + "Z"
            parts.append(f'<path d="{path}" fill="#ffffff" stroke="#5a7390" stroke-width="2"/>')
        cx, cy = at(*shape.representative_point().coords[0])
        name = escape(str(town.l2.at[code, "name"]))
        parts.append(
            f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="15" fill="#33475b" '
            f'text-anchor="middle">{name}</text>'
        )
    if points:
        xs, ys = transformer.transform([p.lon for p in points], [p.lat for p in points])
        for p, x, y in zip(points, xs, ys, strict=True):
            circled = f' stroke="{LATE}" stroke-width="3"' if p.id in late else ""
            cx, cy = at(x, y)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{p.colour}"{circled}/>')
    parts.append("</svg>")
    svg = "".join(parts).encode()
    return "data:image/svg+xml;base64," + b64encode(svg).decode(), height


def case_map(town: Town, case: Mapping[str, Any], alt: str) -> html.Img | None:
    """The case's grid with the case's point (ringed red when late); None without a grid
    or a point."""
    point = case_point(dict(case))
    grid = str(case.get("grid") or "")
    if point is None or not grid:
        return None
    late = frozenset({point.id}) if case.get("late") else frozenset()
    uri, _ = sketch(town, [grid], [point], late, alt)
    return html.Img(src=uri, alt=alt, className="console-map") if uri else None
