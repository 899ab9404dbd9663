"""/tablet: the leaders' view (touch first; 1024×768 to 2732×2048, portrait and landscape).

The address is the view: `/tablet` the town (open, late, today's reports and closures, the
month's KPIs against the previous month's, the villages ranked), `?village=` a village (its
grids, its open cases on a small map, its people), `&grid=` a grid (its 一长五员 with
tap-to-call links, its cases), `&case=` a case (its detail and timeline; a leader approves
an extension or escalates it here). Every tap is a link: the address follows the drill-down,
a link can be shared, and back goes up.

The first view is drawn into the page itself (no callback before the first paint); then a
2 s interval reads the view again and redraws it only when what it shows changed. Reads run
in a worker thread (the callbacks are async on the server's event loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import redis
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from access.roles import Principal
from cases.commands import allowed_in
from cases.store import get_case
from dashboard import ids
from dashboard.analysis import read_economy, read_histories
from dashboard.api import case_detail
from dashboard.components.case_panel import action_form, button_actions
from dashboard.components.header import demo_mark
from dashboard.components.sketch import prepare
from dashboard.components.tablet_emergency import declare_form, emergency_view
from dashboard.components.tablet_views import (
    DEFAULT_RANK,
    PATH,
    RANKS,
    analysis_view,
    case_view,
    grid_view,
    href,
    town_view,
    village_view,
)
from dashboard.context import WallContext
from dashboard.declare import declare_by_hand, where_options
from dashboard.guard import callers_role_may_see
from dashboard.i18n import Lang, lang_of, request_lang, t
from dashboard.incident_mode import incident_layer, may_end
from dashboard.page_actions import (
    caller,
    digest,
    other_language,
    perform,
    request_body,
    signed_in_as,
)
from dashboard.pages.replay import replay_layout
from dashboard.pages.wall import read_simulated, town_name
from dashboard.routing import page_address
from dashboard.snapshot import read_alerts
from dashboard.tablet_data import read_area, read_town
from dashboard.view import team_names
from emergency import store

REFRESH_MS = 2000
__all__ = ["PATH", "register_tablet_callbacks", "tablet_layout"]
LEADER_ACTIONS = frozenset({"extend", "escalate"})  # what a leader does from the tablet


def tablet_only() -> None:
    if not callers_role_may_see("tablet"):
        raise PreventUpdate


def chosen(query: str) -> dict[str, str]:
    """The view an address names: village, grid, case, rank (unknown keys dropped)."""
    pairs = dict(parse_qsl(query))
    keys = ("village", "grid", "case", "rank", "view", "around")
    return {k: v for k, v in pairs.items() if k in keys and v}


@dataclass(frozen=True, slots=True)
class View:
    """A view as read: a digest of what it shows (the clock aside), one of its form's
    buttons, and how to draw it. Drawn only when the digest changed: an unchanged view every
    2 s costs its reads, not its components and its map."""

    shown: str
    form_key: str
    draw: Callable[[], tuple[list[Any], list[Any]]]  # the view's children, the form's


def read_view(
    wall: WallContext, where: Mapping[str, str], lang: Lang, who: Principal | None
) -> View:
    """The view the address names, read now."""
    now = wall.clock()
    if case_id := where.get("case"):
        return _case(wall, case_id, where, lang, who)
    if where.get("view") == "emergency":
        return _emergency(wall, where, lang, who)
    if where.get("view") == "analysis":
        indicators = read_economy(wall.r, wall.keys)
        past = read_histories(wall.r, wall.keys, now)
        seen = digest(["analysis", indicators, [h.days for h in past], lang])
        return View(seen, "", lambda: (analysis_view(indicators, past, wall.town, lang), []))
    if grid := where.get("grid"):
        area = read_area(wall, "grid", grid, now)
        return View(
            digest(["grid", area, lang]), "", lambda: (grid_view(area, wall.town, lang), [])
        )
    if village := where.get("village"):
        area = read_area(wall, "village", village, now)
        seen = digest(["village", area, lang])
        return View(seen, "", lambda: (village_view(area, wall.town, lang), []))
    rank = str(where.get("rank") if where.get("rank") in RANKS else DEFAULT_RANK)
    overview = read_town(wall, now)
    # Everything the view shows but the clock (the counts' and the periods' "as of").
    figures = [
        overview.counts.as_json() | {"at": None},
        overview.closed_today,
        {**overview.kpi, "period": overview.kpi["period"]["label"]},
        {**overview.before, "period": overview.before["period"]["label"]},
        overview.escalated,
    ]
    seen = digest(["town", figures, rank, lang])
    return View(seen, "", lambda: (town_view(overview, wall.town, lang, rank), []))


def _case(
    wall: WallContext, case_id: str, where: Mapping[str, str], lang: Lang, who: Principal | None
) -> View:
    """A case's detail and the buttons a leader has on it (LEADER_ACTIONS)."""
    case = case_detail(wall.r, wall.keys, case_id, who, wall.clock())
    teams = team_names(lang)
    if case is None:
        return View(digest(["case", case_id, None]), "",
                    lambda: (case_view(None, wall.town, lang, teams, where), []))  # fmt: skip
    allowed = button_actions(allowed_in(str(case.get("stage"))), case, who)
    actions = [a for a in allowed if a in LEADER_ACTIONS]
    seen = [case_id, case.get("version"), len(case["history"]), case["reporters"], lang]

    def draw() -> tuple[list[Any], list[Any]]:
        body = case_view(case, wall.town, lang, teams, where)
        if may_end(who) and case.get("lon") is not None:
            here = href(lang, view="emergency", around=case_id)
            body.append(dcc.Link(t("declare.here", lang), href=here, className="tablet-tap"))
        return body, action_form(actions, lang, list(teams.items()), None, ids.TABLET_FORM)

    return View(digest(["case", *seen, actions]), digest([case_id, actions, lang]), draw)


