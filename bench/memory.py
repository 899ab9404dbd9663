"""How many days of the demo town's events a given Redis memory holds.

Every feed simulator runs through simulated days (their backfill, then a tick a minute, as
`towncc simulate` does in real time); the bodies go through each feed's adapter and the
Redis sink into the streams, and the engine applies them all, on a private Redis. Then
MEMORY USAGE (every node sampled) gives the bytes of each stream and of the case
projections, and INFO the growth of the whole server. The ceiling printed beside the
figures is the memory budget: `redis_maxmemory`, and 1 GiB for scale.
Usage: python -m bench.memory [--days N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from bench.machine import describe
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from ingest.feeds import FEEDS
from ingest.sim.fleet import Options, build, drive
from ingest.sink import RedisSink
from layers.town import default_town
from towncc.embedded import EmbeddedRedis

START = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # a Tuesday, 00:00 in Beijing
STEP = timedelta(seconds=60)
GIB = 1024**3
MIB = 1024**2


def usage(r: redis.Redis, pattern: str) -> tuple[int, int]:
    """(keys, bytes) of every key matching ``pattern``."""
    n = total = 0
    for key in r.scan_iter(match=pattern, count=1000):
        total += int(r.memory_usage(key, samples=0) or 0)
        n += 1
    return n, total


def feed_days(r: redis.Redis, keys: Keys, days: int) -> Counter[str]:
    """Simulate ``days`` of every feed into the streams; records stored per feed."""
    sims = build(default_town(), Options(seed=1))
    sink = RedisSink(keys, 100_000_000)
    stored: Counter[str] = Counter()
    for sim in sims:
        for body in drive(sim, START, timedelta(days=days), STEP):
            outcome = sink.write(r, FEEDS[sim.feed].parse(body, datetime.now(UTC)))
            stored[sim.feed] += outcome.accepted
    return stored


def apply_all(r: redis.Redis, keys: Keys, days: int) -> int:
    engine = Engine(r, keys, Geography(default_town()), clock=lambda: START + timedelta(days=days))
    engine.ensure_group()
    total = 0
    while handled := engine.step(block_ms=None):
        total += handled
    return total


def report(r: redis.Redis, keys: Keys, events: int, grown: int, days: int) -> None:
    streams = {
        "events": keys.events, "case-events": keys.case_events,
        "engine-journal": keys.journal, "deadletter": keys.deadletter,
    }  # fmt: skip
    print(f"\n{'stream':<16}{'entries':>10}{'MiB':>9}{'bytes/entry':>13}")
    stream_bytes = 0
    for name, key in streams.items():
        n = int(r.xlen(key))
        size = int(r.memory_usage(key, samples=0) or 0)
        stream_bytes += size
        print(f"{name:<16}{n:>10,}{size / MIB:>9.1f}{(size / n if n else 0):>13,.0f}")
    cases, case_bytes = usage(r, f"{keys.prefix}case:*")
    _, history_bytes = usage(r, f"{keys.prefix}history:*")
    per_case = (case_bytes + history_bytes) / cases if cases else 0
    print(f"\ncases {cases:,}: case + history {per_case:,.0f} bytes per case")
    buckets, kpi_bytes = usage(r, f"{keys.prefix}kpi:*")
    print(
        f"KPI buckets ({buckets:,} keys): {kpi_bytes / cases if cases else 0:,.0f} bytes per case"
    )
    per_day = grown / days
    print(f"\nevents per day {events / days:,.0f}; Redis grew {grown / MIB:,.1f} MiB in {days} d")
    print(f"all of it per day: {per_day / MIB:,.1f} MiB; per event {grown / events:,.0f} bytes")
    print(f"streams per day: {stream_bytes / days / MIB:,.1f} MiB")
    budget = int(Settings().redis_maxmemory)
    print(f"\n{'memory':>10}{'days held':>11}   (ceiling: the memory budget)")
    for name, size in (("1 GiB", GIB), (f"{budget / GIB:g} GiB", budget)):
        print(f"{name:>10}{size / per_day:>11,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2, help="simulated days")
    args = parser.parse_args()
    print(describe())
    keys = Keys("bench-memory:")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), appendonly=False) as server:
        r = redis.Redis.from_url(server.url, decode_responses=True)
        before = int(r.info("memory")["used_memory"])
        started = time.perf_counter()
        stored = feed_days(r, keys, args.days)
        applied = apply_all(r, keys, args.days)
        grown = int(r.info("memory")["used_memory"]) - before
        seconds = time.perf_counter() - started
        print(f"\n{args.days} simulated days in {seconds:.0f} s; records per feed:")
        print("  " + ", ".join(f"{feed} {n:,}" for feed, n in stored.most_common()))
        print(f"  applied by the engine: {applied:,}")
        report(r, keys, sum(stored.values()), grown, args.days)
        info: Any = r.info("memory")
        print(f"\nRedis {r.info('server')['redis_version']}, {info['mem_allocator']}")


if __name__ == "__main__":
    main()
