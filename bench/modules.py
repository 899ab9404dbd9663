"""The wall's module panels at the seed's sizes: one refresh's read and figures.

The simulated town goes through the real path (simulators → adapters → sink → engine):
3,000+ enterprises and their labour snapshots, 21 alliances, 154 branches and 377 党员中心户,
the last hours of the stations, gauges and reports, and a month of the service hall. Then, in
the same run and on the same Redis:

- the panels as the push refreshes them now: `read_module_data` (the engine's per-feed
  summaries, the stations, today's counters: dashboard/modules/data.py) and every module's
  figures (`dashboard.modules.compute`), p50 and p95 of `--refreshes` rounds;
- beside it, what the push did before the summaries: read the whole `latest:metric` hash and
  parse every record.

Usage: python -m bench.modules [--days 30] [--refreshes 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import redis

from bench.machine import describe
from core.keys import Keys
from dashboard.modules import compute
from dashboard.modules.data import read_module_data
from tests.browser.seed import TOWN_FEEDS, seed_town
from towncc.embedded import EmbeddedRedis

CEILING_MS = 50.0  # a refresh of the wall is every second: the panels' share stays small


def timed(rounds: int, work: object) -> list[float]:
    found = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()  # type: ignore[operator]
        found.append((time.perf_counter() - began) * 1000)
    return sorted(found)


def p95(values: list[float]) -> float:
    return values[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--refreshes", type=int, default=200)
    args = parser.parse_args()
    print(describe())
    keys = Keys("bench:")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp) / "redis") as server:
        r = redis.Redis.from_url(server.url)
        now = datetime.now(UTC)
        began = time.monotonic()
        applied = seed_town(r, keys, now, feeds=TOWN_FEEDS)  # registries and the last hours
        applied += seed_town(r, keys, now, hours=args.days * 24, feeds=("service_hall",))
        metrics = r.hlen(keys.latest("metric"))
        size = r.memory_usage(keys.latest("metric"), samples=0) or 0
        print(f"seeded {applied:,} events in {time.monotonic() - began:.0f} s: "
              f"{metrics:,} metric records ({size / 1e6:.1f} MB in latest:metric)")  # fmt: skip

        def refresh() -> None:
            compute(read_module_data(r, keys, 100, datetime.now(UTC)))

        def whole_hash() -> None:
            [orjson.loads(v) for v in r.hvals(keys.latest("metric"))]

        panels = timed(args.refreshes, refresh)
        before = timed(max(20, args.refreshes // 10), whole_hash)
        later = compute(read_module_data(r, keys, 100, now + timedelta(seconds=1)))
        shown = sum(1 for _, figures in later if figures)
    print(f"the panels' refresh (summaries + figures, {shown} of {len(later)} panels with "
          f"figures): p50 {statistics.median(panels):.1f} ms, p95 {p95(panels):.1f} ms "
          f"(ceiling {CEILING_MS:.0f} ms)")  # fmt: skip
    print(f"before: the whole latest:metric read and parsed: p50 "
          f"{statistics.median(before):.1f} ms, p95 {p95(before):.1f} ms")  # fmt: skip
    print("within the ceiling" if p95(panels) <= CEILING_MS else "OVER THE CEILING")


if __name__ == "__main__":
    main()
