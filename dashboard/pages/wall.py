"""/wall: the video wall. The layout is a function (read at page load); one push callback.

Areas (assets/wall.css): the header across the top (town, KPIs, Beijing time, link light,
alert ticker, per-feed lights), the live queue on the left, the map in the centre, module
panels in the right-hand column, trend charts in the bottom band under map and column; on a
32:9 wall the map keeps a near-square column the whole height and the modules and the trends
share the rest of the width. All view state is in the address: `?lang=en`, the queue filter
(dashboard.filters).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import redis
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, dcc, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.components.feed_lights import feed_strip
from dashboard.components.header import wall_header
from dashboard.components.notices import notice_items, notice_strip
from dashboard.components.panels import module_panels, modules_column, trends_band
from dashboard.components.queue import TICKING, queue_panel
from dashboard.components.ticker import Item, ticker, ticker_items
from dashboard.components.trends import trend_charts
from dashboard.components.wall_map import LAYER_TRACES, hidden_layers, map_panel, wall_figure
from dashboard.context import WallContext
from dashboard.filters import CaseFilter, describe, page_query, request_filter
from dashboard.health import notices
from dashboard.i18n import Lang, request_lang, words
from dashboard.incident_mode import incident_layer
from dashboard.lights import Light, lights, silence_s, unknown_lights
from dashboard.live import STALE_AFTER_MS, run_push
from dashboard.modules import compute
from dashboard.modules.data import read_module_data
from dashboard.overlays import AlertAreas, Overlays, alert_areas, read_stations
from dashboard.overlays import build as build_overlays
from dashboard.pages.replay import replay_layout
from dashboard.push import Snapshot, View, build_view, mirror_to_store
from dashboard.routing import page_address
from dashboard.rows_link import ROWS_PATH
from dashboard.snapshot import read_alerts, read_snapshot
from dashboard.trends import read_trends
from ingest.freshness import feeds_status, is_simulated
from layers.sites import sites

PATH = "/wall"
TICK_MS = 1000
# The link is down but the server answers /healthz: Dash's socket worker retries ten times
# (about three minutes) and then waits for the tab to turn visible, which a wall never does.
# Once the server has answered this long with still no beat, the worker has given up: the
# page sends a callback through it, which opens a new socket (no reload). Not more often
# than NUDGE_EVERY_MS, so that a nudge never races a retry of the worker's own.
HEALTH_EVERY_MS = 10_000
NUDGE_AFTER_MS = 45_000
NUDGE_EVERY_MS = 240_000
# The last resort, for a worker that is gone: the server has answered this long, nudges
# went out and still no beat. A reload then, quietly (the address keeps the view).
LAST_RESORT_MS = 15 * 60_000


def town_name(wall: WallContext, lang: Lang) -> str:
    settings = wall.settings
    return settings.town_name if lang == "zh" else settings.town_name_en


def page_config(
    lang: Lang,
    health_url: str,
    feeds: tuple[str, ...] = (),
    reload_at: str | None = None,
    rotate_s: float = 15.0,
    rows_url: str = ROWS_PATH,
    demo: bool = False,
) -> dict[str, Any]:
    """What the browser-side ticks (assets/wall.js) need: ids, timings, words, feed windows,
    and whether the simulator fed the centre at page load (`demo`: until the push says)."""
    return {
        "lang": lang,
        "demo": demo,
        "pageId": uuid4().hex,  # pairs this page's rows link with its push (rows_link.py)
        "rowsUrl": rows_url,
        "gridId": ids.WALL_QUEUE_GRID,
        "tickingColumns": list(TICKING),
        "tickerId": ids.WALL_HEADER_TICKER,
        "staleAfterMs": STALE_AFTER_MS,
        "healthUrl": health_url,
        "healthEveryMs": HEALTH_EVERY_MS,
        "nudgeAfterMs": NUDGE_AFTER_MS,
        "nudgeEveryMs": NUDGE_EVERY_MS,
        "lastResortMs": LAST_RESORT_MS,
        "reloadAt": reload_at,
        "modulesId": ids.WALL_MODULES,
        "modulesPageId": ids.WALL_MODULES_PAGE,
        "rotateMs": int(rotate_s * 1000),
        "mapId": ids.WALL_MAP,
        "langLinkId": ids.WALL_HEADER_LANG,
        "layers": {
            layer: [ids.wall_layer(layer), list(traces)] for layer, traces in LAYER_TRACES.items()
        },
        "feedSilenceS": {feed: silence_s(feed) for feed in feeds},
        "words": {part: words(part, lang) for part in ("link", "unit", "due", "age", "banner")},
    }


def read_lights(wall: WallContext) -> list[Light]:
    try:
        return lights(feeds_status(wall.r, wall.keys, wall.feeds), wall.feeds)
    except redis.RedisError:
        return unknown_lights(wall.feeds)


def read_simulated(wall: WallContext) -> bool:
    """The 演示数据 mark at page load (not while Redis is away: the banner says so)."""
    try:
        return is_simulated(wall.r, wall.keys, wall.clock())
    except redis.RedisError:
        return False


def read_notices(wall: WallContext, lang: Lang) -> list[dict[str, str]]:
    """The health strip's items at page load (none while Redis is away: the banner says so)."""
    try:
        found = notices(wall.r, wall.keys, wall.settings, wall.clock())
    except redis.RedisError:
        return []
    return notice_items(found, lang)


