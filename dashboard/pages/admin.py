"""/admin: the intake desk page. Per-feed freshness, recent dead letters, counts per reason.

A desk page, not the wall: a `dcc.Interval` refreshes it every 5 s through one ordinary
(HTTP) callback. No second persistent WebSocket loop per open page, nothing to resync after a
restart (each refresh stands alone), and one request per 5 s is no load. The callbacks are
`async` on the async Redis client: the FastAPI backend runs a sync callback on the event loop
itself, where a slow Redis would stall every wall's push. A table is sent only when its rows
changed, so a selected row and the grid's scroll stay put, and the dead letters (whose raw
payloads can be large) are read only when one came or went.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
import redis
from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard import ids
from dashboard.components.admin_tables import (
    admin_grid,
    count_columns,
    count_rows,
    dead_letter_columns,
    dead_letter_detail,
    dead_letter_rows,
    feed_columns,
    feed_rows,
)
from dashboard.context import WallContext
from dashboard.i18n import Lang, lang_of, t
from dashboard.pages.wall import town_name
from ingest import deadletters, freshness
from ingest.times import beijing

PATH = "/admin"
REFRESH_MS = 5000
RECENT_LIMIT = 50
TABLES = ("feeds", "dead", "counts")
DEAD_GRID_PX = 400


class AdminData(NamedTuple):
    feeds: list[dict[str, Any]]
    letters: list[dict[str, str]] | None  # None: not read, nothing came or went since last time
    counts: list[dict[str, Any]]
    probe: str  # dead letters ever counted and still kept: moves when one comes or goes


class Links(NamedTuple):
    wall: str
    admin: str


def digest(rows: Any) -> str:
    return hashlib.sha256(orjson.dumps(rows)).hexdigest()[:16]


def plan_refresh(
    data: AdminData, lang: Lang, now: datetime, sent: Mapping[str, Any] | None
) -> tuple[Any, ...]:
    """The refresh's outputs: each table only when it changed, the time, the new digests."""
    tables = {"feeds": feed_rows(data.feeds, lang), "counts": count_rows(data.counts, lang)}
    if data.letters is not None:
        tables["dead"] = dead_letter_rows(data.letters, lang)
    digests = {name: digest(rows) for name, rows in tables.items()}
    sent = dict(sent or {})
    out = [
        tables[name] if name in tables and digests[name] != sent.get(name) else no_update
        for name in TABLES
    ]
    at = f"{beijing(now):%H:%M:%S}"
    state = {**sent, **digests, "probe": data.probe, "at": at}
    return (*out, t("admin.updated", lang, time=at), state)


def failed_refresh(sent: Mapping[str, Any] | None, lang: Lang) -> tuple[Any, ...]:
    """Redis did not answer: keep the tables, say how old they are."""
    at = str((sent or {}).get("at") or "—")
    return (*(no_update for _ in TABLES), t("admin.redis_down", lang, time=at), no_update)


async def read_admin(wall: WallContext, now: datetime, probe: str | None) -> AdminData:
    """Freshness and counts; the recent dead letters only when some came or went since the
    refresh that saw `probe` (their raw payloads may be megabytes: read them only for news)."""
    ar, keys = wall.ar, wall.keys
    feeds = await freshness.afeeds_status(ar, keys, wall.feeds, now)
    counts = await deadletters.acounts(ar, keys)
    kept = await ar.xlen(keys.deadletter)
    found = f"{sum(int(c['count']) for c in counts)}:{kept}"
    if found == probe:
        return AdminData(feeds, None, counts, found)
    letters = await deadletters.arecent(ar, keys, limit=RECENT_LIMIT)
    return AdminData(feeds, letters, counts, found)


def _panel(title: str, *children: Any, extra: str = "") -> html.Section:
    return html.Section(
        className=f"admin-panel {extra}".strip(),
        children=[html.H2(title, className="admin-panel-title"), *children],
    )


