"""GET /api/kpi from the engine's KPI buckets at 100,000 and 1,000,000 cases, p95 through
`towncc serve`'s real HTTP route for today, this month and this year, beside the full recount
the route did before (every case read and counted, in process: cases.kpi_store.read_facts
and dashboard.kpi_api.report) in the same run, on the same Redis.

The cases are a year of synthetic ones up to now (reported, answered, due, closed, reworked,
extended, parked, cancelled, merged; in every grid, village and department), written by the
engine's own transaction (cases.projections.commit, as a rebuild replays it: case, indexes,
history and KPI buckets), a batch at a time. Before timing, the figures read from the
buckets are checked equal to the recount's for each period, at one moment.

Usage: python -m bench.kpi [--cases 100000 1000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import redis

from bench.machine import describe
from cases.kpi import GroupBy
from cases.kpi_read import read_kpis
from cases.kpi_store import read_facts
from cases.periods import Period, parse_period
from cases.places import Geography
from core.keys import Keys, glob_escape
from core.settings import Settings
from core.times import BEIJING
from dashboard.kpi_api import answer, report, unit_names
from layers.town import default_town
from tests.support.access import bearer, token
from tests.support.synthetic import seed, synthetic, template
from tests.support.system import running_serve
from towncc.embedded import EmbeddedRedis

CEILING_MS = 50.0
BY: GroupBy = "grid"
MAXMEMORY = 16 * 1024**3  # a million cases take more than the default 2 GiB


def bucket_memory(r: redis.Redis, keys: Keys) -> tuple[int, int]:
    """(keys, bytes) of the KPI buckets, by MEMORY USAGE of each (every element counted)."""
    names = list(r.scan_iter(match=f"{glob_escape(keys.kpi(''))}*", count=10_000))
    total = 0
    for first in range(0, len(names), 10_000):
        pipe = r.pipeline(transaction=False)
        for name in names[first : first + 10_000]:
            pipe.memory_usage(name, samples=0)
        total += sum(pipe.execute())
    return len(names), total


def p95_ms(client: httpx.Client, base: str, period: str, requests: int) -> tuple[float, float]:
    """(p50, p95) of GET /api/kpi in ms, after a few warm-up requests."""
    params = {"period": period, "by": BY}
    for _ in range(5):
        client.get(f"{base}/api/kpi", params=params).raise_for_status()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(f"{base}/api/kpi", params=params).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    ordered = sorted(times)
    return statistics.median(ordered), ordered[math.ceil(0.95 * len(ordered)) - 1]


def recount_s(r: redis.Redis, keys: Keys, chosen: Period, now: datetime, names: dict[str, str],
              runs: int) -> float:  # fmt: skip
    """The full recount's time (median of runs), as /api/kpi computed before."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        report(read_facts(r, keys, chosen.until(now)), chosen, now, BY, names)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def same_figures(r: redis.Redis, keys: Keys, chosen: Period, now: datetime,
                 names: dict[str, str]) -> None:  # fmt: skip
    """The buckets' answer equals the recount's at one moment, or the bench stops."""
    so_far = chosen.until(now)
    town_row, rows = read_kpis(r, keys, so_far, BY, names)
    fast = answer(town_row, rows, chosen, so_far, BY, names)
    slow = report(read_facts(r, keys, so_far), chosen, now, BY, names)
    if fast != slow:
        raise AssertionError(f"buckets and recount differ for {chosen.label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per period")
    args = parser.parse_args()
    print(describe())
    town = default_town()
    geography = Geography(town)
    keys = Keys(Settings().key_prefix)
    names = unit_names(town, BY)
    print(f"GET /api/kpi?by={BY}: p50 and p95 over {args.requests} requests; ceiling p95 "
          f"{CEILING_MS:g} ms; the full recount (median) beside it")  # fmt: skip
    print(f"{'cases':>10}{'period':>12}{'p50 ms':>9}{'p95 ms':>9}{'ceiling':>9}"
          f"{'recount ms':>12}{'seeded in':>11}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with EmbeddedRedis(folder / "redis", appendonly=False, maxmemory=MAXMEMORY) as server:
            r = redis.Redis.from_url(server.url, decode_responses=True)
            base_case = template(r, geography)
            for count in args.cases:
                r.flushdb()
                now = datetime.now(UTC)
                started = time.perf_counter()
                seed(r, keys, synthetic(base_case, town, count, now, seed=count), now)
                seeded = time.perf_counter() - started
                today = now.astimezone(BEIJING).date()
                labels = (today.isoformat(), f"{today:%Y-%m}", str(today.year))
                check_at = datetime.now(UTC)
                for label in labels:
                    same_figures(r, keys, parse_period(label), check_at, names)
                runs = 3 if count <= 100_000 else 1
                reader = bearer(token(server.url, keys, "leader"))
                with (
                    running_serve(server.url, folder / f"data-{count}") as (_, base),
                    httpx.Client(timeout=60, headers=reader) as client,
                ):
                    for label in labels:
                        p50, p95 = p95_ms(client, base, label, args.requests)
                        slow = recount_s(r, keys, parse_period(label), datetime.now(UTC),
                                         names, runs)  # fmt: skip
                        verdict = "ok" if p95 <= CEILING_MS else "OVER"
                        print(f"{count:>10,}{label:>12}{p50:>9.1f}{p95:>9.1f}"
                              f"{CEILING_MS:>7g} {verdict:<3}{slow * 1000:>10,.0f}"
                              f"{seeded:>10.0f} s", flush=True)  # fmt: skip
                held, used = bucket_memory(r, keys)
                whole = int(r.info("memory")["used_memory"])
                print(f"{'':>10}KPI buckets: {held:,} keys, {used / 2**20:,.0f} MiB, "
                      f"{used / count:,.0f} bytes a case; all of Redis {whole / 2**20:,.0f} MiB "
                      f"({whole / count:,.0f} bytes a case)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
