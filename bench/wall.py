"""The wall's push: event → row visible at 1 and 100 events/s in a real Chromium, beside a
bare WebSocket push of the same events; and the server's time and bytes per push with 10,000
open cases beside a full-figure refresh.

Latency: the whole system as `make demo` runs it (embedded Redis, engine, wall; no
simulator), /wall open at 3840×2160: the production push (dashboard/live.py's scheduler
running dashboard/push.py's planner). Records are POSTed to `/api/ingest/urban` on a fixed
schedule (open loop: a slow answer does not slow the sender) and each is timed from just
before its POST to the moment its row is in the queue grid's row model (ag-grid's
modelUpdated event; at 100 events/s most rows land below the fold, so the DOM cannot say).
Every record has its own point, so none is merged as a duplicate. The runs start once the
wall has drawn its map and its main thread has had no long task for 3 s (`settle`): its
start-up holds that thread for up to a second at a time. The bare push, in the same
run on the same Redis and the same events: a Dash page of its own whose persistent WebSocket
callback tails `case-events` and sends each batch's case ids to a store, nothing else (no
case read, no planner, no grid): the floor that intake, engine and Dash's socket set.

Push cost: a private Redis holding 10,000 open cases written by the engine. One push is what
the scheduler and the planner do when one case changes (read it with the grid counts and the
header's counts, plan, encode the messages as Dash sends them); a full refresh reads the
wall's snapshot and builds and encodes the whole map figure and every row, the way a page
without patches would redraw. Both in the same run, the median of many.

Usage: python -m bench.wall [--seconds-slow 60] [--seconds-fast 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis
import redis.asyncio as aredis
import uvicorn
from dash import Dash, Input, Output, Patch, State, ctx, dcc, html, set_props
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from plotly.io.json import to_json_plotly

from bench.demo import WALL_4K
from bench.machine import describe
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from core.times import beijing
from dashboard.components.wall_map import map_traces, wall_figure
from dashboard.filters import CaseFilter
from dashboard.ids import WALL_HEADER_LINK, WALL_MAP, WALL_QUEUE_GRID
from dashboard.live import READ_COUNT
from dashboard.push import PERIODS, Limits, Link, Reads, build_view, plan, start
from dashboard.snapshot import aread_snapshot, read_changes
from ingest.feeds.urban import ADAPTER
from ingest.sim.urban import UrbanSimulator
from ingest.sink import RedisSink
from layers.town import Town, default_town
from tests.support.access import bearer, demo_accounts, screen
from tests.support.browser import launch
from tests.support.system import running_demo
from tests.support.urban import lattice_point, urban_record
from towncc.embedded import EmbeddedRedis, free_port

# ---- event → row visible ----------------------------------------------------------------


def send_at_rate(
    base: str, rate: float, seconds: float, run: str, first: int, sender: dict[str, str]
) -> dict[str, float]:
    """POST rate records a second for ``seconds`` (with the feed's token in ``sender``); case
    id → epoch ms just before its POST.

    Records ``first``, ``first + 1``, …: each at its own lattice point (no duplicates)."""
    count = max(1, round(rate * seconds))
    sent: dict[str, float] = {}
    lock = threading.Lock()

    async def one(client: httpx.AsyncClient, n: int, due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        now = f"{beijing(datetime.now(UTC)):%Y-%m-%d %H:%M:%S}"
        record = urban_record(n, *lattice_point(n), ajbh=f"WALL-{run}-{n:05d}", sbsj=now)
        with lock:
            sent[f"urban:{record['ajbh']}"] = time.time() * 1000
        response = await client.post("/api/ingest/urban", json=record)
        response.raise_for_status()

    async def all_of_them() -> None:
        start = time.monotonic() + 0.5
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=sender) as client:
            await asyncio.gather(*(one(client, first + n, start + n / rate) for n in range(count)))

    # Playwright's sync API runs an event loop in this thread: send from a thread of our own.
    worker = threading.Thread(target=lambda: asyncio.run(all_of_them()))
    worker.start()
    worker.join()
    if len(sent) != count:
        raise RuntimeError(f"sent {len(sent)} of {count} records")
    return sent


# Whenever the queue grid's row model changes, the ids not yet in it are looked up and the
# time one appears is kept. At 100 events/s most rows land below the fold (the screen shows
# a few dozen), so the grid's model, not the DOM, says when a row is there to be seen.
WATCH = """([grid, expected]) => {
  window.__inGrid = window.__inGrid || {};
  const api = dash_ag_grid.getApi(grid);
  const left = new Set(expected);
  const look = () => {
    const now = Date.now();
    for (const id of left) if (api.getRowNode(id)) { window.__inGrid[id] = now; left.delete(id); }
    if (!left.size) api.removeEventListener('modelUpdated', look);
  };
  api.addEventListener('modelUpdated', look);
}"""


# The bare push: a Dash page whose persistent WebSocket callback sends the case ids of the
# entries it reads to a store (those of the last second, so that two messages Dash batches
# together lose none); the page notes when it first saw each.
BARE_SEEN, BARE_SINK = "bare-seen", "bare-sink"
BARE_NOTE = """(ids) => {
  window.__bare = window.__bare || {};
  const now = Date.now();
  for (const id of ids || []) if (!(id in window.__bare)) window.__bare[id] = now;
  window.__bareReady = Array.isArray(ids);
  return window.dash_clientside.no_update;
}"""


def bare_app(redis_url: str, keys: Keys) -> Dash:
    app = Dash(__name__, backend="fastapi", websocket_inactivity_timeout=0)
    app.layout = html.Div([dcc.Store(id=BARE_SEEN), html.Div(id=BARE_SINK)])

    @app.callback(State(BARE_SEEN, "data"), websocket=True, persistent=True)
    async def tail(_: Any) -> None:
        ar = aredis.Redis.from_url(redis_url, decode_responses=True)
        cursor, recent = "$", deque[tuple[float, str]]()
        set_props(BARE_SEEN, {"data": []})
        try:
            while ctx.websocket is not None and not ctx.websocket.is_shutdown:
                reply = await ar.xread({keys.case_events: cursor}, READ_COUNT, 1000)
                entries = reply[0][1] if reply else []
                if entries:
                    cursor, now = entries[-1][0], time.monotonic()
                    recent.extend((now, fields["case_id"]) for _, fields in entries)
                    while recent[0][0] < now - 1:
                        recent.popleft()
                    set_props(BARE_SEEN, {"data": [case_id for _, case_id in recent]})
        finally:
            await ar.aclose()

    app.clientside_callback(BARE_NOTE, Output(BARE_SINK, "children"), Input(BARE_SEEN, "data"))
    return app


@contextmanager
def bare_push(redis_url: str, keys: Keys) -> Iterator[str]:
    """The bare push served by uvicorn in a thread of this process; its page's URL."""
    port = free_port()
    app = bare_app(redis_url, keys)
    server = uvicorn.Server(uvicorn.Config(app.server, host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# The page's start-up (MapLibre's first draws, the grid's first render) holds its main
# thread for up to a second in the first seconds after load: the runs measure a wall that has
# drawn its map and gone SETTLED_MS without a task over 50 ms (the Long Tasks API).
SETTLED_MS = 3000
SETTLE = f"""() => {{
  if (window.__lastLong === undefined) {{
    window.__lastLong = performance.now();
    new PerformanceObserver((list) => {{
      for (const e of list.getEntries()) window.__lastLong = e.startTime + e.duration;
    }}).observe({{type: 'longtask', buffered: true}});
  }}
  const gd = window.towncc_framework.graphDiv('{WALL_MAP}');
  const drawn = gd && typeof gd.layout.meta === 'number';
  return drawn && performance.now() - window.__lastLong > {SETTLED_MS};
}}"""


def settle(wall: Page) -> None:
    """Wait until the wall has drawn its map and its main thread is calm (SETTLED_MS)."""
    wall.wait_for_function(SETTLE, polling=500, timeout=120_000)


def latencies(
    wall: Page, bare: Page, base: str, rate: float, seconds: float, first: int,
    sender: dict[str, str],
) -> tuple[list[float], list[float]]:  # fmt: skip
    """Event → row in the wall's queue grid and event → case id on the bare page, ms, for
    each record of a run at ``rate``."""
    run = f"{rate:g}-{int(time.time())}"
    count = max(1, round(rate * seconds))
    expected = [f"urban:WALL-{run}-{first + n:05d}" for n in range(count)]
    wall.evaluate(WATCH, [WALL_QUEUE_GRID, expected])
    sent = send_at_rate(base, rate, seconds, run, first, sender)
    if set(sent) != set(expected):
        raise RuntimeError("the records sent are not those watched for")
    found = []
    for page, seen in ((wall, "window.__inGrid"), (bare, "window.__bare")):
        ids = orjson.dumps(expected).decode()
        try:
            page.wait_for_function(
                f"() => {ids}.every((id) => id in {seen})", polling=250, timeout=60_000
            )
        except PlaywrightTimeout:
            got = set(page.evaluate(f"() => Object.keys({seen})"))
            missing = sorted(set(expected) - got)
            raise RuntimeError(f"{len(missing)} of {count} never came: {missing[:5]}") from None
        at: dict[str, float] = page.evaluate(
            f"() => Object.fromEntries({ids}.map((id) => [id, {seen}[id]]))"
        )
        found.append([at[i] - sent[i] for i in expected])
    return found[0], found[1]


def measure_latency(
    seconds_slow: float, seconds_fast: float
) -> list[tuple[float, list[float], list[float]]]:
    out = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedRedis(Path(tmp), appendonly=False) as server,
        running_demo(Path(tmp), redis_url=server.url, simulate=False) as base,
        bare_push(server.url, Keys("towncc:")) as bare_url,
        sync_playwright() as pw,
    ):
        browser = launch(pw)
        try:
            wall = browser.new_page(viewport=WALL_4K)
            wall.goto(screen(f"{base}/wall"))  # as a screen: its wall token, then its cookie
            sender = bearer(demo_accounts(Path(tmp))["feed_tokens"]["urban"])
            wall.wait_for_selector(f"#{WALL_HEADER_LINK}.is-ok", timeout=60_000)
            bare = browser.new_page()
            bare.goto(bare_url)
            bare.wait_for_function("() => window.__bareReady === true", timeout=60_000)
            latencies(wall, bare, base, 5, 1, 0, sender)  # warm-up, not counted
            settle(wall)
            first = 5
            for rate, seconds in ((1.0, seconds_slow), (100.0, seconds_fast)):
                out.append((rate, *latencies(wall, bare, base, rate, seconds, first, sender)))
                first += round(rate * seconds)
        finally:
            browser.close()
    return out


# ---- server time and bytes per push ---------------------------------------------------------


def fill(r: redis.Redis, keys: Keys, town: Town, count: int) -> int:
    """``count`` simulated reports over ten days, through the intake and the engine."""
    sim = UrbanSimulator(town.boundary, town.centre, seed=5)
    end = datetime.now(UTC)
    step = timedelta(days=10) / count
    records = [sim.new_record(end - step * (count - i)) for i in range(count)]
    sink = RedisSink(keys, 10_000_000)
    for first in range(0, count, 1000):
        body = orjson.dumps(records[first : first + 1000])
        sink.write(r, ADAPTER.parse(body, datetime.now(UTC)))
    engine = Engine(r, keys, Geography(town), clock=lambda: end)
    engine.ensure_group()
    while engine.step(block_ms=1):
        pass
    return int(r.zcard(keys.open_cases))


def encoded(props: dict[str, Any]) -> int:
    """Bytes of one set_props payload as Dash encodes it (plotly's JSON encoder)."""
    found = {k: v.to_plotly_json() if isinstance(v, Patch) else v for k, v in props.items()}
    return len(to_json_plotly(found).encode())


async def push_costs(ar: aredis.Redis, keys: Keys, town: Town, limits: Limits,
                     rounds: int) -> tuple[list[float], list[int]]:  # fmt: skip
    """Server seconds and bytes of one push for one changed case, ``rounds`` times."""
    traces = map_traces(town)
    now = datetime.now(UTC)
    snap = await aread_snapshot(ar, keys, max(limits.max_rows, limits.max_points), now)
    view = build_view(snap.cases, snap.grid, lang="zh", limits=limits, locations=traces.locations)
    ids = [c["id"] for c in snap.cases]
    first = start("zh", snap.cursor, view.mirror, limits=limits, traces=traces,
                  case_filter=CaseFilter(), now=time.time())  # fmt: skip
    times, sizes = [], []
    for n in range(rounds):
        # The page has applied and drawn everything before: both links free, counts shown.
        state = replace(first, rows=Link(), shown={"counts": snap.counts})
        state = replace(state, due=dict.fromkeys(PERIODS, time.time() + 60))
        changed = [ids[n % len(ids)]]
        started = time.perf_counter()
        cases, grid, counts = await read_changes(ar, keys, changed, now)
        reads = Reads(cursor=f"{int(time.time() * 1000)}-0", cases=cases, grid=grid, counts=counts)
        _, messages = plan(state, reads, time.time())
        # As dashboard.live sends them: the rows' store, the cursor's store, the map's Patch
        # with its draw mark, and any header figure that changed.
        size = sum(encoded(props) for _, props in messages)
        times.append(time.perf_counter() - started)
        sizes.append(size)
    return times, sizes


async def refresh_costs(ar: aredis.Redis, keys: Keys, town: Town, limits: Limits,
                        rounds: int) -> tuple[list[float], list[int]]:  # fmt: skip
    """Server seconds and bytes of a whole redraw: snapshot, view, full figure and rows."""
    traces = map_traces(town)
    times, sizes = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        now = datetime.now(UTC)
        snap = await aread_snapshot(ar, keys, max(limits.max_rows, limits.max_points), now)
        view = build_view(snap.cases, snap.grid, lang="zh", limits=limits,
                          locations=traces.locations)  # fmt: skip
        figure = wall_figure(town, snap.grid, view.points, lang="zh", tile_url=None)
        size = encoded({"figure": figure}) + encoded({"rowData": view.rows})
        times.append(time.perf_counter() - started)
        sizes.append(size)
    return times, sizes


def measure_push(count: int, rounds: int) -> tuple[int, Limits, tuple[Any, ...], tuple[Any, ...]]:
    town = default_town()
    settings = Settings()
    limits = Limits(settings.wall_max_rows, settings.wall_max_points)
    keys = Keys("bench-wall:")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), appendonly=False) as server:
        r = redis.Redis.from_url(server.url, decode_responses=True)
        open_cases = fill(r, keys, town, count)

        async def both() -> tuple[Any, Any]:
            ar = aredis.Redis.from_url(server.url, decode_responses=True)
            try:
                push = await push_costs(ar, keys, town, limits, rounds)
                full = await refresh_costs(ar, keys, town, limits, max(3, rounds // 20))
                return push, full
            finally:
                await ar.aclose()

        push, full = asyncio.run(both())
    return open_cases, limits, push, full


CEILINGS = {1.0: 100.0, 100.0: 250.0}  # event → row p99, ms (issue 12)


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-slow", type=float, default=60, help="run at 1 event/s")
    parser.add_argument("--seconds-fast", type=float, default=10, help="run at 100 events/s")
    parser.add_argument("--cases", type=int, default=10_000, help="records for the push cost")
    parser.add_argument("--rounds", type=int, default=200, help="pushes measured")
    args = parser.parse_args()
    print(describe())
    print("event → row in the wall's queue (3840×2160, Chromium), beside the bare push:")
    for rate, found, bare in measure_latency(args.seconds_slow, args.seconds_fast):
        for name, values in (("wall", found), ("bare push", bare)):
            print(f"  {rate:>5g} events/s  {name:<9} {len(values):>5} events"
                  f"  p50 {quantile(values, 50):>6.0f} ms  p99 {quantile(values, 99):>6.0f} ms"
                  f"  max {max(values):>6.0f} ms  ceiling p99 {CEILINGS[rate]:g} ms"
                  if name == "wall" else
                  f"  {rate:>5g} events/s  {name:<9} {len(values):>5} events"
                  f"  p50 {quantile(values, 50):>6.0f} ms  p99 {quantile(values, 99):>6.0f} ms"
                  f"  max {max(values):>6.0f} ms")  # fmt: skip
    open_cases, limits, (push_s, push_b), (full_s, full_b) = measure_push(args.cases, args.rounds)
    print(f"\nper push, {open_cases:,} open cases in Redis "
          f"(the wall keeps {limits.max_rows} rows, {limits.max_points} points):")  # fmt: skip
    for name, seconds, sizes in (("one case changed", push_s, push_b),
                                 ("full-figure refresh", full_s, full_b)):  # fmt: skip
        print(f"  {name:<20} server {statistics.median(seconds) * 1000:>8.2f} ms (median)"
              f"  {statistics.median(sizes):>10,.0f} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
