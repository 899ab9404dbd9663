"""The wall's push scheduler: the I/O around the pure planner (dashboard/push.py `plan`).

One persistent WebSocket callback per page runs `run_push`. Each step reads what the state
asks for — the browser's acknowledgements while a link is busy; new `case-events` entries
(XREAD BLOCK) with the changed cases and the server's counts while the rows' link is free,
or the whole state for a page whose state is unknown (a reconnect); the periodic reads that
are due — hands them to `plan`, and sends its messages: the queue's rows on the page's own
rows socket (dashboard/rows_link.py), the rest with `set_props`. A change goes out as soon as it is
read when the link is idle; while the page has not applied the last rows message, new
entries wait in the stream and go out merged in the next one.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import redis
from dash import ctx, set_props
from starlette.websockets import WebSocket

from cases.counts import aread_counts
from dashboard import ids
from dashboard.context import WallContext
from dashboard.filters import filter_of
from dashboard.health import Notice, notices
from dashboard.i18n import Lang, lang_of
from dashboard.incident_mode import read_layer
from dashboard.lights import lights
from dashboard.modules.data import aread_module_data
from dashboard.overlays import aread_stations
from dashboard.push import (
    Message,
    Reads,
    WallState,
    map_rest_left,
    map_waits,
    mirror_from_store,
    periodic_at,
    plan,
    rows_lost,
    start,
    wanted,
    with_acks,
)
from dashboard.rows_link import HELLO, Acks, PageLink, acknowledged, attach, detach, send_rows
from dashboard.snapshot import NO_ENTRY, aread_alerts, aread_snapshot, read_changes
from dashboard.trends import aread_trends
from ingest.freshness import afeeds_status, ais_simulated

BLOCK_MS = 2000  # the longest XREAD BLOCK: a beat goes out at least this often
READ_COUNT = 1000
MAP_CHECK_SECONDS = 0.25  # between two asks whether the page drew the last map patch
BATCH_GAP_SECONDS = 0.02  # > the 5 ms WebSocket batch window: the next message goes apart
RETRY_SECONDS = 1.0
ASK_TIMEOUT = 15.0
STALE_AFTER_MS = 4 * BLOCK_MS  # the page calls the link down after this long without a beat


async def aread_notices(wall: WallContext) -> list[Notice]:
    """The health checks use the sync client: off the event loop, in a worker thread."""
    return await asyncio.to_thread(notices, wall.r, wall.keys, wall.settings, wall.clock())


async def ask(ws: Any, component_id: str) -> Any:
    """A prop of the page's store; None when the page does not answer in time."""
    try:
        return await ws.get_prop(component_id, "data", timeout=ASK_TIMEOUT)
    except TimeoutError:
        return None


async def read_periodic(
    wall: WallContext, ws: Any, kinds: set[str], lang: Lang = "zh"
) -> dict[str, Any]:
    """The periodic reads that are due (push.PERIODS)."""
    ar, keys, now = wall.ar, wall.keys, datetime.now(UTC)
    found: dict[str, Any] = {}
    if "counts" in kinds:
        found["counts"] = await aread_counts(ar, keys, now)
    if "lights" in kinds:
        found["lights"] = lights(await afeeds_status(ar, keys, wall.feeds), wall.feeds)
        found["simulated"] = await ais_simulated(ar, keys, now)
    if "alerts" in kinds:
        outside = wall.settings.outside_alerts
        found["alerts"] = await aread_alerts(ar, keys, wall.town.boundary, outside, now)
    if "notices" in kinds:
        found["notices"] = await aread_notices(wall)
    if "modules" in kinds:
        found["modules"] = await aread_module_data(ar, keys, wall.snapshot_size, now, wall.town)
        found["stations"] = await aread_stations(ar, keys)
    if "trends" in kinds:
        found["trends"] = await aread_trends(ar, keys, wall.feeds, now)
    if "incident" in kinds:
        found["incident"] = await asyncio.to_thread(read_layer, wall, lang, False)
    if "alive" in kinds:
        found["alive"] = await ask(ws, ids.WALL_PUSH_CURSOR) is not None
    return found