def _emergency(
    wall: WallContext, where: Mapping[str, str], lang: Lang, who: Principal | None
) -> View:
    """The incidents with their reports; a leader's form to declare one."""
    now = wall.clock()
    incidents = store.listing(wall.r, wall.keys, active_only=False, limit=20)
    seen = [[i["id"], i["status"]] for i in incidents]
    if not may_end(who):
        return View(digest(["emergency", seen, lang]), "",
                    lambda: (emergency_view(incidents, lang), []))  # fmt: skip
    around = get_case(wall.r, wall.keys, where["around"]) if where.get("around") else None
    alerts = read_alerts(wall.r, wall.keys, wall.town.boundary, False, now)
    options = where_options(wall, alerts, around, lang)
    form_key = digest(["declare", [o["value"] for o in options], lang])
    return View(digest(["emergency", seen, form_key]), form_key,
                lambda: (emergency_view(incidents, lang), declare_form(options, lang)))  # fmt: skip


def _header(wall: WallContext, lang: Lang, who: Principal | None, query: str) -> html.Header:
    user = signed_in_as(who, lang)
    return html.Header(
        className="tablet-header",
        children=[
            html.H1(t("tablet.title", lang, town=town_name(wall, lang)), className="tablet-h1"),
            *([demo_mark(lang, "tablet")] if read_simulated(wall) else []),
            html.Span(user, className="tablet-user"),
            html.Nav(
                className="tablet-nav",
                children=[
                    dcc.Link(t("tablet.town", lang), href=href(lang), className="tablet-tap"),
                    dcc.Link(
                        t("tablet.analysis", lang),
                        href=href(lang, view="analysis"),
                        className="tablet-tap",
                    ),
                    dcc.Link(
                        t("declare.nav", lang),
                        href=href(lang, view="emergency"),
                        className="tablet-tap",
                    ),
                    html.A(
                        t("admin.other_lang", lang),
                        href=other_language(PATH, query, lang),
                        id=ids.TABLET_LANG,
                        className="tablet-tap",
                    ),
                ],
            ),
        ],
    )


def tablet_layout(wall: WallContext) -> html.Div:
    """The layout function: the page of the address (its view, its language); with
    `?replay=<from>/<to>`, a past period played back, as on the wall."""
    query = page_address().query
    asked = dict(parse_qsl(query))
    if "replay" in asked:
        return replay_layout(wall, request_lang(), asked["replay"], asked.get("speed"))
    return build_tablet(wall, request_lang(), query, caller())


