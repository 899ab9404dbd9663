"""/wall: the video wall. The layout is a function (read at page load); one push callback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from dash import ALL, ClientsideFunction, Dash, Input, Output, State, dcc, html

from dashboard import ids
from dashboard.components.feed_lights import feed_strip
from dashboard.components.header import wall_header
from dashboard.components.queue import queue_panel
from dashboard.components.wall_map import map_panel, wall_figure
from dashboard.context import WallContext
from dashboard.i18n import Lang, request_lang, words
from dashboard.lights import Light, lights, silence_s, unknown_lights
from dashboard.live import STALE_AFTER_MS, run_push
from dashboard.push import View, build_view, mirror_to_store
from dashboard.snapshot import Snapshot, read_snapshot
from ingest.freshness import feeds_status

PATH = "/wall"
TICK_MS = 1000
RELOAD_AFTER_MS = 60_000  # a link dead this long while the server answers: reload the page


def town_name(wall: WallContext, lang: Lang) -> str:
    settings = wall.settings
    return settings.town_name if lang == "zh" else settings.town_name_en


def page_config(lang: Lang, health_url: str, feeds: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the browser-side ticks (assets/wall.js) need: ids, timings, words, feed windows."""
    return {
        "lang": lang,
        "gridId": ids.WALL_QUEUE_GRID,
        "staleAfterMs": STALE_AFTER_MS,
        "reloadAfterMs": RELOAD_AFTER_MS,
        "healthUrl": health_url,
        "feedSilenceS": {feed: silence_s(feed) for feed in feeds},
        "words": {part: words(part, lang) for part in ("link", "unit", "due", "age")},
    }


def read_lights(wall: WallContext) -> list[Light]:
    try:
        return lights(feeds_status(wall.r, wall.keys, wall.feeds), wall.feeds)
    except redis.RedisError:
        return unknown_lights(wall.feeds)


def build_wall(
    wall: WallContext,
    snap: Snapshot,
    view: View,
    lang: Lang,
    health_url: str = "/healthz",
    feeds: list[Light] | None = None,
    now: datetime | None = None,
) -> html.Div:
    """The whole wall for one snapshot (pure: the layout function does the reading)."""
    settings = wall.settings
    feeds = unknown_lights(wall.feeds) if feeds is None else feeds
    strip = feed_strip(feeds, lang, now or datetime.now(UTC))
    figure = wall_figure(
        wall.town, snap.counts, view.points, lang=lang, tile_url=settings.map_tile_url
    )
    kpis: dict[str, int | None] = {"open": snap.open_total, "today": snap.today_total}
    # A page whose snapshot failed carries no mirror: its push starts with a resync.
    cursor = mirror_to_store(view.mirror, snap.cursor, lang, fresh=snap.ok)
    return html.Div(
        id=ids.WALL_ROOT,
        className="wall",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            wall_header(town_name(wall, lang), kpis if snap.ok else {}, lang, strip),
            queue_panel(view.rows, lang),
            map_panel(figure, lang),
            dcc.Store(id=ids.WALL_PUSH_CURSOR, data=cursor),
            dcc.Store(id=ids.WALL_PUSH_BEAT),
            dcc.Store(id=ids.WALL_PUSH_FEEDS, data=feeds),
            dcc.Store(id=ids.WALL_PUSH_READY, data=False),
            dcc.Store(id=ids.WALL_PAGE_CONFIG, data=page_config(lang, health_url, wall.feeds)),
            dcc.Interval(id=ids.WALL_CLOCK_TICK, interval=TICK_MS),
        ],
    )


def wall_layout(wall: WallContext, health_url: str) -> html.Div:
    """The layout function: the stream cursor and the open cases as of this page load."""
    lang = request_lang()
    snap = read_snapshot(wall.r, wall.keys, wall.snapshot_size)
    locations = wall.traces.locations
    view = build_view(snap.cases, snap.counts, lang=lang, limits=wall.limits, locations=locations)
    return build_wall(wall, snap, view, lang, health_url, read_lights(wall))


def register_wall_callbacks(app: Dash, wall: WallContext) -> None:
    """The push (server, WebSocket, persistent) and the 1 s browser ticks (clientside)."""

    # No Input: Dash re-runs only input-less persistent callbacks when the socket reconnects;
    # the State is read afresh then, so the loop resumes from the page's latest cursor.
    # Dash also starts it on every other page of the app: optional, the store is None there.
    cursor = State(ids.WALL_PUSH_CURSOR, "data", allow_optional=True)

    @app.callback(cursor, websocket=True, persistent=True)
    async def wall_push(store: dict[str, Any] | None) -> None:
        await run_push(wall, store)

    app.clientside_callback(  # type: ignore[no-untyped-call]
        ClientsideFunction(namespace="towncc", function_name="wallTick"),
        Output(ids.WALL_HEADER_CLOCK, "children"),
        Output(ids.WALL_HEADER_LINK, "className"),
        Output(ids.WALL_HEADER_LINK_TEXT, "children"),
        Output(ids.wall_kpi("overdue"), "children"),
        Output(ids.WALL_PUSH_READY, "data"),
        Input(ids.WALL_CLOCK_TICK, "n_intervals"),
        Input(ids.WALL_PUSH_BEAT, "data"),
        State(ids.WALL_PAGE_CONFIG, "data"),
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
