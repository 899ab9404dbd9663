"""/admin: the intake desk page. Per-feed freshness, recent dead letters, counts per reason,
and what the engine quarantined.

A desk page, not the wall: a `dcc.Interval` refreshes it every 5 s through one ordinary
(HTTP) callback. No second persistent WebSocket loop per open page, nothing to resync after a
restart (each refresh stands alone), and one request per 5 s is no load. The callbacks are
`async` on the async Redis client: the FastAPI backend runs a sync callback on the event loop
itself, where a slow Redis would stall every wall's push. A table is sent only when its rows
changed, so a selected row and the grid's scroll stay put, and the dead letters (whose raw
payloads can be large) are read only when one came or went. The quarantine panel has its own
interval and callback, so that its failure never blanks the intake tables, and reads its
records (up to 64 KiB of raw fields each) only when one came or went.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
import redis
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from cases import quarantine
from core.replies import text
from core.times import beijing
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
    quarantine_columns,
    quarantine_detail,
    quarantine_rows,
)
from dashboard.context import WallContext
from dashboard.guard import callers_role_may_see
from dashboard.i18n import Lang, lang_of, request_lang, t
from dashboard.pages.wall import town_name
from ingest import deadletters, freshness

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


class QuarantineData(NamedTuple):
    records: list[dict[str, str]] | None  # None: not read, nothing came or went since
    kept: int  # records in quarantine now
    probe: str  # moves when a record comes or goes


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


def quarantine_panel(lang: Lang) -> html.Section:
    """The engine's quarantine: its records, the one selected, and its own refresh."""
    single = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    columns, none = quarantine_columns(lang), t("admin.no_quarantine", lang)
    grid = admin_grid(ids.ADMIN_QUARANTINE_GRID, columns, none, DEAD_GRID_PX, rowSelection=single)
    hint = html.P(t("admin.quarantine_hint", lang), className="admin-hint")
    return html.Section(
        className="admin-panel admin-quarantine",
        children=[
            html.H2(
                [t("admin.quarantine", lang), html.Span(id=ids.ADMIN_QUARANTINE_COUNT)],
                className="admin-panel-title",
            ),
            grid,
            html.Div(id=ids.ADMIN_QUARANTINE_DETAIL, className="admin-detail", children=[hint]),
            dcc.Store(id=ids.ADMIN_QUARANTINE_DIGEST, data={}),
            dcc.Interval(id=ids.ADMIN_QUARANTINE_TICK, interval=REFRESH_MS),
        ],
    )


async def read_quarantine(wall: WallContext, probe: str | None) -> QuarantineData:
    """The newest quarantine records, read only when one came or went since ``probe``."""
    ar, keys = wall.ar, wall.keys
    kept = await quarantine.acount(ar, keys)
    newest: Any = await ar.xrevrange(keys.quarantine, count=1)
    found = f"{kept}:{text(newest[0][0]) if newest else ''}"
    if found == probe:
        return QuarantineData(None, kept, found)
    return QuarantineData(await quarantine.arecent(ar, keys, limit=RECENT_LIMIT), kept, found)


def plan_quarantine(
    data: QuarantineData, lang: Lang, sent: Mapping[str, Any] | None
) -> tuple[Any, ...]:
    """The quarantine refresh's outputs: its rows only when they changed, its count, state."""
    count = t("admin.quarantine_count", lang, n=str(data.kept))
    if data.records is None:
        return no_update, count, {**(sent or {}), "probe": data.probe}
    rows = quarantine_rows(data.records, lang)
    rows_digest = digest(rows)
    out = rows if rows_digest != (sent or {}).get("rows") else no_update
    return out, count, {"rows": rows_digest, "probe": data.probe}


def admin_layout(wall: WallContext, links: Links) -> html.Div:
    """The layout function: the page in the language of its address."""
    return build_admin(wall, request_lang(), links)


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
            quarantine_panel(lang),
            dcc.Store(id=ids.ADMIN_PAGE_CONFIG, data={"lang": lang}),
            dcc.Store(id=ids.ADMIN_REFRESH_DIGEST, data={}),
            dcc.Interval(id=ids.ADMIN_REFRESH_TICK, interval=REFRESH_MS),
        ],
    )


def admins_only() -> None:
    """This page's callbacks answer the roles that may see it only: a wall's screen or a
    handler calling them by hand gets nothing (dead letters and quarantined entries hold raw
    payloads)."""
    if not callers_role_may_see("admin"):
        raise PreventUpdate


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
        admins_only()
        lang = lang_of((config or {}).get("lang"))
        now = datetime.now(UTC)
        try:
            data = await read_admin(wall, now, (sent or {}).get("probe"))
        except redis.RedisError:
            return failed_refresh(sent, lang)
        return plan_refresh(data, lang, now, sent)

    register_detail(
        app, (ids.ADMIN_DEAD_GRID, ids.ADMIN_DEAD_DETAIL, "admin.detail_hint"),
        lambda entry: deadletters.aget(wall.ar, wall.keys, entry), dead_letter_detail,
    )  # fmt: skip
    register_quarantine_callbacks(app, wall)


Fetch = Callable[[str], Awaitable[dict[str, str] | None]]


def register_detail(
    app: Dash, where: tuple[str, str, str], fetch: Fetch, render: Callable[..., list[Any]]
) -> None:
    """A grid's detail panel: the selected row's entry read by ``fetch`` and shown by
    ``render``; ``where``: the grid's id, the panel's id and the hint's text key."""
    grid, panel, hint = where

    @app.callback(
        Output(panel, "children"),
        Input(grid, "selectedRows"),
        State(ids.ADMIN_PAGE_CONFIG, "data"),
        prevent_initial_call=True,
    )
    async def detail(selected: list[dict[str, Any]] | None, config: dict[str, Any] | None) -> Any:
        admins_only()
        lang = lang_of((config or {}).get("lang"))
        if not selected:
            return [html.P(t(hint, lang), className="admin-hint")]
        try:
            found = await fetch(str(selected[0]["id"]))
        except redis.RedisError:
            return [html.P(t("admin.redis_down", lang, time="—"), className="admin-hint")]
        return render(found, lang)


def register_quarantine_callbacks(app: Dash, wall: WallContext) -> None:
    """The quarantine panel's refresh and detail: like the dead letters', on their own."""

    @app.callback(
        Output(ids.ADMIN_QUARANTINE_GRID, "rowData"),
        Output(ids.ADMIN_QUARANTINE_COUNT, "children"),
        Output(ids.ADMIN_QUARANTINE_DIGEST, "data"),
        Input(ids.ADMIN_QUARANTINE_TICK, "n_intervals"),
        State(ids.ADMIN_PAGE_CONFIG, "data"),
        State(ids.ADMIN_QUARANTINE_DIGEST, "data"),
    )
    async def admin_quarantine(
        _n: int | None, config: dict[str, Any] | None, sent: dict[str, Any] | None
    ) -> tuple[Any, ...]:
        admins_only()
        lang = lang_of((config or {}).get("lang"))
        try:
            data = await read_quarantine(wall, (sent or {}).get("probe"))
        except redis.RedisError:
            return no_update, no_update, no_update  # the header says Redis is down
        return plan_quarantine(data, lang, sent)

    register_detail(
        app, (ids.ADMIN_QUARANTINE_GRID, ids.ADMIN_QUARANTINE_DETAIL, "admin.quarantine_hint"),
        lambda entry: quarantine.aget(wall.ar, wall.keys, entry), quarantine_detail,
    )  # fmt: skip
