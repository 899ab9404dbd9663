"""Incidents at the scale of a year: declaring one and reading the incident layer, with
100,000 cases (20 % open) and 3,000 registered enterprises in Redis.

A private Redis holds a year of synthetic cases written by the engine's own transaction
(tests/support/synthetic.py) and 3,000 enterprise registry records placed at random in the
town (the newest record per source, as the engine keeps it). Two incidents:

- a 1 km circle at the town's centre (a leader's, by hand);
- an alert's area over most of the town (the town's outline shrunk by 300 m), which makes
  every grid affected and most of them wholly inside: the worst case for the layer.

For each: the declaration (the area, what it touches, the record, the notices: what
`POST /api/incidents` does) — ceiling 2,000 ms, the issue's switch time for every screen —
and the layer's read as every console and tablet asks it each second and the wall's push
every second (`dashboard.incident_mode.read_layer`: the incident, the cases inside, the
notices, the timeline, the components) — ceiling 300 ms, so that a second leaves room for
the rest. The p50 and the slowest of the reads are printed.

Usage: python -m bench.incident [--cases 100000] [--enterprises 3000] [--reads 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import redis
import redis.asyncio as aredis
import shapely

from bench.machine import describe
from cases.places import Geography
from core.keys import Keys
from core.settings import LAYERS_DATA, Settings
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from dashboard.incident_mode import read_layer
from emergency.footprint import circle
from emergency.incidents import Shape, context_for, open_incident, prepare
from layers.town import default_town
from tests.support.synthetic import seed, synthetic, template
from towncc.embedded import EmbeddedRedis

DECLARE_MS = 2_000
READ_MS = 300
MAXMEMORY = 8 * 1024**3


def enterprises(r: redis.Redis, keys: Keys, count: int, rng: random.Random) -> None:
    """`count` registry records at random points of the town, as `latest:metric` keeps them."""
    town = default_town()
    west, south, east, north = town.bbox
    pipe = r.pipeline(transaction=False)
    placed = 0
    while placed < count:
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if not town.boundary.contains(shapely.Point(lon, lat)):
            continue
        uscc = f"91320281{placed:09d}X"
        record = {"feed": "enterprise", "source_id": uscc, "title": f"企业{placed}", "lon": lon,
                  "lat": lat, "attrs": {"uscc": uscc, "name": f"企业{placed}",
                                        "registration": "active", "employees": 50}}  # fmt: skip
        pipe.hset(keys.latest("metric"), f"enterprise:{uscc}", orjson.dumps(record))
        placed += 1
    pipe.execute()


def ms(seconds: float) -> float:
    return seconds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--enterprises", type=int, default=3_000)
    parser.add_argument("--reads", type=int, default=20)
    args = parser.parse_args()
    print(describe())
    town = default_town()
    context = context_for(town, LAYERS_DATA / "population.csv", LAYERS_DATA / "emergency.geojson")
    keys = Keys(Settings().key_prefix)
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedRedis(Path(tmp) / "redis", appendonly=False, maxmemory=MAXMEMORY) as server,
    ):
        r = redis.Redis.from_url(server.url, decode_responses=True)
        now = datetime.now(UTC)
        started = time.perf_counter()
        seed(r, keys, synthetic(template(r, Geography(town)), town, args.cases, now, seed=11), now)
        enterprises(r, keys, args.enterprises, random.Random(11))
        took = time.perf_counter() - started
        open_now = r.zcard(keys.open_cases)
        print(f"seeded {args.cases:,} cases and {args.enterprises:,} enterprises in {took:.0f} s;")
        print(f"open cases: {open_now:,}")
        settings = Settings().model_copy(update={"redis_url": server.url})
        wall = WallContext(
            settings=settings, keys=keys, town=town, traces=map_traces(town), r=r,
            ar=aredis.Redis.from_url(server.url), emergency=context,
        )  # fmt: skip
        shrunk = town.boundary.buffer(-0.003)
        cases: list[tuple[str, Shape, Any, tuple[float, float] | None, float | None]] = [
            ("1 km at the centre", "point", circle(town, *town.centre, 1000), town.centre, 1000.0),
            ("most of the town", "polygon", shrunk, None, None),
        ]
        for name, shape, area, point, radius in cases:
            t0 = time.perf_counter()
            incident = prepare(
                r, keys, context, title=name, shape=shape, area=area, actor="bench",
                now=datetime.now(UTC), point=point, radius_m=radius,
            )  # fmt: skip
            open_incident(r, keys, incident, now=datetime.now(UTC), minutes=10)
            declared = ms(time.perf_counter() - t0)
            reads = []
            for _ in range(args.reads):
                t0 = time.perf_counter()
                read_layer(wall, "zh", False)
                reads.append(ms(time.perf_counter() - t0))
            touched = incident["footprint"]
            rows.append((name, declared, statistics.median(reads), max(reads),
                         len(touched["grids"]), len(touched["enterprises"]),
                         len(touched["staff"])))  # fmt: skip
            r.zrem(keys.incidents_active, incident["id"])  # the next one alone on the screens
        r.close()
    print(f"{'incident':<22}{'declare':>10}{'ceiling':>9}{'read p50':>10}{'max':>8}"
          f"{'ceiling':>9}{'grids':>7}{'firms':>7}{'staff':>7}")  # fmt: skip
    for name, declared, p50, slowest, grids, firms, staff in rows:
        print(f"{name:<22}{declared:>8.0f}ms{DECLARE_MS:>7}ms{p50:>8.0f}ms{slowest:>6.0f}ms"
              f"{READ_MS:>7}ms{grids:>7}{firms:>7}{staff:>7}")  # fmt: skip
    over = [r for r in rows if r[1] > DECLARE_MS or r[3] > READ_MS]
    print("within the ceilings" if not over else f"OVER THE CEILING: {[r[0] for r in over]}")


if __name__ == "__main__":
    main()