def build_tablet(wall: WallContext, lang: Lang, query: str, who: Principal | None) -> html.Div:
    try:
        view = read_view(wall, chosen(query), lang, who)
        (body, form), shown = view.draw(), {"view": view.shown, "form": view.form_key}
    except redis.RedisError:
        body, form, shown = [html.P(t("tablet.redis_down", lang), role="alert")], [], {}
    return html.Div(
        id=ids.TABLET_ROOT,
        className="tablet",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            *incident_layer(wall, lang, who=who),
            dcc.Location(id=ids.TABLET_LOCATION, refresh=False),
            _header(wall, lang, who, query),
            html.Main(
                className="tablet-main",
                children=[
                    html.Div(body, id=ids.TABLET_VIEW, className="tablet-view"),
                    html.Div(form, id=ids.TABLET_ACTIONS, className="tablet-actions"),
                    html.P(id=ids.TABLET_OUTCOME, className="tablet-outcome", role="status"),
                ],
            ),
            dcc.Store(id=ids.TABLET_CONFIG, data={"lang": lang}),
            dcc.Store(id=ids.TABLET_SHOWN, data=shown),
            dcc.Store(id=ids.TABLET_DONE, data=0),
            dcc.Store(id=ids.TABLET_SCROLLED, data=""),
            dcc.Interval(id=ids.TABLET_TICK, interval=REFRESH_MS),
        ],
    )


def register_tablet_callbacks(app: Dash, wall: WallContext) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="pages", function_name="otherLanguage"),
        Output(ids.TABLET_LANG, "href"),
        Input(ids.TABLET_LOCATION, "search"),
        prevent_initial_call=True,
    )
    prepare(wall.town)
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="tablet", function_name="toTop"),
        Output(ids.TABLET_SCROLLED, "data"),
        Input(ids.TABLET_LOCATION, "search"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.TABLET_VIEW, "children"),
        Output(ids.TABLET_ACTIONS, "children"),
        Output(ids.TABLET_SHOWN, "data"),
        Input(ids.TABLET_LOCATION, "search"),
        Input(ids.TABLET_TICK, "n_intervals"),
        Input(ids.TABLET_DONE, "data"),
        State(ids.TABLET_CONFIG, "data"),
        State(ids.TABLET_SHOWN, "data"),
    )
    async def show(
        search: str | None, _n: int | None, _done: int, config: Any, shown: Any
    ) -> tuple[Any, Any, Any]:
        tablet_only()
        lang = lang_of((config or {}).get("lang"))
        where = chosen((search or "").lstrip("?"))
        try:
            view = await asyncio.to_thread(read_view, wall, where, lang, caller())
        except redis.RedisError:
            raise PreventUpdate from None
        before = shown or {}
        if view.shown == before.get("view"):
            raise PreventUpdate
        body, form = await asyncio.to_thread(view.draw)
        # The form is rebuilt only when its buttons change: a reason being typed stays.
        out_form = form if view.form_key != before.get("form") else no_update
        return body, out_form, {"view": view.shown, "form": view.form_key}

    @app.callback(
        Output(ids.TABLET_DECLARE_OUTCOME, "children"),
        Input(ids.TABLET_DECLARE_BUTTON, "n_clicks"),
        State(ids.TABLET_DECLARE_TITLE, "value"),
        State(ids.TABLET_DECLARE_WHERE, "value"),
        State(ids.TABLET_DECLARE_RADIUS, "value"),
        State(ids.TABLET_CONFIG, "data"),
        prevent_initial_call=True,
    )
    async def declare(clicks: int | None, title: Any, where: Any, radius: Any, config: Any) -> Any:
        """A leader declares an incident: every screen switches to it."""
        tablet_only()
        who = caller()
        if not clicks or who is None or not may_end(who):
            raise PreventUpdate
        lang = lang_of((config or {}).get("lang"))
        said, _ = await asyncio.to_thread(
            declare_by_hand, wall, who, title, where, radius, wall.clock(), lang
        )
        return said

    @app.callback(
        Output(ids.TABLET_OUTCOME, "children"),
        Output(ids.TABLET_DONE, "data"),
        Input({"type": ids.TABLET_FORM.action, "action": ALL, "kind": ALL}, "n_clicks"),
        State(ids.TABLET_LOCATION, "search"),
        State(ids.TABLET_FORM.reason, "value"),
        State(ids.TABLET_FORM.deadline, "value"),
        State(ids.TABLET_CONFIG, "data"),
        State(ids.TABLET_DONE, "data"),
        prevent_initial_call=True,
    )
    async def act(clicks: list[int | None], search: str | None, *fields: Any) -> tuple[Any, Any]:
        tablet_only()
        pressed = ctx.triggered_id
        case_id = chosen((search or "").lstrip("?")).get("case")
        if not case_id or not isinstance(pressed, Mapping) or not any(clicks):
            raise PreventUpdate
        reason, deadline, config, done = fields
        lang = lang_of((config or {}).get("lang"))
        action = str(pressed["action"])
        body = request_body(action, str(pressed["kind"]), reason, None, deadline, None)
        said, sent = await perform(wall, case_id, body, lang, caller())
        return said, (done or 0) + 1 if sent else no_update
