"""The wall's header: town and title (with the 演示数据 mark while the simulator feeds the
centre), today's KPIs, the Beijing-time clock, the link light and the other language; below
them the alert ticker and the strip of per-feed link lights."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard import ids
from dashboard.i18n import Lang, t
from dashboard.modules import Text

KPI_KINDS = ("open", "today", "overdue")
DEMO = Text("演示数据", "Demo data")
DEMO_WHY = Text(
    "本屏数据来自模拟器，不是本镇的真实业务数据",
    "The data on this screen comes from the simulator, not from the town's own systems",
)


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


def demo_mark(lang: Lang, page: str = "wall") -> html.Span:
    """The 演示数据 mark. The wall's is shown only while its root says `is-demo` (wall.css):
    the page load and then the push's beat (assets/wall.js) keep that class; a desk page
    (``page`` console, tablet) puts it in its header when the simulator fed the centre at
    its load."""
    why = DEMO_WHY.of(lang)
    said: Any = {"aria-label": why}  # (not a keyword Dash types); a note may be labelled
    return html.Span(DEMO.of(lang), className=f"{page}-demo", title=why, role="note", **said)


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


def lang_link(lang: Lang, href: str) -> html.A:
    """The other language, same view (filters kept): for whoever sets the wall up."""
    return html.A(t("lang.other", lang), id=ids.WALL_HEADER_LANG, className="wall-lang", href=href)


def wall_header(
    town_name: str,
    kpis: dict[str, int | None],
    lang: Lang,
    feeds: html.Div | None = None,
    ticker: html.Div | None = None,
    other_lang: str | None = None,
    notices: html.Div | None = None,
) -> html.Header:
    main = html.Div(
        className="wall-header-main",
        children=[
            html.Div(
                className="wall-brand",
                children=[
                    html.H1(town_name, id=ids.WALL_HEADER_TITLE, className="wall-title"),
                    html.Span(t("wall.subtitle", lang), className="wall-subtitle"),
                    demo_mark(lang),
                ],
            ),
            html.Div(
                className="wall-kpis",
                children=[kpi_tile(kind, kpis.get(kind), lang) for kind in KPI_KINDS],
            ),
            html.Div(id=ids.WALL_HEADER_CLOCK, className="wall-clock"),
            link_light(lang),
            *([] if other_lang is None else [lang_link(lang, other_lang)]),
        ],
    )
    # The centre's own health at the end of the ticker's row: the header keeps its height (the
    # panels below are laid out for it) and the notices cover no data.
    if notices is not None and ticker is not None:
        ticker = html.Div(className="wall-ticker-row", children=[ticker, notices])
    rows = [main, ticker or notices, feeds]
    return html.Header(className="wall-header", children=[r for r in rows if r is not None])
