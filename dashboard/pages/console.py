"""/console: the duty officer's desk (mouse and keyboard, 1920×1080 and up). Handlers,
inspectors and leaders use the same page and see the buttons of their own work.

- The queue: every open case that matches the filters (village, grid, category, stage,
  team, level, late), over all of them (cases/facets.py), newest first, with both
  countdowns; the filters and the case shown are kept in the address (a link can be shared).
- The case panel: everything `GET /api/cases/{id}` has (the same reads: history, duplicates,
  reporters masked by role) and the grid's 一长五员 with `tel:` links.
- A button for exactly each action the case's stage allows the caller; each asks for its
  reason and the fields it needs; the outcome is shown at once, a refusal with its
  `reason_zh`. The action goes through `dashboard/api.py`'s `submit`, as the signed-in user.

Fresh within a second: a 1 s interval re-reads the queue page and the case shown (each a few
Redis reads; a table is sent only when it changed). The callbacks are async and do their
Redis reads in a worker thread: the FastAPI backend runs a callback on its event loop, where
the walls' pushes run too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash_ag_grid as dag
import redis
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from access.roles import Principal
from cases.categories import categories
from cases.commands import allowed_in
from cases.dedup import parent_candidates
from cases.facets import matching
from cases.lifecycle import STAGE_EN, STAGE_ZH, Stage
from cases.routing import table
from cases.store import get_cases
from dashboard import ids
from dashboard.api import case_detail
from dashboard.components.case_panel import action_form, button_actions, case_panel
from dashboard.components.header import demo_mark
from dashboard.components.queue import queue_theme
from dashboard.components.sketch import case_map
from dashboard.context import WallContext
from dashboard.guard import callers_role_may_see
from dashboard.i18n import Lang, lang_of, request_lang, t
from dashboard.incident_mode import incident_layer
from dashboard.page_actions import (
    caller,
    digest,
    other_language,
    perform,
    request_body,
    signed_in_as,
)
from dashboard.pages.wall import read_simulated, town_name
from dashboard.routing import page_address
from dashboard.view import case_row, team_name, team_names

PATH = "/console"
REFRESH_MS = 1000
PARENTS = 20  # nearby cases offered for 合并
PARENT_RADIUS_M = 1000.0
PAGE_ROWS = 200  # the queue shows the newest this many of the matches (the count is of all)
FILTERS = ("village", "grid", "category", "stage", "department", "level")


def console_only() -> None:
    if not callers_role_may_see("console"):
        raise PreventUpdate


# ---- what the page reads --------------------------------------------------------------------


def read_queue(
    wall: WallContext, filters: Mapping[str, str], late: bool | None, lang: Lang
) -> tuple[int, list[dict[str, Any]]]:
    """The number of every matching open case, and the rows of the newest PAGE_ROWS."""
    now = wall.clock()
    page = matching(wall.r, wall.keys, filters, late=late, now=now, limit=PAGE_ROWS)
    rows = []
    for case in get_cases(wall.r, wall.keys, page.ids, now):
        row = case_row(case, lang)
        row["team"] = team_name(case.get("department"), lang)
        rows.append(row)
    return page.total, rows


def read_case(wall: WallContext, case_id: str, who: Principal | None) -> dict[str, Any] | None:
    """The case as `GET /api/cases/{id}` gives it to ``who``."""
    return case_detail(wall.r, wall.keys, case_id, who, wall.clock())


# ---- the page -----------------------------------------------------------------------------


def chosen(query: str) -> tuple[dict[str, str], bool | None, str | None]:
    """The filters, the late filter and the case an address names."""
    pairs = dict(parse_qsl(query))
    filters = {k: v for k, v in pairs.items() if k in FILTERS and v}
    late = {"1": True, "0": False}.get(pairs.get("late", ""))
    return filters, late, pairs.get("case") or None


def address(filters: Mapping[str, Any], late: bool | None, case_id: str | None, lang: Lang) -> str:
    """The query the page keeps in its address: a shared link opens the same view."""
    pairs = {k: v for k, v in filters.items() if v}
    if late is not None:
        pairs["late"] = "1" if late else "0"
    if case_id:
        pairs["case"] = case_id
    if lang == "en":
        pairs["lang"] = "en"
    return "?" + urlencode(pairs) if pairs else ""


def _options(wall: WallContext, lang: Lang) -> dict[str, list[dict[str, str]]]:
    l1, l2 = wall.town.l1, wall.town.l2
    stages = STAGE_ZH if lang == "zh" else STAGE_EN
    return {
        "village": [{"label": str(n), "value": str(c)} for c, n in l1["name"].items()],
        "grid": [
            {"label": f"{v} · {n}", "value": str(c)}
            for c, n, v in zip(l2.index, l2["name"], l2["village_name"], strict=True)
        ],
        "category": [
            {"label": c.zh if lang == "zh" else c.en, "value": c.code}
            for c in categories().values()
        ],
        "stage": [{"label": stages[s], "value": s.value} for s in Stage],
        "department": [{"label": name, "value": code} for code, name in team_names(lang).items()],
        "level": [
            {"label": t(f"level.{v}", lang), "value": v} for v in ("grid", "village", "town")
        ],
    }


def column_defs(lang: Lang) -> list[dict[str, Any]]:
    def col(field: str, key: str, **more: Any) -> dict[str, Any]:
        return {"field": field, "headerName": t(key, lang), **more}

    return [
        col(
            "reported_at",
            "col.time",
            width=120,
            valueFormatter={"function": "beijingTime(params.value)"},
        ),
        col("category", "col.category", width=170),
        col("summary", "col.summary", flex=1, minWidth=260, tooltipField="summary"),
        col("place", "col.place", width=220),
        col("stage_label", "col.stage", width=110),
        col("team", "console.col.team", width=200),
        col("level_label", "col.level", width=90),
        {
            "colId": "response",
            "headerName": t("console.col.response", lang),
            "width": 150,
            "valueGetter": {"function": "responseCountdown(params.data)"},
        },
        {
            "colId": "handling",
            "headerName": t("console.col.handling", lang),
            "width": 150,
            "valueGetter": {"function": "handlingCountdown(params.data)"},
        },
    ]


def _header(wall: WallContext, lang: Lang, who: Principal | None, query: str) -> html.Header:
    user = signed_in_as(who, lang)
    return html.Header(
        className="console-header",
        children=[
            html.H1(
                t("console.title", lang, town=town_name(wall, lang)), className="console-title"
            ),
            *([demo_mark(lang, "console")] if read_simulated(wall) else []),
            html.Span(user, className="console-user"),
            html.Nav(
                className="console-nav",
                children=[
                    html.A(
                        t("admin.to_wall", lang),
                        href="/wall" + ("?lang=en" if lang == "en" else ""),
                    ),
                    html.A(
                        t("admin.other_lang", lang),
                        href=other_language(PATH, query, lang),
                        id=ids.CONSOLE_LANG,
                    ),
                ],
            ),
        ],
    )


def _filters(
    wall: WallContext, lang: Lang, filters: Mapping[str, str], late: bool | None
) -> html.Div:
    options = _options(wall, lang)
    boxes: list[Any] = []
    for name in FILTERS:
        boxes.append(
            html.Div(
                className="console-filter",
                children=[
                    html.Label(t(f"console.filter.{name}", lang), htmlFor=ids.console_filter(name)),
                    dcc.Dropdown(
                        id=ids.console_filter(name),
                        options=options[name],
                        value=filters.get(name),
                        placeholder=t("console.all", lang),
                        className="console-dropdown",
                    ),
                ],
            )
        )
    boxes.append(
        html.Div(
            className="console-filter",
            children=[
                html.Label(t("console.filter.late", lang), htmlFor=ids.CONSOLE_LATE),
                dcc.Dropdown(
                    id=ids.CONSOLE_LATE,
                    options=[
                        {"label": t("console.late.yes", lang), "value": "1"},
                        {"label": t("console.late.no", lang), "value": "0"},
                    ],
                    value=None if late is None else ("1" if late else "0"),
                    placeholder=t("console.all", lang),
                    className="console-dropdown",
                ),
            ],
        )
    )
    return html.Div(boxes, className="console-filters", role="search")


def console_layout(wall: WallContext) -> html.Div:
    """The layout function: the page of the address (its filters, its case, its language)."""
    return build_console(wall, request_lang(), page_address().query, caller())


def build_console(wall: WallContext, lang: Lang, query: str, who: Principal | None) -> html.Div:
    filters, late, case_id = chosen(query)
    grid = dag.AgGrid(
        id=ids.CONSOLE_QUEUE,
        rowData=[],
        columnDefs=column_defs(lang),
        getRowId="params.data.id",
        defaultColDef={
            "sortable": False,
            "resizable": True,
            "suppressMovable": True,
            "cellClassRules": {"is-overdue": "isLate(params.data)"},
        },
        dashGridOptions={
            "theme": {"function": queue_theme(16, 15)},
            "rowHeight": 40,
            "headerHeight": 40,
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "localeText": {"noRowsToShow": t("queue.empty", lang)},
            "tooltipShowDelay": 300,
        },
        className="console-grid",
        style={"height": "100%", "width": "100%"},
    )
    return html.Div(
        id=ids.CONSOLE_ROOT,
        className="console",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            *incident_layer(wall, lang, who=who),
            dcc.Location(id=ids.CONSOLE_LOCATION, refresh=False),
            _header(wall, lang, who, query),
            _filters(wall, lang, filters, late),
            html.Main(
                className="console-main",
                children=[
                    html.Section(
                        className="console-queue",
                        children=[
                            html.H2(
                                [
                                    t("console.queue", lang),
                                    html.Span(id=ids.CONSOLE_COUNT, className="console-count"),
                                ],
                                className="console-panel-title",
                            ),
                            grid,
                        ],
                    ),
                    html.Section(
                        className="console-case",
                        children=[
                            html.Div(
                                id=ids.CONSOLE_CASE,
                                children=[
                                    html.P(t("console.pick", lang), className="console-hint")
                                ],
                            ),
                            html.Div(id=ids.CONSOLE_ACTIONS, className="console-actions"),
                            html.P(
                                id=ids.CONSOLE_OUTCOME,
                                className="console-outcome",
                                role="status",
                            ),
                        ],
                    ),
                ],
            ),
            dcc.Store(id=ids.CONSOLE_CONFIG, data={"lang": lang}),
            dcc.Store(id=ids.CONSOLE_SELECTED, data=case_id),
            dcc.Store(id=ids.CONSOLE_SENT, data={}),
            dcc.Store(id=ids.CONSOLE_SHOWN, data={}),
            dcc.Store(id=ids.CONSOLE_DONE, data=0),
            dcc.Interval(id=ids.CONSOLE_TICK, interval=REFRESH_MS),
        ],
    )


# ---- the callbacks --------------------------------------------------------------------------


def register_console_callbacks(app: Dash, wall: WallContext) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="pages", function_name="otherLanguage"),
        Output(ids.CONSOLE_LANG, "href"),
        Input(ids.CONSOLE_LOCATION, "search"),
        prevent_initial_call=True,
    )
    filter_inputs = [Input(ids.console_filter(name), "value") for name in FILTERS]

    @app.callback(
        Output(ids.CONSOLE_QUEUE, "rowData"),
        Output(ids.CONSOLE_COUNT, "children"),
        Output(ids.CONSOLE_LOCATION, "search"),
        Output(ids.CONSOLE_SENT, "data"),
        Input(ids.CONSOLE_TICK, "n_intervals"),
        Input(ids.CONSOLE_DONE, "data"),
        Input(ids.CONSOLE_LATE, "value"),
        Input(ids.CONSOLE_SELECTED, "data"),
        *filter_inputs,
        State(ids.CONSOLE_CONFIG, "data"),
        State(ids.CONSOLE_SENT, "data"),
    )
    async def refresh_queue(
        _n: int | None, _done: int, late: str | None, selected: str | None, *rest: Any
    ) -> tuple[Any, ...]:
        console_only()
        *values, config, sent = rest
        lang = lang_of((config or {}).get("lang"))
        filters = {name: v for name, v in zip(FILTERS, values, strict=True) if v}
        late_flag = {"1": True, "0": False}.get(late or "")
        try:
            total, rows = await asyncio.to_thread(read_queue, wall, filters, late_flag, lang)
        except redis.RedisError:
            return no_update, t("admin.redis_down", lang, time="—"), no_update, sent
        found = digest(rows)
        out = rows if found != (sent or {}).get("rows") else no_update
        count = t("console.count", lang, n=f"{total:,}")
        where = address(filters, late_flag, selected, lang)
        moved = where if where != (sent or {}).get("address") else no_update
        return out, count, moved, {"rows": found, "address": where}

    @app.callback(
        Output(ids.CONSOLE_SELECTED, "data"),
        Input(ids.CONSOLE_QUEUE, "selectedRows"),
        prevent_initial_call=True,
    )
    def pick(selected: list[dict[str, Any]] | None) -> Any:
        console_only()
        if not selected:
            raise PreventUpdate
        return selected[0]["id"]

    @app.callback(
        Output(ids.CONSOLE_CASE, "children"),
        Output(ids.CONSOLE_ACTIONS, "children"),
        Output(ids.CONSOLE_SHOWN, "data"),
        Input(ids.CONSOLE_SELECTED, "data"),
        Input(ids.CONSOLE_TICK, "n_intervals"),
        Input(ids.CONSOLE_DONE, "data"),
        State(ids.CONSOLE_CONFIG, "data"),
        State(ids.CONSOLE_SHOWN, "data"),
    )
    async def show_case(
        case_id: str | None, _n: int | None, _done: int, config: Any, sent: Any
    ) -> tuple[Any, Any, Any]:
        console_only()
        if not case_id:
            raise PreventUpdate
        lang = lang_of((config or {}).get("lang"))
        who = caller()
        try:
            case = await asyncio.to_thread(read_case, wall, case_id, who)
        except redis.RedisError:
            raise PreventUpdate from None
        if case is None:
            return [html.P(t("console.gone", lang), className="console-hint")], [], {}
        # The panel is sent only when the case changed: a page redrawn every second would hold
        # the browser's main thread, and the buttons with it.
        found = digest([case_id, case.get("version"), len(case["history"]), case["reporters"]])
        if found == (sent or {}).get("case"):
            raise PreventUpdate
        people = wall.town.roster.get(case.get("grid") or "", [])
        where = case_map(wall.town, case, t("console.where", lang))
        panel = case_panel(case, people, lang, team_names(lang), where)
        actions = button_actions(allowed_in(str(case.get("stage"))), case, who)
        # The form is rebuilt only when the buttons change: a reason being typed stays.
        # Per case: another case's form would offer its team and its parents.
        now_shown = {"case": found, "form": digest([case_id, actions])}
        if now_shown["form"] == (sent or {}).get("form"):
            return panel, no_update, now_shown
        parents = await asyncio.to_thread(_parents, wall, case, lang) if "merge" in actions else []
        teams = list(team_names(lang).items())
        form = action_form(actions, lang, teams, _suggested(case), ids.CONSOLE_FORM, parents)
        return panel, form, now_shown

    @app.callback(
        Output(ids.CONSOLE_OUTCOME, "children"),
        Output(ids.CONSOLE_DONE, "data"),
        Input({"type": ids.CONSOLE_ACTION, "action": ALL, "kind": ALL}, "n_clicks"),
        State(ids.CONSOLE_SELECTED, "data"),
        State(ids.CONSOLE_REASON, "value"),
        State(ids.CONSOLE_DEPARTMENT, "value"),
        State(ids.CONSOLE_DEADLINE, "value"),
        State(ids.CONSOLE_PARENT, "value"),
        State(ids.CONSOLE_CONFIG, "data"),
        State(ids.CONSOLE_DONE, "data"),
        prevent_initial_call=True,
    )
    async def act(clicks: list[int | None], case_id: str | None, *fields: Any) -> tuple[Any, Any]:
        console_only()
        pressed = ctx.triggered_id
        if not case_id or not isinstance(pressed, Mapping) or not any(clicks):
            raise PreventUpdate
        reason, department, deadline, parent, config, done = fields
        lang = lang_of((config or {}).get("lang"))
        body = request_body(
            str(pressed["action"]), str(pressed["kind"]), reason, department, deadline, parent
        )
        said, sent = await perform(wall, case_id, body, lang, caller())
        return said, (done or 0) + 1 if sent else no_update

    @app.callback(
        Output(ids.CONSOLE_PARENT, "options"),
        Input(ids.CONSOLE_PARENT, "search_value"),
        State(ids.CONSOLE_PARENT, "options"),
        State(ids.CONSOLE_SELECTED, "data"),
        State(ids.CONSOLE_CONFIG, "data"),
        prevent_initial_call=True,
    )
    async def search_parent(
        typed: str | None, options: list[dict[str, str]] | None, case_id: str | None, config: Any
    ) -> Any:
        """A whole case number typed: that open case is offered too."""
        console_only()
        wanted = (typed or "").strip()
        offered = options or []
        if not wanted or wanted == case_id or any(o["value"] == wanted for o in offered):
            raise PreventUpdate
        found = await asyncio.to_thread(get_cases, wall.r, wall.keys, [wanted])
        if not found or found[0].get("status") != "open":
            raise PreventUpdate
        label = _parent_label(found[0], lang_of((config or {}).get("lang")), None)
        return [*offered, {"label": label, "value": wanted}]


def _parents(wall: WallContext, case: Mapping[str, Any], lang: Lang) -> list[tuple[str, str]]:
    """The open cases of its kind near the case, nearest first, to merge it into."""
    near = parent_candidates(wall.r, wall.keys, case, radius_m=PARENT_RADIUS_M, limit=PARENTS)
    found = {c["id"]: c for c in get_cases(wall.r, wall.keys, [i for i, _ in near])}
    return [(i, _parent_label(found[i], lang, metres)) for i, metres in near if i in found]


def _parent_label(case: Mapping[str, Any], lang: Lang, metres: float | None) -> str:
    where = "—" if metres is None else f"{metres:,.0f}"
    return t("console.parent_option", lang, id=str(case["id"]), title=str(case.get("title") or ""),
             address=str(case.get("address") or ""), m=where)  # fmt: skip


def _suggested(case: Mapping[str, Any]) -> str | None:
    """The routing table's team for the case (its department when it has one)."""
    if case.get("department"):
        return str(case["department"])
    routed = table().route(str(case.get("category") or ""), case.get("village"), None)
    return routed.team if routed.automatic else None