def _header(wall: WallContext, lang: Lang, links: Links) -> html.Header:
    other = "" if lang == "en" else "?lang=en"
    wall_href = f"{links.wall}?lang=en" if lang == "en" else links.wall
    return html.Header(
        className="admin-header",
        children=[
            html.H1(t("admin.title", lang, town=town_name(wall, lang)), className="admin-title"),
            html.Span(id=ids.ADMIN_HEADER_UPDATED, className="admin-updated"),
            html.Nav(
                className="admin-nav",
                children=[
                    html.A(t("admin.to_wall", lang), href=wall_href),
                    html.A(t("admin.other_lang", lang), href=f"{links.admin}{other}"),
                ],
            ),
        ],
    )


def build_admin(wall: WallContext, lang: Lang, links: Links) -> html.Div:
    """The page with empty tables: the interval's first call (at load) fills them."""
    single = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    columns = dead_letter_columns(lang)
    none = t("admin.no_dead", lang)
    dead = admin_grid(ids.ADMIN_DEAD_GRID, columns, none, DEAD_GRID_PX, rowSelection=single)
    detail = html.Div(
        id=ids.ADMIN_DEAD_DETAIL,
        className="admin-detail",
        children=[html.P(t("admin.detail_hint", lang), className="admin-hint")],
    )
    return html.Div(
        id=ids.ADMIN_ROOT,
        className="admin",
        lang="zh-CN" if lang == "zh" else "en",
        children=[
            _header(wall, lang, links),
            _panel(
                t("admin.feeds", lang),
                admin_grid(ids.ADMIN_FEEDS_GRID, feed_columns(lang), t("admin.no_feeds", lang)),
            ),
            html.Div(
                className="admin-columns",
                children=[
                    _panel(t("admin.dead", lang), dead, detail, extra="admin-dead"),
                    _panel(
                        t("admin.counts", lang),
                        admin_grid(ids.ADMIN_COUNTS_GRID, count_columns(lang), none),
                    ),
                ],
            ),
            dcc.Store(id=ids.ADMIN_PAGE_CONFIG, data={"lang": lang}),
            dcc.Store(id=ids.ADMIN_REFRESH_DIGEST, data={}),
            dcc.Interval(id=ids.ADMIN_REFRESH_TICK, interval=REFRESH_MS),
        ],
    )


def register_admin_callbacks(app: Dash, wall: WallContext) -> None:
    """The 5 s refresh and the dead-letter detail: thin, async, ordinary HTTP callbacks."""

    @app.callback(
        Output(ids.ADMIN_FEEDS_GRID, "rowData"),
        Output(ids.ADMIN_DEAD_GRID, "rowData"),
        Output(ids.ADMIN_COUNTS_GRID, "rowData"),
        Output(ids.ADMIN_HEADER_UPDATED, "children"),
        Output(ids.ADMIN_REFRESH_DIGEST, "data"),
        Input(ids.ADMIN_REFRESH_TICK, "n_intervals"),
        State(ids.ADMIN_PAGE_CONFIG, "data"),
        State(ids.ADMIN_REFRESH_DIGEST, "data"),
    )
    async def admin_refresh(
        _n: int | None, config: dict[str, Any] | None, sent: dict[str, Any] | None
    ) -> tuple[Any, ...]:
        lang = lang_of((config or {}).get("lang"))
        now = datetime.now(UTC)
        try:
            data = await read_admin(wall, now, (sent or {}).get("probe"))
        except redis.RedisError:
            return failed_refresh(sent, lang)
        return plan_refresh(data, lang, now, sent)

    @app.callback(
        Output(ids.ADMIN_DEAD_DETAIL, "children"),
        Input(ids.ADMIN_DEAD_GRID, "selectedRows"),
        State(ids.ADMIN_PAGE_CONFIG, "data"),
        prevent_initial_call=True,
    )
    async def admin_detail(
        selected: list[dict[str, Any]] | None, config: dict[str, Any] | None
    ) -> list[Any]:
        lang = lang_of((config or {}).get("lang"))
        if not selected:
            return [html.P(t("admin.detail_hint", lang), className="admin-hint")]
        try:
            letter = await deadletters.aget(wall.ar, wall.keys, str(selected[0]["id"]))
        except redis.RedisError:
            return [html.P(t("admin.redis_down", lang, time="—"), className="admin-hint")]
        return dead_letter_detail(letter, lang)
