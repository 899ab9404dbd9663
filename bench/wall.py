"""The wall's push: event → row visible at 1 and 100 events/s in a real Chromium, and the
server's time and bytes per push with 10,000 open cases beside a full-figure refresh.

Latency: the whole system as `make demo` runs it (embedded Redis, engine, wall; no
simulator), /wall open at 3840×2160. Records are POSTed to `/api/ingest/urban` on a fixed
schedule (open loop: a slow answer does not slow the sender) and each is timed from just
before its POST to the moment its row is in the queue grid's row model (ag-grid's
modelUpdated event; at 100 events/s most rows land below the fold, so the DOM cannot say).
Every record has its own point, so none is merged as a duplicate.

Push cost: a private Redis holding 10,000 open cases written by the engine. One push is what
the page's socket loop does when one case changes (read it with the grid counts and totals,
plan the ag-grid transaction and the map Patch, encode them as Dash sends them); a full
refresh reads the wall's snapshot and builds and encodes the whole map figure and every row,
the way a page without patches would redraw. Both in the same run, the median of many.

Usage: python -m bench.wall [--seconds-slow 60] [--seconds-fast 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis
import redis.asyncio as aredis
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from plotly.io.json import to_json_plotly

from bench.demo import wall_on_demo
from bench.machine import describe
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from core.times import beijing
from dashboard.components.wall_map import map_traces, wall_figure
from dashboard.ids import WALL_QUEUE_GRID
from dashboard.push import Limits, Mirror, build_view, mirror_to_store, plan_tick
from dashboard.snapshot import aread_snapshot, read_changes
from ingest.feeds.urban import ADAPTER
from ingest.sim.urban import UrbanSimulator
from ingest.sink import RedisSink
from layers.town import Town, default_town
from tests.support.urban import lattice_point, urban_record
from towncc.embedded import EmbeddedRedis

# ---- event → row visible ----------------------------------------------------------------


def send_at_rate(base: str, rate: float, seconds: float, run: str, first: int) -> dict[str, float]:
    """POST rate records a second for ``seconds``; case id → epoch ms just before its POST.

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
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await asyncio.gather(*(one(client, first + n, start + n / rate) for n in range(count)))

    # Playwright's sync API runs an event loop in this thread: send from a thread of our own.
    sender = threading.Thread(target=lambda: asyncio.run(all_of_them()))
    sender.start()
    sender.join()
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


def latencies(page: Page, base: str, rate: float, seconds: float, first: int) -> list[float]:
    """Event → row in the queue grid, ms, for each record of a run at ``rate``."""
    run = f"{rate:g}-{int(time.time())}"
    count = max(1, round(rate * seconds))
    expected = [f"urban:WALL-{run}-{first + n:05d}" for n in range(count)]
    page.evaluate(WATCH, [WALL_QUEUE_GRID, expected])
    sent = send_at_rate(base, rate, seconds, run, first)
    if set(sent) != set(expected):
        raise RuntimeError("the records sent are not those watched for")
    ids = orjson.dumps(expected).decode()
    try:
        page.wait_for_function(
            f"() => {ids}.every((id) => id in window.__inGrid)", polling=250, timeout=60_000
        )
    except PlaywrightTimeout:
        found = set(page.evaluate("() => Object.keys(window.__inGrid)"))
        missing = sorted(set(expected) - found)
        raise RuntimeError(f"{len(missing)} of {count} rows never came: {missing[:5]}") from None
    seen: dict[str, float] = page.evaluate(
        f"() => Object.fromEntries({ids}.map((id) => [id, window.__inGrid[id]]))"
    )
    return [seen[i] - sent[i] for i in expected]


def measure_latency(seconds_slow: float, seconds_fast: float) -> list[tuple[float, list[float]]]:
    out = []
    with wall_on_demo(simulate=False) as (base, page):
        latencies(page, base, 5, 1, 0)  # warm-up, not counted
        first = 5
        for rate, seconds in ((1.0, seconds_slow), (100.0, seconds_fast)):
            out.append((rate, latencies(page, base, rate, seconds, first)))
            first += round(rate * seconds)
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
    return len(to_json_plotly(props).encode())


async def push_costs(ar: aredis.Redis, keys: Keys, town: Town, limits: Limits,
                     rounds: int) -> tuple[list[float], list[int]]:  # fmt: skip
    """Server seconds and bytes of one push for one changed case, ``rounds`` times."""
    traces = map_traces(town)
    now = datetime.now(UTC)
    snap = await aread_snapshot(ar, keys, max(limits.max_rows, limits.max_points), now)
    view = build_view(snap.cases, snap.counts, lang="zh", limits=limits, locations=traces.locations)
    ids = [c["id"] for c in snap.cases]
    times, sizes = [], []
    for n in range(rounds):
        mirror = Mirror(dict(view.mirror.rows), list(view.mirror.points), view.mirror.z,
                        set(view.mirror.overdue))  # fmt: skip
        changed = [ids[n % len(ids)]]
        started = time.perf_counter()
        cases, counts, open_total, today_total = await read_changes(ar, keys, changed, now)
        stamp = int(time.time() * 1000)
        tick = plan_tick(mirror, cases, counts, lang="zh", limits=limits, traces=traces,
                         stamp=stamp)  # fmt: skip
        # As dashboard.live sends them: the rows' store, the two KPIs, the cursor's store and,
        # when the map changed, its Patch marked for the page's draw report.
        size = encoded({"data": tick.transaction}) + encoded(
            {"children": str(open_total)}) + encoded({"children": str(today_total)})  # fmt: skip
        cursor = f"{stamp}-0"  # a stream entry's id
        size += encoded({"data": mirror_to_store(Mirror(), cursor, "zh", fresh=False)})
        if tick.patch is not None:
            tick.patch["layout"]["meta"] = stamp
            size += encoded({"figure": tick.patch.to_plotly_json()})
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
        view = build_view(snap.cases, snap.counts, lang="zh", limits=limits,
                          locations=traces.locations)  # fmt: skip
        figure = wall_figure(town, snap.counts, view.points, lang="zh", tile_url=None)
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
    print("event → row in the wall's queue (3840×2160, Chromium):")
    for rate, found in measure_latency(args.seconds_slow, args.seconds_fast):
        print(f"  {rate:>5g} events/s  {len(found):>5} events  p50 {quantile(found, 50):>6.0f} ms"
              f"  p99 {quantile(found, 99):>6.0f} ms  max {max(found):>6.0f} ms")  # fmt: skip
    open_cases, limits, (push_s, push_b), (full_s, full_b) = measure_push(args.cases, args.rounds)
    print(f"\nper push, {open_cases:,} open cases in Redis "
          f"(the wall keeps {limits.max_rows} rows, {limits.max_points} points):")  # fmt: skip
    for name, seconds, sizes in (("one case changed", push_s, push_b),
                                 ("full-figure refresh", full_s, full_b)):  # fmt: skip
        print(f"  {name:<20} server {statistics.median(seconds) * 1000:>8.2f} ms (median)"
              f"  {statistics.median(sizes):>10,.0f} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
