"""The wall's bottom band: reports per hour (today beside yesterday) and records per minute of
the busiest feeds over the last two hours, as plain static charts sized for reading at 5 m.

The push replaces a chart's figure when its numbers change (once a minute at most): a few
hundred values, never the case list.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import Lang, t
from dashboard.lights import feed_label
from dashboard.theme import FONT_STACK, MAP_BACKGROUND
from dashboard.trends import TrendData

CHARTS = ("reports", "intake")
TOP_FEEDS = 5  # lines drawn; the other feeds are summed into one
TEXT = "#eaf2fb"
GRID = "#27425e"
TODAY, YESTERDAY = "#4fc3f7", "#8fa3b8"
LINES = ("#ffb020", "#3ddc84", "#4fc3f7", "#f06292", "#b388ff", "#8fa3b8")
TICK_PX, LEGEND_PX = 26, 26  # at 2160 px high, legible from the back of the room


def _layout(**extra: Any) -> dict[str, Any]:
    axis = {"gridcolor": GRID, "zeroline": False, "tickfont": {"size": TICK_PX, "color": TEXT}}
    return {
        "paper_bgcolor": MAP_BACKGROUND,
        "plot_bgcolor": MAP_BACKGROUND,
        "font": {"family": FONT_STACK, "color": TEXT, "size": TICK_PX},
        "margin": {"l": 70, "r": 20, "t": 10, "b": 50},
        "xaxis": dict(axis),
        "yaxis": {**axis, "rangemode": "tozero"},
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
            "font": {"size": LEGEND_PX},
        },
        "bargap": 0.15,
        **extra,
    }


def reports_figure(data: TrendData, lang: Lang) -> go.Figure:
    """Reports per Beijing hour: today's bars (hours to come left empty), yesterday's line."""
    hours = [f"{h:02d}" for h in range(24)]
    today = go.Bar(x=hours, y=list(data.today), name=t("trends.today", lang), marker_color=TODAY)
    yesterday = go.Scatter(
        x=hours, y=list(data.yesterday), name=t("trends.yesterday", lang), mode="lines",
        line={"color": YESTERDAY, "width": 4, "dash": "dot"},
    )  # fmt: skip
    return go.Figure([today, yesterday], _layout(xaxis_dtick=3))


def intake_figure(data: TrendData, lang: Lang) -> go.Figure:
    """Records per minute of the busiest feeds over the last two hours, the rest summed."""
    times = [m.replace(tzinfo=None) for m in data.minute_times()]  # shown as Beijing time
    busiest = sorted(data.feeds, key=lambda f: (-sum(data.feeds[f]), f))
    shown, rest = busiest[:TOP_FEEDS], busiest[TOP_FEEDS:]
    series = [(feed_label(f, lang), data.feeds[f]) for f in shown]
    if rest:
        summed = tuple(sum(values) for values in zip(*(data.feeds[f] for f in rest), strict=True))
        series.append((t("trends.other_feeds", lang), summed))
    traces = [
        go.Scatter(
            x=times,
            y=list(values),
            name=name,
            mode="lines",
            line={"color": LINES[n % len(LINES)], "width": 4},
        )
        for n, (name, values) in enumerate(series)
    ]
    return go.Figure(traces, _layout(xaxis_tickformat="%H:%M"))


FIGURES = {"reports": reports_figure, "intake": intake_figure}


def _numbers(data: TrendData, name: str) -> tuple[object, ...]:
    """What a chart is drawn from: equal numbers, the same chart."""
    if name == "reports":
        return data.today, data.yesterday
    return data.first_minute, tuple(sorted(data.feeds.items()))


def changed_charts(
    shown: TrendData | None, data: TrendData, lang: Lang
) -> list[tuple[str, go.Figure]]:
    """The charts to send: those whose numbers differ from what the page shows (all of them
    when that is unknown); none when the data could not be read."""
    if not data.ok:
        return []
    return [
        (name, FIGURES[name](data, lang))
        for name in CHARTS
        if shown is None or not shown.ok or _numbers(shown, name) != _numbers(data, name)
    ]


def trend_charts(data: TrendData, lang: Lang) -> list[Component]:
    """The band's charts, or none (the band then says "no data") when Redis did not answer."""
    if not data.ok:
        return []
    return [
        html.Div(
            className="wall-trend",
            children=[
                html.H3(t(f"trends.{name}", lang), className="wall-trend-title"),
                dcc.Graph(
                    id=ids.wall_trend(name),
                    figure=FIGURES[name](data, lang),
                    config={"displayModeBar": False, "staticPlot": True, "responsive": True},
                    className="wall-trend-graph",
                ),
            ],
        )
        for name in CHARTS
    ]