async def read_stream(wall: WallContext, state: WallState, block_s: float) -> dict[str, Any]:
    """The whole state (page state unknown), or the entries after the cursor and what they
    changed; {} when none came within `block_s`."""
    ar, keys, now = wall.ar, wall.keys, datetime.now(UTC)
    if state.mirror is None:
        return {"snapshot": await aread_snapshot(ar, keys, wall.snapshot_size, now)}
    block = max(1, int(block_s * 1000))
    reply = await ar.xread({keys.case_events: state.cursor}, READ_COUNT, block)
    entries: list[Any] = list(reply[0][1]) if reply else []  # type: ignore[index]
    if not entries:
        return {}
    changed = list(dict.fromkeys(fields["case_id"] for _, fields in entries))
    cases, grid, counts = await read_changes(ar, keys, changed, datetime.now(UTC))
    return {"cursor": entries[-1][0], "cases": cases, "grid": grid, "counts": counts}


async def read(wall: WallContext, ws: Any, state: WallState, acks: Acks) -> Reads:
    """What `state` asks for now."""
    now = time.time()
    busy = not state.rows.free(now)
    found: dict[str, Any] = await acknowledged(acks, MAP_CHECK_SECONDS if busy else 0)
    hello = found.pop(HELLO, None) is not None
    acked = with_acks(
        state, now, hello=hello, rows_ack=found.get("rows_ack"), map_ack=found.get("map_ack")
    )
    rows_acked = found.get("rows_ack") is not None
    rest = map_rest_left(acked, now, rows_acked=rows_acked)
    if acked.rows.free(now) and rest > 0:  # (rest 0: the map's patch goes first, at once)
        wake = periodic_at(acked, now, rows_acked=rows_acked)
        # Waiting for the page to draw the map's last patch: ask again now and then.
        undrawn = map_waits(acked) and not acked.map.free(now)
        check = MAP_CHECK_SECONDS if undrawn else BLOCK_MS / 1000
        found |= await read_stream(wall, acked, min(BLOCK_MS / 1000, wake - now, rest, check))
    # Rows first: a step that read changes leaves the periodic reads to a moment between two
    # changes (unless they are well overdue: under a steady stream every step reads changes).
    changes = "cursor" in found or "snapshot" in found
    kinds = wanted(acked, time.time(), changes=changes, rows_acked=rows_acked)
    found |= await read_periodic(wall, ws, kinds, acked.lang)
    return Reads(hello=hello, **found)


async def send(messages: list[Message], socket: WebSocket | None) -> bool:
    """The rows' messages on the page's rows socket, the rest as `set_props`; False when a
    rows message could not go (no socket, or it failed): the page must be resynced. A map
    figure change goes in a WebSocket batch of its own, so that the slow redraw starts only
    after the header, the beat and the rest are applied."""
    delivered = True
    for n, (component_id, props) in enumerate(messages):
        if component_id == ids.WALL_PUSH_ROWS:
            delivered = delivered and await send_rows(socket, props)
            continue
        if n and ids.WALL_MAP in (component_id, messages[n - 1][0]):
            await asyncio.sleep(BATCH_GAP_SECONDS)
        set_props(component_id, props)
    return delivered


async def run(wall: WallContext, ws: Any, state: WallState, link: PageLink, acks: Acks) -> None:
    """Read, plan, send, until the page is gone."""
    while ws is not None and not ws.is_shutdown and state.alive:
        try:
            reads = await read(wall, ws, state, acks)
        except redis.RedisError:
            reads = Reads(ok=False)
        read_at = time.perf_counter()
        state, messages = plan(state, reads, time.time())
        if not await send(messages, link.socket):
            state = rows_lost(state, time.time())
        if reads.cases:
            wall.meters.push.observe(time.perf_counter() - read_at)
        if not reads.ok:
            await asyncio.sleep(RETRY_SECONDS)


async def run_push(
    wall: WallContext, store: dict[str, Any] | None, config: dict[str, Any] | None = None
) -> None:
    """The body of the page's persistent callback; `store` is the cursor store's data,
    `config` the page's (its id names its acknowledgements).

    Dash starts an input-less persistent callback on every page of the app: on a page without
    the wall's cursor store (/admin) there is nothing to push, so it ends at once.
    """
    if store is None:
        return
    data = dict(store)
    state = start(
        lang_of(data.get("lang")), str(data.get("cursor") or NO_ENTRY), mirror_from_store(data),
        limits=wall.limits, traces=wall.traces, case_filter=filter_of(data.get("filter")),
        now=time.time(),
    )  # fmt: skip
    page = str((config or {}).get("pageId") or "")
    link, acks = attach(page)
    try:
        with wall.meters.walls.track_inprogress():
            await run(wall, ctx.websocket, state, link, acks)
    finally:
        detach(page, link, acks)
