"""Map layers as plotly MapLibre traces (`Choroplethmap`, `Scattermap`): pure builders.

Never the deprecated mapbox traces. The layout always uses ``style="white-bg"``: plotly's
default style fetches a basemap from the internet, and offline the whole map stays blank,
traces included. A raster tile URL (天地图 WMTS, an intranet tile server) is an optional layer
below the traces.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go
import shapely
from numpy.typing import NDArray

from layers.town import Town

# White for zero so that quiet grids read as quiet, then warm colours for load.
OPEN_CASES_COLORSCALE: list[list[float | str]] = [
    [0.0, "#ffffff"],
    [0.2, "#fee8c8"],
    [0.5, "#fdbb84"],
    [0.8, "#ef6548"],
    [1.0, "#b30000"],
]
GRID_LINE = {"color": "#8c8c8c", "width": 1}
VILLAGE_LINE = {"color": "#303030", "width": 2.5}
# MapLibre draws its tiles 512 px wide; this is the view that `map_layout` fits the town into.
TILE_PX = 512
DEFAULT_VIEWPORT = (1200, 900)

_geojson_cache: weakref.WeakKeyDictionary[Town, dict[str, Any]] = weakref.WeakKeyDictionary()


def l2_geojson(town: Town) -> dict[str, Any]:
    """The level-2 grids as a GeoJSON dict with `properties.code`; built once per town."""
    cached = _geojson_cache.get(town)
    if cached is None:
        frame = gpd.GeoDataFrame(
            {"code": town.l2.index.to_numpy()},
            geometry=town.l2.geometry.to_numpy(),
            crs=town.l2.crs,
        )
        cached = _geojson_cache[town] = dict(frame.__geo_interface__)
    return cached


def grid_choropleth(
    town: Town,
    counts: Mapping[str, int],
    *,
    name: str,
    colorscale: str | Sequence[Sequence[float | str]] = OPEN_CASES_COLORSCALE,
    count_label: str = "open cases",
    opacity: float = 0.75,
) -> go.Choroplethmap:
    """Level-2 grids shaded by `counts` (open cases); grids absent from `counts` show 0.

    Every grid is drawn and outlined, so a calm grid is visibly calm rather than missing.
    """
    l2 = town.l2
    codes = l2.index.to_numpy()
    z = np.array([counts.get(code, 0) for code in codes], dtype=np.int64)
    customdata = np.column_stack([l2["name"].to_numpy(), l2["village_name"].to_numpy()])
    return go.Choroplethmap(
        geojson=l2_geojson(town),
        featureidkey="properties.code",
        locations=codes.tolist(),
        z=z.tolist(),
        zmin=0,
        zmax=max(1, int(z.max(initial=0))),
        colorscale=colorscale,
        showscale=False,
        marker={"opacity": opacity, "line": GRID_LINE},
        customdata=customdata.tolist(),
        hovertemplate=(
            f"%{{customdata[0]}}<br>%{{customdata[1]}}<br>{count_label}: %{{z}}<extra></extra>"
        ),
        name=name,
    )


def village_outlines(town: Town) -> go.Scattermap:
    """Level-1 borders as one line trace; each shared border is drawn once."""
    borders = shapely.line_merge(shapely.union_all(shapely.boundary(town.l1.geometry.to_numpy())))
    lons, lats = _none_separated(shapely.get_parts(borders))
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line=VILLAGE_LINE,
        hoverinfo="skip",
        showlegend=False,
        name="villages",
    )


def village_labels(town: Town) -> go.Scattermap:
    """Village and community names at a point inside each of them."""
    points = shapely.point_on_surface(town.l1.geometry.to_numpy())
    return go.Scattermap(
        lon=shapely.get_x(points).tolist(),
        lat=shapely.get_y(points).tolist(),
        mode="text",
        text=town.l1["name"].tolist(),
        textfont={"size": 14, "color": "#202020"},
        hoverinfo="skip",
        showlegend=False,
        name="village names",
    )


def map_layout(
    town: Town,
    *,
    tile_url: str | None,
    viewport: tuple[int, int] = DEFAULT_VIEWPORT,
) -> dict[str, Any]:
    """The `layout.map` dict: offline-safe style, centre and zoom fitting the town."""
    west, south, east, north = town.bbox
    layout: dict[str, Any] = {
        "style": "white-bg",
        "center": {"lon": (west + east) / 2, "lat": _mercator_mid_lat(south, north)},
        "zoom": fit_zoom(town.bbox, viewport),
    }
    if tile_url:
        layout["layers"] = [{"below": "traces", "sourcetype": "raster", "source": [tile_url]}]
    return layout


def fit_zoom(bbox: tuple[float, float, float, float], viewport: tuple[int, int]) -> float:
    """The largest Web Mercator zoom at which `bbox` fits in `viewport` (pixels), less 5 %."""
    west, south, east, north = bbox
    width, height = viewport
    lon_fraction = max(east - west, 1e-9) / 360
    y_fraction = max(_mercator_y(north) - _mercator_y(south), 1e-9) / (2 * math.pi)
    zoom = min(math.log2(width / TILE_PX / lon_fraction), math.log2(height / TILE_PX / y_fraction))
    return round(zoom + math.log2(0.95), 2)


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _mercator_mid_lat(south: float, north: float) -> float:
    # The visual middle on a Mercator map is not the arithmetic mean of the latitudes.
    mid = (_mercator_y(south) + _mercator_y(north)) / 2
    return math.degrees(2 * math.atan(math.exp(mid)) - math.pi / 2)


def _none_separated(lines: NDArray[Any]) -> tuple[list[float | None], list[float | None]]:
    """Coordinates of `lines` in one list each, a None between lines (plotly's gap marker)."""
    if len(lines) == 0:
        return [], []
    coords, which = shapely.get_coordinates(lines, return_index=True)
    # Row i of the output is coordinate i shifted by the number of lines before it.
    rows = np.arange(len(coords)) + which
    out = np.full((len(coords) + len(lines) - 1, 2), np.nan)
    out[rows] = coords
    cells = out.astype(object)
    cells[np.isnan(out)] = None
    return cells[:, 0].tolist(), cells[:, 1].tolist()
