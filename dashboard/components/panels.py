"""The wall's reserved areas: the right-hand column of KPI / module panels and the bottom band of
trend charts. Each is a titled panel around a container (`ids.WALL_MODULES`,
`ids.WALL_TRENDS`) that the module and chart builders fill; empty, it says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import Lang, t


def empty_state(lang: Lang) -> html.P:
    """What an area without figures says: never a blank that looks like a calm zero."""
    return html.P(t("panel.empty", lang), className="wall-empty")


def _area(
    area: str, body_id: str, title: str, children: Sequence[Component] | None, lang: Lang
) -> html.Section:
    body = list(children) if children else [empty_state(lang)]
    return html.Section(
        className=f"wall-panel wall-{area}",
        children=[
            html.H2(title, className="wall-panel-title"),
            html.Div(body, id=body_id, className=f"wall-{area}-body"),
        ],
    )


def modules_column(lang: Lang, panels: Sequence[Component] | None = None) -> html.Section:
    """The right-hand column: module panels stacked (the column grows at 32:9)."""
    return _area("modules", ids.WALL_MODULES, t("modules.title", lang), panels, lang)


def trends_band(lang: Lang, charts: Sequence[Component] | None = None) -> html.Section:
    """The bottom band under the map and the right column: trend charts side by side."""
    return _area("trends", ids.WALL_TRENDS, t("trends.title", lang), charts, lang)
