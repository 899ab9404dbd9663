"""The wall's map: level-2 grids shaded by open cases, village outlines and names, case points.

Everything offline: `layers.traces.map_layout` keeps the style "white-bg"; a dark fill layer
below the traces turns it into a night map for the wall (a tile layer, if configured, draws
above that fill). Circle markers only: other symbols load icons from a CDN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, Final

import plotly.graph_objects as go
from dash import Patch, dcc, html

from cases.categories import GROUPS
from dashboard import ids
from dashboard.i18n import Lang, t
from dashboard.map_patch import MapTraces, zmax
from dashboard.overlays import ALERT_COLOURS, STATES, SWATCHES, AlertAreas, Mark, Overlays
from dashboard.overlays import LAYERS as OVERLAY_LAYERS
from dashboard.theme import GROUP_COLOURS, MAP_BACKGROUND, POINT_OUTLINE
from dashboard.view import Point
from layers.town import Town
from layers.traces import (
    TILE_PX,
    grid_choropleth,
    map_layout,
    village_labels,
    village_outlines,
)

# Calm grids stay dark blue; load turns them amber, then red.
OPEN_CASES_DARK: Final[list[list[float | str]]] = [
    [0.0, "#173a5e"],
    [0.2, "#b8901c"],
    [0.5, "#e07b24"],
    [0.8, "#ea4a2c"],
    [1.0, "#ff2040"],
]
CHOROPLETH_OPACITY: Final = 0.7
MAP_VIEWPORT: Final = (1374, 1293)  # the map body at 3840×2160 (wall.css); 32:9 is as tall
LEGEND_PX: Final = 300  # the legend's strip on the map's left: the town is fitted beside it
POINT_SIZE: Final = 22
HALO_PX: Final = 8
_WORLD: Final = [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]]


def _night_fill() -> dict[str, Any]:
    world = {"type": "Polygon", "coordinates": _WORLD}
    return {
        "below": "traces",
        "sourcetype": "geojson",
        "source": {"type": "Feature", "properties": {}, "geometry": world},
        "type": "fill",
        "color": MAP_BACKGROUND,
    }


def _free_viewport() -> tuple[int, int]:
    width, height = MAP_VIEWPORT
    return width - LEGEND_PX, height


def beside_legend(layout_map: dict[str, Any]) -> dict[str, Any]:
    """Move the view west by half the legend's strip, so the town sits right of the legend."""
    degrees_per_px = 360 / (TILE_PX * 2 ** float(layout_map["zoom"]))
    centre = dict(layout_map["center"])
    centre["lon"] -= LEGEND_PX / 2 * degrees_per_px
    return {**layout_map, "center": centre}


def halo_trace(points: Sequence[Point]) -> go.Scattermap:
    """Dark discs under the points: a point reads on any fill colour, even its own."""
    return go.Scattermap(
        lon=[p.lon for p in points],
        lat=[p.lat for p in points],
        mode="markers",
        marker={"size": POINT_SIZE + HALO_PX, "color": POINT_OUTLINE},
        hoverinfo="skip",
        showlegend=False,
        name="halo",
    )


def points_trace(points: Sequence[Point], lang: Lang) -> go.Scattermap:
    """Open cases as circles coloured by category group; the arrays the push patches."""
    return go.Scattermap(
        lon=[p.lon for p in points],
        lat=[p.lat for p in points],
        customdata=[p.id for p in points],
        mode="markers",
        marker={"size": POINT_SIZE, "color": [p.colour for p in points]},
        hoverinfo="skip",
        showlegend=False,
        name=t("map.cases", lang),
    )


OVERLAY_SIZE: Final[dict[str, int]] = {"stations": 30, "enterprises": 30, "teams": 26}
HOVER_LABEL: Final = {"font": {"size": 24}, "bgcolor": "#0b1a2b", "bordercolor": "#5f7d99"}


def overlay_trace(name: str, marks: Sequence[Mark], *, visible: bool = True) -> go.Scattermap:
    """One overlay layer: circles coloured by state. Their labels (a station's value, a
    team's open cases) show on touch or hover, as plain text in an SVG box: text drawn in
    the map itself would fetch glyphs from the internet, which the map never does."""
    arrays = overlay_arrays(marks)
    return go.Scattermap(
        lon=arrays["lon"],
        lat=arrays["lat"],
        hovertext=arrays["hovertext"],
        customdata=arrays["customdata"],
        mode="markers",
        marker={"size": OVERLAY_SIZE[name], "color": arrays["colour"]},
        hoverinfo="text",
        hoverlabel=HOVER_LABEL,
        showlegend=False,
        name=name,
        visible=visible,
    )


