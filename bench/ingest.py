"""Intake throughput per feed: parse + normalise + XADD, beside a raw pipelined XADD of the
same already-normalised entries (the ceiling), in one run on a private Redis.

Each feed's good fixtures are parsed over and over, and each batch is written and let go, as
the intake does. The ceiling's entries are planned beforehand from the same bodies with the
same arrival time, so both sides write the very same entries; they are frozen out of the
cycle collector's sight (gc.freeze), so that holding them costs neither side. The records of
a JSON feed's fixtures are sent as bodies of BATCH records (a JSON array), the way a bulk
POST, a dropped file or a replay brings them; the CSV and XML feeds send their fixture files
as they are. Entries are written in pipelines of BATCH. Usage: python -m bench.ingest
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import redis

from bench.machine import describe
from core.keys import Keys
from ingest.feeds import FEEDS
from ingest.payload import json_raws
from ingest.sink import plan
from ingest.spool import Entry
from tests.support.fixtures import fixtures
from towncc.embedded import EmbeddedRedis

BATCH = 1000
JSON_FEEDS = {"urban", "environment", "water", "safety", "service_hall", "economy",
              "enterprise", "labour", "tourism", "party"}  # fmt: skip


def _xadd(client: redis.Redis, entries: list[Entry]) -> None:
    for first in range(0, len(entries), BATCH):
        pipe = client.pipeline(transaction=False)
        for stream, fields in entries[first : first + BATCH]:
            pipe.xadd(stream, fields)
        pipe.execute()


def normalise_and_write(
    client: redis.Redis, keys: Keys, feed: str, bodies: list[bytes], n: int, received: datetime
) -> tuple[int, float]:
    """Parse bodies round-robin until n records and write them, as the intake does: each
    batch is written and let go. (records, seconds)."""
    adapter, pending, count = FEEDS[feed], [], 0
    started = time.perf_counter()
    i = 0
    while count < n:
        planned, _ = plan(adapter.parse(bodies[i % len(bodies)], received), keys)
        pending += planned
        count += len(planned)
        i += 1
        if len(pending) >= BATCH:
            _xadd(client, pending)
            pending = []
    _xadd(client, pending)
    return count, time.perf_counter() - started


def entries_of(
    keys: Keys, feed: str, bodies: list[bytes], n: int, received: datetime
) -> list[Entry]:
    """The very entries ``normalise_and_write`` writes (same bodies, same arrival time),
    planned beforehand for the ceiling's run."""
    entries: list[Entry] = []
    i = 0
    while len(entries) < n:
        entries += plan(FEEDS[feed].parse(bodies[i % len(bodies)], received), keys)[0]
        i += 1
    return entries


def bodies_of(feed: str) -> list[bytes]:
    """The bodies to send: the fixture files, or for a JSON feed arrays of BATCH records."""
    files = [p.read_bytes() for f, p in fixtures("good") if f == feed]
    if feed not in JSON_FEEDS or not files:
        return files
    records = [orjson.loads(raw) for body in files for raw in json_raws(body)]
    return [orjson.dumps([records[i % len(records)] for i in range(BATCH)])]


def ceiling(client: redis.Redis, entries: list[Entry]) -> float:
    started = time.perf_counter()
    _xadd(client, entries)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per feed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per feed; the best counts")
    args = parser.parse_args()
    print(describe())
    print(f"{'feed':<14}{'records':>9}{'normalise+XADD/s':>19}{'raw XADD/s':>13}{'share':>8}")
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), appendonly=False) as server:
        client = redis.Redis.from_url(server.url)
        for feed in FEEDS:
            bodies = bodies_of(feed)
            if not bodies:
                print(f"{feed:<14}  no good fixtures: skipped")
                continue
            keys = Keys(f"bench-{feed}:")
            received = datetime.now(UTC)
            entries = entries_of(keys, feed, bodies, args.records, received)
            gc.collect()
            gc.freeze()
            seconds = raw_seconds = float("inf")
            for _ in range(args.repeat):  # the best of each, so a busy moment counts for neither
                count, took = normalise_and_write(
                    client, keys, feed, bodies, args.records, received
                )
                seconds = min(seconds, took)
                raw_seconds = min(raw_seconds, ceiling(client, entries))
                client.delete(keys.events, keys.deadletter)
            del entries
            gc.unfreeze()
            share = raw_seconds / seconds
            mark = " (JSON)" if feed in JSON_FEEDS else ""
            rates = f"{count / seconds:>19,.0f}{count / raw_seconds:>13,.0f}"
            print(f"{feed:<14}{count:>9}{rates}{share:>8.0%}{mark}")


if __name__ == "__main__":
    main()
