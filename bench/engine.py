"""Case engine throughput with 10k and 100k open cases, and grid assignment beside a plain
shapely STRtree query of the same points (the ceiling), in one run on a private Redis.

The engine is one process on one core (redis-server runs beside it). Its stream is
prefilled with the open cases (not timed), then a burst of events is queued — half new
reports, half status updates of open cases, as the 数字城管 feed sends them — and the
engine's time to apply the whole burst is measured. Usage: python -m bench.engine
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import redis
import shapely

from bench.machine import describe
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from ingest.feeds.urban import ADAPTER
from ingest.sim.urban import UrbanSimulator
from ingest.sink import RedisSink
from layers.index import GridIndex
from layers.town import Town, default_town
from towncc.embedded import EmbeddedRedis

BODY = 1000
REPEAT = 3  # runs of each grid-assignment side; the best counts
T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def send(r: redis.Redis, keys: Keys, records: list[dict[str, Any]]) -> None:
    """Through the urban adapter and the sink into the stream, in bodies of BODY records."""
    sink = RedisSink(keys, 10_000_000)
    for first in range(0, len(records), BODY):
        body = orjson.dumps(records[first : first + BODY])
        sink.write(r, ADAPTER.parse(body, datetime.now(UTC)))


def apply_all(engine: Engine) -> int:
    total = 0
    while handled := engine.step(block_ms=1):
        total += handled
    return total


def engine_rate(r: redis.Redis, town: Town, geography: Geography, open_cases: int,
                burst: int) -> tuple[int, float]:  # fmt: skip
    """(events applied, seconds) for a burst on top of ``open_cases`` open cases."""
    keys = Keys(f"bench-engine-{open_cases}:")
    sim = UrbanSimulator(town.boundary, town.centre, seed=open_cases)
    opened = [sim.new_record(T0 + timedelta(seconds=i)) for i in range(open_cases)]
    engine = Engine(r, keys, geography, clock=lambda: T0)
    engine.ensure_group()
    send(r, keys, opened)
    apply_all(engine)
    later = T0 + timedelta(hours=1)
    fresh = [sim.new_record(later) for _ in range(burst // 2)]
    picks = np.random.default_rng(1).choice(open_cases, size=burst - len(fresh), replace=False)
    updates = [{**opened[int(i)], "zt": "已受理"} for i in picks]
    send(r, keys, fresh + updates)
    started = time.perf_counter()
    applied = apply_all(engine)
    seconds = time.perf_counter() - started
    r.delete(*r.keys(f"{keys.prefix}*"))
    return applied, seconds


def assignment_rates(town: Town, points: int, batch: int) -> tuple[float, float]:
    """Points per second: GridIndex.assign, and the plain STRtree query under it (the ceiling).

    The ceiling is the same tree query with the same predicate, without turning hits into
    one grid code per point. Both run REPEAT times, alternating; the best of each counts.
    """
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = town.boundary.bounds
    lon = rng.uniform(minx, maxx, points)
    lat = rng.uniform(miny, maxy, points)
    index = GridIndex.from_town(town)
    tree = shapely.STRtree(town.l2.geometry.to_numpy())
    index.assign(lon[:batch], lat[:batch])  # warm both
    tree.query(shapely.points(lon[:batch], lat[:batch]), predicate="intersects")
    ours = plain = float("inf")
    for _ in range(REPEAT):  # alternating, the best of each: a busy moment counts for neither
        started = time.perf_counter()
        for first in range(0, points, batch):
            index.assign(lon[first : first + batch], lat[first : first + batch])
        ours = min(ours, time.perf_counter() - started)
        started = time.perf_counter()
        for first in range(0, points, batch):
            pts = shapely.points(lon[first : first + batch], lat[first : first + batch])
            tree.query(pts, predicate="intersects")
        plain = min(plain, time.perf_counter() - started)
    return points / ours, points / plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=20_000, help="events timed per run")
    parser.add_argument("--open", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    print(describe())
    town = default_town()
    geography = Geography(town)
    print(f"{'open cases':>11}{'events':>9}{'events/s':>10}")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), appendonly=False) as server:
        r = redis.Redis.from_url(server.url, decode_responses=True)
        for open_cases in args.open:
            applied, seconds = engine_rate(r, town, geography, open_cases, args.burst)
            print(f"{open_cases:>11,}{applied:>9,}{applied / seconds:>10,.0f}")
    print(f"\ngrid assignment, {args.points:,} points in the town's bounds, {len(town.l2)} grids")
    print(f"{'batch':>7}{'GridIndex/s':>14}{'STRtree/s':>12}{'share':>8}")
    for batch in (1, 500, 10_000):
        points = args.points if batch > 1 else args.points // 100
        ours, plain = assignment_rates(town, points, batch)
        print(f"{batch:>7,}{ours:>14,.0f}{plain:>12,.0f}{ours / plain:>8.0%}")


if __name__ == "__main__":
    main()
