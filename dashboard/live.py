"""The wall's one persistent WebSocket callback: XREAD BLOCK on `case-events`, push changes.

Cadence: the loop blocks on XREAD up to `BLOCK_MS`; whatever arrived is read in one pipeline
and sent as ONE tick (one ag-grid transaction in `WALL_PUSH_ROWS`, which the page applies to
its grid, the KPIs, the cursor), then the loop rests so that ticks are at least
`TICK_SECONDS` apart: never two transactions in one WebSocket batch (the store would keep
only the last). The map gets its changes as one `Patch` once the page has drawn every figure
change sent before (each is marked, and the page reports the mark of each figure it draws in
`WALL_MAP_DRAWN`): a slow map redraw never builds a queue in the browser, changes in between
are folded in.
Every `NOTICES_SECONDS` the centre's own health notices (dashboard/health.py: an engine
stopped, a process down…) go to the health strip, when they changed.
A heartbeat goes out at least every `BLOCK_MS`, so the page can tell a calm town from a dead
link. Every `FEEDS_SECONDS` (between XREADs) the loop also reads the per-feed freshness and
sends the header's link lights, and every `ALERTS_SECONDS` the CAP alerts in force for the
ticker, each only when it changed; every `MODULES_SECONDS` the module panels' figures, each
panel only when its figures changed; every `TRENDS_SECONDS` the trend charts whose numbers
changed. The lights' ages tick in the browser.
The loop starts from the cursor the page carries; a page whose state the server cannot know
(a reconnect, a server restart) gets a resync first: whole rows, whole point arrays. The
page's queue filter (from its address, carried in the cursor store) applies to both: a case
it hides is sent as if closed, so a case re-categorised out of the view leaves it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import redis
from dash import Patch, ctx, set_props

from dashboard import ids
from dashboard.components.notices import notice_children, notice_class, notice_items
from dashboard.components.panels import module_figures
from dashboard.components.ticker import Item, ticker_children, ticker_class, ticker_items
from dashboard.components.trends import changed_charts
from dashboard.components.wall_map import overlay_patch
from dashboard.context import WallContext
from dashboard.filters import CaseFilter, filter_of
from dashboard.health import Notice, notices
from dashboard.i18n import Lang, lang_of
from dashboard.lights import Light, changed, lights
from dashboard.modules import Figure, compute
from dashboard.overlays import Overlays, aread_stations
from dashboard.overlays import build as build_overlays
from dashboard.push import (
    Mirror,
    build_view,
    closed_stub,
    mirror_from_store,
    mirror_to_store,
    plan_map,
    plan_rows,
    resync_patch,
)
from dashboard.snapshot import (
    NO_ENTRY,
    aread_alerts,
    aread_module_data,
    aread_snapshot,
    read_changes,
)
from dashboard.trends import TrendData, aread_trends
from ingest.freshness import afeeds_status
from layers.sites import sites

TICK_SECONDS = 0.2
MAP_DELAY_SECONDS = 0.02  # > the 5 ms WebSocket batch window
MAP_CHECK_SECONDS = 0.25  # how often to ask the page whether it drew the last map patch
MAP_STUCK_SECONDS = 30.0  # a page that never says it drew gets the next patch after this
BLOCK_MS = 2000
READ_COUNT = 1000
BEAT_SECONDS = 1.0
RETRY_SECONDS = 1.0
LIVENESS_SECONDS = 60.0
LIVENESS_TIMEOUT = 15.0
FEEDS_SECONDS = 5.0
ALERTS_SECONDS = 10.0
MODULES_SECONDS = 10.0
TRENDS_SECONDS = 60.0
NOTICES_SECONDS = 5.0
GRID_WAIT_SECONDS = 30.0
GRID_POLL_SECONDS = 0.25
STALE_AFTER_MS = 4 * BLOCK_MS  # the page calls the link down after this long without a beat


def _entries(reply: Any) -> list[tuple[str, dict[str, str]]]:
    """The entries of a one-stream XREAD reply ([[stream, entries]], RESP2)."""
    return list(reply[0][1]) if reply else []


def kpi_props(open_total: int, today_total: int) -> None:
    set_props(ids.wall_kpi("open"), {"children": str(open_total)})
    set_props(ids.wall_kpi("today"), {"children": str(today_total)})


def shown(cases: list[dict[str, Any]], case_filter: CaseFilter) -> list[dict[str, Any]]:
    """The cases as this page sees them: one its filter hides reads as closed."""
    if not case_filter.active:
        return cases
    return [c if case_filter.matches(c) else closed_stub(c["id"]) for c in cases]


class Every:
    """A monotonic timer: ``due()`` is True at most once per ``seconds`` (first call: True)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.next = seconds, 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self.next:
            return False
        self.next = now + self.seconds
        return True