def alert_trace(level: int, areas: AlertAreas, *, visible: bool = True) -> go.Scattermap:
    """The outlines of the alerts of one severity in its signal colour: a line, not a fill,
    so that a town-wide alert leaves the grids' shading readable (no hover: the ticker names
    them)."""
    lons, lats = areas.get(level, ((), ()))
    return go.Scattermap(
        lon=list(lons), lat=list(lats), mode="lines",
        line={"color": ALERT_COLOURS[level], "width": 6}, hoverinfo="skip", showlegend=False,
        name=f"alerts-{level}", visible=visible,
    )  # fmt: skip


def alert_patch(areas: AlertAreas) -> Patch:
    """A patch replacing the four alert traces' arrays."""
    patch = Patch()
    for level, index in zip(ALERT_COLOURS, LAYER_TRACES["alerts"], strict=True):
        lons, lats = areas[level]
        patch["data"][index]["lon"] = list(lons)
        patch["data"][index]["lat"] = list(lats)
    return patch


def plain(text: str) -> str:
    """Text from a feed as a Plotly label shows it: Plotly reads `<a href>`, `<b>`, `<br>` and
    other tags in labels as markup, so they are escaped and read as the characters they are."""
    return escape(text, quote=False)


def overlay_arrays(marks: Sequence[Mark]) -> dict[str, Any]:
    """An overlay trace's arrays, for a patch that replaces them (a few dozen marks); the
    labels (station and enterprise names come from feeds) as plain text."""
    return {
        "lon": [m.lon for m in marks],
        "lat": [m.lat for m in marks],
        "hovertext": [plain(m.label) for m in marks],
        "customdata": [m.id for m in marks],
        "colour": [m.colour for m in marks],
    }


def overlay_patch(shown: Overlays | None, overlays: Overlays) -> Patch | None:
    """A patch replacing the arrays of each overlay layer that changed (all of them when what
    the page shows is unknown); None when none did."""
    patch, changed = Patch(), False
    for name in OVERLAY_LAYERS:
        marks = overlays.layer(name)
        if shown is not None and shown.layer(name) == marks:
            continue
        trace = patch["data"][LAYER_TRACES[name][0]]
        arrays = overlay_arrays(marks)
        for key in ("lon", "lat", "hovertext", "customdata"):
            trace[key] = arrays[key]
        trace["marker"]["color"] = arrays["colour"]
        changed = True
    return patch if changed else None


def wall_figure(
    town: Town,
    counts: Mapping[str, int],
    points: Sequence[Point],
    *,
    lang: Lang,
    tile_url: str | None,
    overlays: Overlays | None = None,
    hidden: frozenset[str] = frozenset(),
    alerts: AlertAreas | None = None,
) -> go.Figure:
    """The whole map; trace order is `map_traces(town)` (the push relies on it). ``hidden``:
    the layers (`LAYERS` of `layer_traces`) the page's address turns off."""
    choropleth = grid_choropleth(
        town, counts, name=t("map.open", lang), colorscale=OPEN_CASES_DARK, count_label=""
    )
    choropleth.update(zmax=zmax(list(choropleth.z or [])), hoverinfo="skip", hovertemplate=None)
    choropleth.marker.update(opacity=CHOROPLETH_OPACITY, line={"color": "#5f7d99", "width": 1})
    outlines = village_outlines(town).update(line={"color": "#cfe3f5", "width": 3})
    labels = village_labels(town).update(textfont={"size": 30, "color": "#eaf2fb"})
    layout_map = beside_legend(map_layout(town, tile_url=tile_url, viewport=_free_viewport()))
    layout_map["layers"] = [_night_fill(), *layout_map.get("layers", [])]
    live = [halo_trace(points), points_trace(points, lang)]
    overlays = overlays or Overlays()
    extra = [overlay_trace(name, overlays.layer(name)) for name in OVERLAY_LAYERS]
    areas = [alert_trace(level, alerts or {}) for level in ALERT_COLOURS]
    figure = go.Figure([choropleth, outlines, *live, labels, *extra, *areas])
    for layer in hidden:
        for index in LAYER_TRACES.get(layer, ()):
            figure.data[index].visible = False
    figure.update_layout(
        map=layout_map,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=MAP_BACKGROUND,
        showlegend=False,
        uirevision="wall",  # patches never reset the view
    )
    return figure


