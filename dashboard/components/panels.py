"""The wall's reserved areas: the right-hand column of module panels and the bottom band of
trend charts. Each is a titled panel around a container (`ids.WALL_MODULES`,
`ids.WALL_TRENDS`); empty, it says so. The module panels (dashboard.modules) each show a few
figures or say that their feeds sent nothing yet; the push replaces a panel's figures, and
assets/wall.js pages through the panels when they do not all fit. A panel is as tall as its
figures need (assets/wall.css): none is ever cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from dash import html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import Lang, t
from dashboard.modules import Figure, Module, Result


def empty_state(lang: Lang) -> html.P:
    """What an area without figures says: never a blank that looks like a calm zero."""
    return html.P(t("panel.empty", lang), className="wall-empty")


def _area(
    area: str,
    body_id: str,
    title: Sequence[Component | str],
    children: Sequence[Component] | None,
    lang: Lang,
) -> html.Section:
    body = list(children) if children else [empty_state(lang)]
    return html.Section(
        className=f"wall-panel wall-{area}",
        children=[
            html.H2(list(title), className="wall-panel-title"),
            html.Div(body, id=body_id, className=f"wall-{area}-body"),
        ],
    )


def figure_key(module: str, index: int, figure: Figure, lang: Lang) -> str:
    """A short digest of what the figure shows (see `ids.module_figure`)."""
    shown = "\t".join(
        (module, str(index), lang, *figure.label, figure.value, *figure.unit, figure.note)
    )
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


def module_figures(module: str, figures: Sequence[Figure], lang: Lang) -> list[Component]:
    """A panel's figures (label, value, unit, note), or "no data yet"."""
    if not figures:
        none_id = ids.module_figure(f"{module}-none-{lang}")
        return [html.P(t("panel.empty", lang), id=none_id, className="wall-empty")]
    return [
        html.Div(
            id=ids.module_figure(figure_key(module, n, figure, lang)),
            className="wall-module-figure",
            children=[
                html.Span(figure.label.of(lang), className="wall-module-label"),
                html.Span(figure.value, className="wall-module-value"),
                html.Span(figure.unit.of(lang), className="wall-module-unit"),
                html.Span(figure.note, className="wall-module-note"),
            ],
        )
        for n, figure in enumerate(figures)
    ]


def module_panel(module: Module, figures: Sequence[Figure], lang: Lang) -> html.Section:
    has_data = " has-data" if figures else ""
    return html.Section(
        id=ids.wall_module(module.id),
        className=f"wall-module{has_data}",
        title=module.pillar,
        children=[
            html.H3(module.title.of(lang), className="wall-module-title"),
            html.Div(
                module_figures(module.id, figures, lang),
                id=ids.wall_module_body(module.id),
                className="wall-module-figures",
            ),
        ],
    )


def module_panels(results: Sequence[Result], lang: Lang) -> list[Component]:
    return [module_panel(module, figures, lang) for module, figures in results]


def modules_column(lang: Lang, panels: Sequence[Component] | None = None) -> html.Section:
    """The right-hand column: module panels in a grid (five columns at 32:9), paged."""
    page = html.Span(id=ids.WALL_MODULES_PAGE, className="wall-modules-page")
    title: list[Component | str] = [t("modules.title", lang), page]
    return _area("modules", ids.WALL_MODULES, title, panels, lang)


def trends_band(lang: Lang, charts: Sequence[Component] | None = None) -> html.Section:
    """The bottom band under the map and the right column (at 32:9 under the column only:
    the map takes the whole height): trend charts side by side."""
    return _area("trends", ids.WALL_TRENDS, [t("trends.title", lang)], charts, lang)
