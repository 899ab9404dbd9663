"""The live queue: dash-ag-grid, one row per open case, text only: overdue rows on top, then
newest first; new rows flash.

Cells use the grid's default text rendering (never HTML or markdown): a description holding
`<script>` shows as those characters. A row carries its case view (cases/view.py: late, the
deadlines running); the browser (assets/wall.js, `dashAgGridFunctions`) counts those deadlines
down every second, so the server never sends a row just because time passed, and re-sorts
when one runs out. A row the push adds carries `pushed_at`, and flashes once (`is-new`, wall.css).
"""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.i18n import Lang, t
from dashboard.theme import FONT_VAR, GROUP_COLOURS

ROW_HEIGHT = 66
HEADER_HEIGHT = 60
GROUP_BAR_PX = 10


def queue_theme(font_px: int, header_px: int) -> str:
    """The queue's dark ag-grid theme at these font sizes (the wall's; the console's, smaller)."""
    return (
        "themeQuartz.withParams({"
        "backgroundColor: '#0f2238', foregroundColor: '#e8f1fa', borderColor: '#22405f',"
        "headerBackgroundColor: '#142d4a', headerTextColor: '#9fc3e6', oddRowBackgroundColor:"
        f" '#12273f', fontSize: {font_px}, headerFontSize: {header_px}, fontFamily: '{FONT_VAR}',"
        " wrapperBorderRadius: 0, spacing: 10, headerFontWeight: 600})"
    )


THEME = queue_theme(30, 26)


def _group_style() -> dict[str, Any]:
    """A coloured bar per category group: the same colours as the map's points."""
    conditions = [
        {
            "condition": f"params.data.group === '{group}'",
            "style": {"borderLeft": f"{GROUP_BAR_PX}px solid {colour}"},
        }
        for group, colour in GROUP_COLOURS.items()
    ]
    return {"styleConditions": conditions}


# The columns whose values are of the time (age, the countdown): the page redraws these
# every second (assets/wall.js refreshQueue), the rest only when a row changes or turns late.
TICKING = ("age", "countdown")


def column_defs(lang: Lang) -> list[dict[str, Any]]:
    return [
        {  # the first sort key: late rows on top (hidden; wall.js re-sorts as time passes)
            "colId": "overdue",
            "valueGetter": {"function": "isLate(params.data) ? 1 : 0"},
            "hide": True,
            "sort": "desc",
            "sortIndex": 0,
        },
        {
            "field": "reported_at",
            "headerName": t("col.time", lang),
            "valueFormatter": {"function": "beijingTime(params.value)"},
            "sort": "desc",
            "sortIndex": 1,
            "width": 130,
        },
        {
            "field": "category",
            "headerName": t("col.category", lang),
            "cellStyle": _group_style(),
            "width": 220,
        },
        {"field": "summary", "headerName": t("col.summary", lang), "flex": 1, "minWidth": 300},
        {"field": "place", "headerName": t("col.place", lang), "width": 300},
        {"field": "stage_label", "headerName": t("col.stage", lang), "width": 150},
        {
            "field": "level_label",
            "headerName": t("col.level", lang),
            "width": 130,
            "cellClassRules": {
                "is-level-village": "params.data.level === 'village'",
                "is-level-town": "params.data.level === 'town'",
            },
        },
        {
            "colId": TICKING[0],
            "headerName": t("col.age", lang),
            "valueGetter": {"function": "caseAge(params.data)"},
            "width": 150,
        },
        {
            "colId": TICKING[1],
            "headerName": t("col.countdown", lang),
            "valueGetter": {"function": "responseCountdown(params.data)"},
            "width": 260,
        },
    ]


def queue_grid(rows: list[dict[str, Any]], lang: Lang) -> dag.AgGrid:
    return dag.AgGrid(
        id=ids.WALL_QUEUE_GRID,
        rowData=rows,
        columnDefs=column_defs(lang),
        getRowId="params.data.id",
        defaultColDef={
            "sortable": False,
            "resizable": False,
            "suppressMovable": True,
            "cellClassRules": {"is-overdue": "isLate(params.data)"},
        },
        rowClassRules={"is-new": "isNewRow(params.data)"},
        dashGridOptions={
            "theme": {"function": THEME},
            "rowHeight": ROW_HEIGHT,
            "headerHeight": HEADER_HEIGHT,
            "suppressCellFocus": True,
            # The hidden late column's value once a row per sort, not once per comparison
            # (each parses two deadlines); a transaction empties the cache, and so does the
            # page's tick every second (wall.js refreshQueue): age and countdowns run on.
            "valueCache": True,
            "suppressHorizontalScroll": True,
            "localeText": {"noRowsToShow": t("queue.empty", lang)},
        },
        className="wall-grid",
        style={"height": "100%", "width": "100%"},
    )


def queue_panel(rows: list[dict[str, Any]], lang: Lang, filter_text: str = "") -> html.Section:
    """The queue under its title; a filtered queue says what it leaves out."""
    title: list[str | Component] = [
        t("queue.title", lang),
        html.Span(filter_text, id=ids.WALL_QUEUE_FILTER, className="wall-queue-filter"),
    ]
    return html.Section(
        className="wall-panel wall-queue",
        children=[html.H2(title, className="wall-panel-title"), queue_grid(rows, lang)],
    )