def link_banner() -> html.Div:
    """Hidden while the link is up; the browser tick fills and shows it (wall.js)."""
    return html.Div(id=ids.WALL_LINK_BANNER, className="wall-banner", role="alert")


def stores(wall: WallContext, cursor: dict[str, Any], feeds: list[Light], config: Any) -> list[Any]:
    return [
        dcc.Store(id=ids.WALL_PUSH_CURSOR, data=cursor),
        dcc.Store(id=ids.WALL_PUSH_BEAT),
        dcc.Store(id=ids.WALL_PUSH_FEEDS, data=feeds),
        dcc.Store(id=ids.WALL_LINK_NUDGE),
        dcc.Store(id=ids.WALL_PAGE_CONFIG, data=config),
        dcc.Interval(id=ids.WALL_CLOCK_TICK, interval=TICK_MS),
    ]


def build_wall(
    wall: WallContext,
    snap: Snapshot,
    view: View,
    lang: Lang,
    health_url: str = "/healthz",
    feeds: list[Light] | None = None,
    now: datetime | None = None,
    *,
    alerts: list[Item] | None = None,
    case_filter: CaseFilter | None = None,
    modules: list[Component] | None = None,
    trends: list[Component] | None = None,
    overlays: Overlays | None = None,
    hidden: frozenset[str] = frozenset(),
    notices: list[dict[str, str]] | None = None,
    rows_url: str = ROWS_PATH,
    incident: list[Any] | None = None,
    areas: AlertAreas | None = None,
    simulated: bool = False,
) -> html.Div:
    """The whole wall for one snapshot (pure: the layout function does the reading);
    ``incident``: the incident layer's components (dashboard/incident_mode.py);
    ``simulated``: the simulator fed the centre lately (the header's 演示数据 mark)."""
    settings = wall.settings
    case_filter = case_filter or CaseFilter()
    feeds = unknown_lights(wall.feeds) if feeds is None else feeds
    strip = feed_strip(feeds, lang, now or datetime.now(UTC))
    figure = wall_figure(
        wall.town, snap.grid, view.points, lang=lang, tile_url=settings.map_tile_url,
        overlays=overlays, hidden=hidden, alerts=areas,
    )  # fmt: skip
    counts = snap.counts
    kpis: dict[str, int | None] = (
        {} if counts is None else
        {"open": counts.open_total, "today": counts.today_total, "overdue": counts.response_overdue}
    )  # fmt: skip
    # A page whose snapshot failed carries no mirror: its push starts with a resync.
    cursor = mirror_to_store(
        view.mirror, snap.cursor, lang, fresh=snap.ok, query=case_filter.query()
    )
    other: Lang = "zh" if lang == "en" else "en"
    config = page_config(
        lang,
        health_url,
        wall.feeds,
        settings.wall_reload_at,
        settings.wall_panel_rotate_s,
        rows_url,
        simulated,
    )
    header = wall_header(
        town_name(wall, lang),
        kpis,
        lang,
        strip,
        ticker(alerts or [], lang),
        page_query(other, case_filter, hidden) or "?",  # relative: the same page, wherever mounted
        notice_strip(notices or []),
    )
    return html.Div(
        id=ids.WALL_ROOT,
        className="wall is-demo" if simulated else "wall",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            *(incident or []),
            header,
            queue_panel(view.rows, lang, describe(case_filter, lang)),
            map_panel(figure, lang, hidden),
            modules_column(lang, modules),
            trends_band(lang, trends),
            link_banner(),
            *stores(wall, cursor, feeds, config),
        ],
    )