# Each layer a person can turn off, and its traces in `wall_figure`'s order.
LAYER_TRACES: Final[dict[str, tuple[int, ...]]] = {
    "grids": (0,),
    "cases": (2, 3),
    "stations": (5,),
    "enterprises": (6,),
    "teams": (7,),
    "alerts": (8, 9, 10, 11),  # one a severity (overlays.ALERT_COLOURS)
}
LAYERS: Final = tuple(LAYER_TRACES)


def hidden_layers(value: str | None) -> frozenset[str]:
    """The layers an address's `hide=` names (unknown names are ignored)."""
    return frozenset(v for v in (value or "").split(",") if v in LAYER_TRACES)


def map_traces(town: Town) -> MapTraces:
    """Where `wall_figure` puts the live traces, and the choropleth's grid order."""
    codes = tuple(str(c) for c in town.l2.index)
    return MapTraces(choropleth=0, halo=2, points=3, locations=codes)


def _swatch(layer: str) -> list[html.Span]:
    """The colour of an overlay layer's marks, in its button (the other layers have none)."""
    colour = SWATCHES.get(layer)
    if colour is None:
        return []
    return [html.Span(className="wall-legend-dot", style={"backgroundColor": colour})]


def layer_toggles(lang: Lang, hidden: frozenset[str]) -> html.Ul:
    """One button per layer; wall.js turns the layer off and on and keeps it in the address."""
    return html.Ul(
        className="wall-layers",
        children=[
            html.Li(
                html.Button(
                    [*_swatch(layer), t(f"layer.{layer}", lang)],
                    id=ids.wall_layer(layer),
                    className="wall-layer" + (" is-off" if layer in hidden else ""),
                )
            )
            for layer in LAYER_TRACES
        ],
    )


def _state(colour: str, word: str) -> html.Span:
    """A dot and its word, kept on one line."""
    dot = html.Span(className="wall-legend-dot", style={"backgroundColor": colour})
    return html.Span(className="wall-legend-pair", children=[dot, html.Span(word)])


def layer_states(lang: Lang) -> html.Ul:
    """What the colours of the stations' and the hazard sites' marks say, a line a layer."""
    return html.Ul(
        className="wall-legend-states",
        children=[
            html.Li(
                className="wall-legend-state",
                children=[
                    html.Span(t(f"layer.{layer}", lang), className="wall-legend-state-layer"),
                    *(_state(colour, t(key, lang)) for key, colour in states),
                ],
            )
            for layer, states in STATES.items()
        ],
    )


def legend(lang: Lang, hidden: frozenset[str] = frozenset()) -> html.Div:
    """The layers to turn off and on and what their marks' colours say, then the category
    groups and their point colours (the queue's colour bars use the same)."""
    items = [
        html.Li(
            className="wall-legend-item",
            children=[
                html.Span(className="wall-legend-dot", style={"backgroundColor": colour}),
                html.Span(GROUPS[group][0 if lang == "zh" else 1]),
            ],
        )
        for group, colour in GROUP_COLOURS.items()
    ]
    return html.Div(
        id=ids.WALL_MAP_LEGEND,
        className="wall-legend",
        children=[
            html.H3(t("layers.title", lang)),
            layer_toggles(lang, hidden),
            layer_states(lang),
            html.H3(t("legend.title", lang)),
            html.Ul(items),
        ],
    )


def map_panel(figure: go.Figure, lang: Lang, hidden: frozenset[str] = frozenset()) -> html.Section:
    graph = dcc.Graph(
        id=ids.WALL_MAP,
        figure=figure,
        config={"displayModeBar": False, "scrollZoom": False, "responsive": True},
        className="wall-map-graph",
    )
    return html.Section(
        className="wall-panel wall-map",
        children=[
            html.H2(t("map.title", lang), className="wall-panel-title"),
            html.Div(className="wall-map-body", children=[graph, legend(lang, hidden)]),
        ],
    )