async def aread_notices(wall: WallContext) -> list[Notice]:
    """The health checks use the sync client: off the event loop, in a worker thread."""
    return await asyncio.to_thread(notices, wall.r, wall.keys, wall.settings, wall.clock())


def epoch_ms() -> int:
    return int(time.time() * 1000)


class Pusher:
    """One page's push state: the mirror of what its browser holds, and the stream cursor."""

    def __init__(
        self,
        wall: WallContext,
        lang: Lang,
        mirror: Mirror | None,
        cursor: str,
        case_filter: CaseFilter | None = None,
    ):
        self.wall, self.lang, self.mirror, self.cursor = wall, lang, mirror, cursor
        self.case_filter = case_filter or CaseFilter()
        self.last_beat = 0.0
        self.last_check = time.monotonic()
        self.ok: bool | None = None
        self.lights: list[Light] | None = None  # what the page's feed store holds (None: unknown)
        self.next_lights = Every(FEEDS_SECONDS)
        # The ticker as the page rendered it is unknown here (the page may be old): send once.
        self.alerts: list[Item] | None = None
        self.next_alerts = Every(ALERTS_SECONDS)
        self.modules: dict[str, list[Figure]] | None = None  # as the page shows them
        self.next_modules = Every(MODULES_SECONDS)
        self.ws: Any = None  # the page's socket, once run() has it
        # The map's changes not yet sent; the mark of the last figure change sent, and whether
        # the page has yet to say it drew that one.
        self.map_pending: dict[str, dict[str, Any]] = {}
        self.map_counts: dict[str, int] | None = None
        self.map_mark = 0
        self.map_in_flight = False
        self.map_sent_at = 0.0
        self.next_map_check = 0.0
        self.overlays: Overlays | None = None  # the map's overlay layers as the page shows them
        self.trends: TrendData | None = None  # what the page's charts show (None: unknown)
        self.next_trends = Every(TRENDS_SECONDS)
        self.notices: list[dict[str, str]] | None = None  # the strip as the page shows it
        self.next_notices = Every(NOTICES_SECONDS)

    def save_cursor(self) -> None:
        query = self.case_filter.query()
        data = mirror_to_store(Mirror(), self.cursor, self.lang, fresh=False, query=query)
        set_props(ids.WALL_PUSH_CURSOR, {"data": data})

    def beat(self, *, ok: bool) -> None:
        now = time.monotonic()
        if ok == self.ok and now - self.last_beat < BEAT_SECONDS:
            return
        self.last_beat, self.ok = now, ok
        set_props(ids.WALL_PUSH_BEAT, {"data": {"at": epoch_ms(), "ok": ok}})

    async def resync(self) -> None:
        wall = self.wall
        snap = await aread_snapshot(wall.ar, wall.keys, wall.snapshot_size, datetime.now(UTC))
        locations = wall.traces.locations
        cases = [c for c in snap.cases if self.case_filter.matches(c)]
        view = build_view(
            cases, snap.counts, lang=self.lang, limits=wall.limits, locations=locations
        )
        set_props(ids.WALL_PUSH_ROWS, {"data": {"rowData": view.rows}})
        self.send_map(resync_patch(view, wall.traces))
        kpi_props(snap.open_total, snap.today_total)
        self.mirror, self.cursor = view.mirror, snap.cursor
        self.map_pending, self.map_counts = {}, None
        self.save_cursor()

    async def step(self) -> bool:
        """One XREAD and, if anything arrived, one tick; True when a tick went out."""
        if self.mirror is None:
            await self.resync()
            return True
        wall = self.wall
        reply = await wall.ar.xread({wall.keys.case_events: self.cursor}, READ_COUNT, BLOCK_MS)
        entries = _entries(reply)
        if not entries:
            return False
        self.cursor = entries[-1][0]
        read_at = time.perf_counter()
        changed = list(dict.fromkeys(fields["case_id"] for _, fields in entries))
        cases, counts, open_total, today_total = await read_changes(
            wall.ar, wall.keys, changed, datetime.now(UTC)
        )
        visible = shown(cases, self.case_filter)
        transaction = plan_rows(
            self.mirror, visible, lang=self.lang, max_rows=wall.limits.max_rows, stamp=epoch_ms()
        )
        if transaction:
            set_props(ids.WALL_PUSH_ROWS, {"data": transaction})
            wall.meters.push.observe(time.perf_counter() - read_at)
        kpi_props(open_total, today_total)
        self.save_cursor()
        self.map_pending.update((c["id"], c) for c in visible)
        self.map_counts = counts  # the loop's flush_map sends them, paced by the page's draws
        return True

    def send_map(self, patch: Patch) -> None:
        """Send the map a figure change, marked (in `layout.meta`) with a number larger than
        any sent before, by this loop or (the clock going on) by an earlier one."""
        self.map_mark = max(epoch_ms(), self.map_mark + 1)
        patch["layout"]["meta"] = self.map_mark
        set_props(ids.WALL_MAP, {"figure": patch})
        if not self.map_in_flight:  # stuck counts from the first change not drawn
            self.map_in_flight, self.map_sent_at = True, time.monotonic()

    async def map_drawn(self) -> int | None:
        """The mark of the last figure the page's map drew (None: it does not say)."""
        if self.ws is None:
            return None
        try:
            drawn = await self.ws.get_prop(ids.WALL_MAP_DRAWN, "data", timeout=LIVENESS_TIMEOUT)
        except TimeoutError:
            return None
        return int(drawn) if isinstance(drawn, int) else None

    async def flush_map(self) -> None:
        """Send the map what changed since its last patch, once the page has drawn that one.

        A map redraw is slow (a 4K WebGL map, software-rendered on a wall PC without a GPU:
        about a second here), while a busy town changes cases many times a second. Patches
        sent faster than the page draws them queue up in the browser (dcc.Graph chains each
        new figure behind the draw of the last), holding memory and showing an ever older
        map; so a patch goes only once the page has drawn the last figure change sent (an
        overlay patch too), and the changes in between are folded into the next (the mirror
        keeps the browser's point order). Counting the page's draws would not do: a figure
        change that was not counted (an overlay patch, a layer toggled) would keep one more
        figure queued for good.
        """
        if self.mirror is None or (not self.map_pending and self.map_counts is None):
            return
        now = time.monotonic()
        if self.map_in_flight:
            if now < self.next_map_check:
                return
            self.next_map_check = now + MAP_CHECK_SECONDS
            drawn = await self.map_drawn()
            stuck = now - self.map_sent_at > MAP_STUCK_SECONDS
            if not stuck and (drawn is None or drawn < self.map_mark):
                return
            self.map_in_flight = False
        wall = self.wall
        patch = plan_map(
            self.mirror, list(self.map_pending.values()), self.map_counts,
            limits=wall.limits, traces=wall.traces,
        )  # fmt: skip
        self.map_pending, self.map_counts = {}, None
        if patch is None:
            return
        # In its own WebSocket message: the rows show before the (slow) map redraw starts.
        await asyncio.sleep(MAP_DELAY_SECONDS)
        self.send_map(patch)

    async def push_lights(self) -> None:
        """At most every FEEDS_SECONDS: the per-feed lights, sent only when one changed."""
        if not self.next_lights.due():
            return
        wall = self.wall
        found = lights(await afeeds_status(wall.ar, wall.keys, wall.feeds), wall.feeds)
        if changed(self.lights, found):
            set_props(ids.WALL_PUSH_FEEDS, {"data": found})
            self.lights = found

    async def push_alerts(self) -> None:
        """At most every ALERTS_SECONDS: the ticker's headlines, sent only when they changed."""
        if not self.next_alerts.due():
            return
        wall = self.wall
        items = ticker_items(await aread_alerts(wall.ar, wall.keys, datetime.now(UTC)), self.lang)
        if items != self.alerts:
            children = ticker_children(items, self.lang)
            set_props(
                ids.WALL_HEADER_TICKER, {"children": children, "className": ticker_class(items)}
            )
            self.alerts = items

    async def push_modules(self) -> None:
        """At most every MODULES_SECONDS: the figures of each module panel that changed, and
        the map's overlay layers (stations, hazard sites, teams) that changed.

        The figures go out as components with content-derived ids (`ids.module_figure`):
        Dash 4 does not re-render children pushed twice to one place under the same ids.
        """
        if not self.next_modules.due():
            return
        wall = self.wall
        data = await aread_module_data(wall.ar, wall.keys, wall.snapshot_size, datetime.now(UTC))
        shown = dict(self.modules or {})
        for module, figures in compute(data):
            if self.modules is not None and shown.get(module.id) == figures:
                continue
            children = module_figures(module.id, figures, self.lang)
            set_props(ids.wall_module_body(module.id), {"children": children})
            shown[module.id] = figures
        self.modules = shown
        readings, states = await aread_stations(wall.ar, wall.keys)
        overlays = build_overlays(data.cases, readings, states, sites(), self.lang, data.now)
        if (patch := overlay_patch(self.overlays, overlays)) is not None:
            self.send_map(patch)
        self.overlays = overlays

    async def push_trends(self) -> None:
        """At most every TRENDS_SECONDS: each trend chart whose numbers changed, whole (a
        few hundred values)."""
        if not self.next_trends.due():
            return
        wall = self.wall
        data = await aread_trends(wall.ar, wall.keys, wall.feeds, datetime.now(UTC))
        for name, figure in changed_charts(self.trends, data, self.lang):
            set_props(ids.wall_trend(name), {"figure": figure})
        self.trends = data

    async def push_notices(self) -> None:
        """At most every NOTICES_SECONDS: the health strip, sent only when it changed."""
        if not self.next_notices.due():
            return
        items = notice_items(await aread_notices(self.wall), self.lang)
        if items != self.notices:
            props = {"children": notice_children(items), "className": notice_class(items)}
            set_props(ids.WALL_HEADER_NOTICES, props)
            self.notices = items

    async def page_alive(self, ws: Any) -> bool:
        """Tabs of one browser share one socket, so a closed tab never sets `is_shutdown`:
        now and then ask the page for a prop; a page that does not answer is gone."""
        now = time.monotonic()
        if now - self.last_check < LIVENESS_SECONDS:
            return True
        self.last_check = now
        try:
            await ws.get_prop(ids.WALL_PUSH_CURSOR, "data", timeout=LIVENESS_TIMEOUT)
        except TimeoutError:
            return False
        return True

    async def grid_ready(self, ws: Any) -> None:
        """Wait (beating) until the page's queue grid is up, at most GRID_WAIT_SECONDS.

        ag-grid's code loads lazily: the page drops transactions that arrive before the grid
        is mounted (there is no grid to apply them to), so their rows would be missing for
        good. Nothing is lost by waiting: the stream is read from the cursor.
        """
        deadline = time.monotonic() + GRID_WAIT_SECONDS
        while not ws.is_shutdown and time.monotonic() < deadline:
            try:
                if await ws.get_prop(ids.WALL_PUSH_READY, "data", timeout=LIVENESS_TIMEOUT):
                    return
            except TimeoutError:
                pass
            self.beat(ok=True)
            await asyncio.sleep(GRID_POLL_SECONDS)

    async def run(self) -> None:
        ws = self.ws = ctx.websocket
        if ws is not None:
            await self.grid_ready(ws)
        while ws is not None and not ws.is_shutdown and await self.page_alive(ws):
            try:
                ticked = await self.step()
                await self.flush_map()
                await self.push_lights()
                await self.push_alerts()
                await self.push_modules()
                await self.push_trends()
                await self.push_notices()
            except redis.RedisError:
                self.beat(ok=False)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self.beat(ok=True)
            if ticked:
                await asyncio.sleep(TICK_SECONDS)


async def run_push(wall: WallContext, store: dict[str, Any] | None) -> None:
    """The body of the page's persistent callback; `store` is the cursor store's data.

    Dash starts an input-less persistent callback on every page of the app: on a page without
    the wall's cursor store (/admin) there is nothing to push, so it ends at once.
    """
    if store is None:
        return
    data = dict(store)
    cursor = str(data.get("cursor") or NO_ENTRY)
    case_filter = filter_of(data.get("filter"))
    mirror = mirror_from_store(data)
    with wall.meters.walls.track_inprogress():
        await Pusher(wall, lang_of(data.get("lang")), mirror, cursor, case_filter).run()