def wall_layout(wall: WallContext, health_url: str, rows_url: str = ROWS_PATH) -> html.Div:
    """The layout function: the stream cursor and the open cases as of this page load; with
    `?replay=<from>/<to>`, a past period played back (dashboard/pages/replay.py)."""
    lang, case_filter = request_lang(), request_filter()
    asked = parse_qs(page_address().query)
    if "replay" in asked:
        speed = asked.get("speed", [""])[-1] or None
        return replay_layout(wall, lang, asked["replay"][-1], speed)
    now = datetime.now(UTC)
    snap = read_snapshot(wall.r, wall.keys, wall.snapshot_size, now)
    locations = wall.traces.locations
    cases = [c for c in snap.cases if case_filter.matches(c)]
    view = build_view(cases, snap.grid, lang=lang, limits=wall.limits, locations=locations)
    shown = read_alerts(wall.r, wall.keys, wall.town.boundary, wall.settings.outside_alerts)
    alerts = ticker_items(shown, lang)
    data = read_module_data(wall.r, wall.keys, wall.snapshot_size, now, wall.town)
    trends = read_trends(wall.r, wall.keys, wall.feeds, now)
    readings, states = read_stations(wall.r, wall.keys)
    overlays = build_overlays(data.cases, data.count, readings, states, sites(), lang, now)
    hide = parse_qs(page_address().query).get("hide", [""])[-1]
    return build_wall(
        wall,
        snap,
        view,
        lang,
        health_url,
        read_lights(wall),
        alerts=alerts,
        case_filter=case_filter,
        modules=module_panels(compute(data), lang),
        trends=trend_charts(trends, lang),
        overlays=overlays,
        hidden=hidden_layers(hide),
        notices=read_notices(wall, lang),
        rows_url=rows_url,
        incident=incident_layer(wall, lang, polled=False),
        areas=alert_areas(shown),
        simulated=read_simulated(wall),
    )


def register_wall_callbacks(app: Dash, wall: WallContext) -> None:
    """The push (server, WebSocket, persistent) and the 1 s browser ticks (clientside)."""

    # No Input: Dash re-runs only input-less persistent callbacks when the socket reconnects;
    # the State is read afresh then, so the loop resumes from the page's latest cursor.
    # Dash also starts it on every other page of the app: optional, the store is None there.
    cursor = State(ids.WALL_PUSH_CURSOR, "data", allow_optional=True)
    config = State(ids.WALL_PAGE_CONFIG, "data", allow_optional=True)

    @app.callback(cursor, config, websocket=True, persistent=True)
    async def wall_push(store: dict[str, Any] | None, page: dict[str, Any] | None) -> None:
        await run_push(wall, store, page)

    # Sent by the browser when the link has been down while the server answered: going
    # through Dash's socket worker, the request makes it open a new socket (see TICK_MS).
    @app.callback(Input(ids.WALL_LINK_NUDGE, "data"), websocket=True, prevent_initial_call=True)
    async def wall_nudge(_nudge: Any) -> None:
        return None

    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="towncc", function_name="wallTick"),
        Output(ids.WALL_HEADER_CLOCK, "children"),
        Output(ids.WALL_HEADER_LINK, "className"),
        Output(ids.WALL_HEADER_LINK_TEXT, "children"),
        Input(ids.WALL_CLOCK_TICK, "n_intervals"),
        Input(ids.WALL_PUSH_BEAT, "data"),
        State(ids.WALL_PAGE_CONFIG, "data"),
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="towncc", function_name="linkTick"),
        Output(ids.WALL_ROOT, "className"),
        Output(ids.WALL_LINK_BANNER, "children"),
        Output(ids.WALL_LINK_BANNER, "className"),
        Output(ids.WALL_LINK_NUDGE, "data"),
        Input(ids.WALL_CLOCK_TICK, "n_intervals"),
        Input(ids.WALL_PUSH_BEAT, "data"),
        State(ids.WALL_PAGE_CONFIG, "data"),
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="towncc", function_name="toggleLayer"),
        Output(ids.WALL_MAP, "figure"),
        *(Output(ids.wall_layer(layer), "className") for layer in LAYER_TRACES),
        *(Input(ids.wall_layer(layer), "n_clicks") for layer in LAYER_TRACES),
        State(ids.WALL_MAP, "figure"),
        State(ids.WALL_PAGE_CONFIG, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="towncc", function_name="feedTick"),
        Output(ids.feed_light(ALL), "className"),
        Output(ids.feed_age(ALL), "children"),
        Output(ids.WALL_HEADER_FEEDS, "className"),
        Input(ids.WALL_CLOCK_TICK, "n_intervals"),
        Input(ids.WALL_PUSH_FEEDS, "data"),
        State(ids.WALL_PAGE_CONFIG, "data"),
    )
