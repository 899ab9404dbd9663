"""The wall's header: town and title, today's KPIs, the Beijing-time clock, the link light;
below them the strip of per-feed link lights."""

from __future__ import annotations

from dash import html

from dashboard import ids
from dashboard.i18n import Lang, t

KPI_KINDS = ("open", "today", "overdue")


def kpi_tile(kind: str, value: int | None, lang: Lang) -> html.Div:
    """One KPI: a label and a value the push (or the browser tick) keeps current."""
    shown = "—" if value is None else str(value)
    return html.Div(
        className=f"wall-kpi wall-kpi-{kind}",
        children=[
            html.Span(t(f"kpi.{kind}", lang), className="wall-kpi-label"),
            html.Span(shown, id=ids.wall_kpi(kind), className="wall-kpi-value"),
        ],
    )


def link_light(lang: Lang) -> html.Div:
    """Grey while connecting; the browser tick turns it green, amber or red."""
    return html.Div(
        id=ids.WALL_HEADER_LINK,
        className="wall-link is-connecting",
        children=[
            html.Span(className="wall-link-dot"),
            html.Span(t("link.connecting", lang), id=ids.WALL_HEADER_LINK_TEXT),
        ],
    )


def wall_header(
    town_name: str, kpis: dict[str, int | None], lang: Lang, feeds: html.Div | None = None
) -> html.Header:
    main = html.Div(
        className="wall-header-main",
        children=[
            html.Div(
                className="wall-brand",
                children=[
                    html.H1(town_name, id=ids.WALL_HEADER_TITLE, className="wall-title"),
                    html.Span(t("wall.subtitle", lang), className="wall-subtitle"),
                ],
            ),
            html.Div(
                className="wall-kpis",
                children=[kpi_tile(kind, kpis.get(kind), lang) for kind in KPI_KINDS],
            ),
            html.Div(id=ids.WALL_HEADER_CLOCK, className="wall-clock"),
            link_light(lang),
        ],
    )
    return html.Header(className="wall-header", children=[main] if feeds is None else [main, feeds])
