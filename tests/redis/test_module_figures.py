"""The seed's town, through the real path (simulator → adapter → sink → stream → engine →
summaries → `GET /api/modules`): 21 alliances, 154 branches, 377 党员中心户, 3,000+
enterprises of which 169 above designated size, 180,000 / 120,000 people; the engine's
summaries equal a fold of the records they summarise, and the wall reads them, not the
records."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases import readings
from cases.engine import Engine
from cases.latest import resummarise, spec_key, summary_key
from core.keys import Keys
from core.replies import text
from dashboard.modules_api import modules_router
from ingest.feeds import FEEDS
from ingest.sim.enterprise import EnterpriseFeed
from ingest.sim.firms import town_firms
from ingest.sim.party import PartyFeed
from ingest.sink import RedisSink
from layers.town import Town
from tests.support.pipeline import drain_now

pytestmark = pytest.mark.redis
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Beijing


def send(r: redis.Redis, keys: Keys, feed: str, bodies: list[bytes]) -> int:
    sink, sent = RedisSink(keys, 1_000_000), 0
    for body in bodies:
        outcome = sink.write(r, FEEDS[feed].parse(body, NOW))
        assert not outcome.deadlettered, outcome.errors
        sent += outcome.accepted
    return sent


@pytest.fixture
def town_sent(r: redis.Redis, keys: Keys, engine: Engine, town: Town) -> int:
    """The party and enterprise simulators' backfills, applied by the engine."""
    firms = town_firms(town)
    sent = send(r, keys, "party", PartyFeed(town, firms).backfill(NOW))
    sent += send(r, keys, "enterprise", EnterpriseFeed(firms).backfill(NOW))
    drain_now(engine)
    return sent


@pytest.fixture
def api(r: redis.Redis, keys: Keys, town: Town) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(modules_router(r, keys, town, clock=lambda: NOW))
    with TestClient(app) as client:
        yield client


def shown(api: TestClient) -> dict[str, dict[str, Any]]:
    """module id → figure label (zh) → the figure as the API gives it."""
    reply = api.get("/api/modules")
    assert reply.status_code == 200, reply.text
    return {m["id"]: {f["label"]["zh"]: f for f in m["figures"]} for m in reply.json()["modules"]}


def stored(r: redis.Redis, keys: Keys, feed: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for key in r.scan_iter(match=summary_key(keys, feed) + "*"):
        found.update({text(k): int(v) for k, v in r.hgetall(key).items() if int(v)})
    return found


def records(r: redis.Redis, keys: Keys, feed: str) -> list[dict[str, Any]]:
    return [orjson.loads(v) for _, v in r.hscan_iter(keys.latest("metric"), match=f"{feed}:*")]


def test_the_api_gives_the_seeds_structure_and_enterprises(
    r: redis.Redis, keys: Keys, town_sent: int, api: TestClient
) -> None:
    assert town_sent > 3_000 + 569
    figures = shown(api)
    party, enterprise, grid = figures["party"], figures["enterprise"], figures["grid"]
    assert party["党委 / 联盟"]["numbers"] == [17, 21]
    assert party["支部 / 党员中心户"]["numbers"] == [154, 377]
    assert enterprise["在册企业"]["numbers"][0] >= 3_000
    assert enterprise["规上企业"]["value"] == "169"
    assert grid["常住 / 户籍人口"]["numbers"] == [180_000, 120_000]
    on_grids = figures["party_grid"]
    assert on_grids["网格党支部"]["numbers"] == [154]
    assert on_grids["党员中心户"]["numbers"] == [377]
    assert on_grids["支部覆盖网格"]["numbers"] == [39, 39]


def test_the_engines_summaries_are_a_fold_of_the_records_and_can_be_recomputed(
    r: redis.Redis, keys: Keys, town_sent: int, engine: Engine, town: Town
) -> None:
    for feed in ("party", "enterprise"):
        assert stored(r, keys, feed) == readings.summary_of(feed, records(r, keys, feed))
    before = {feed: stored(r, keys, feed) for feed in ("party", "enterprise")}
    # Sent again: nothing changes. A firm deregistered: one fewer registered, and no more.
    firms = town_firms(town)
    send(r, keys, "enterprise", EnterpriseFeed(firms).backfill(NOW))
    drain_now(engine)
    assert stored(r, keys, "enterprise") == before["enterprise"]
    big = next(f for f in firms if f.above_scale)
    record = EnterpriseFeed(firms).record(big, NOW) | {"djzt": "注销", "gxsj": "2026-11-26 10:00"}
    send(r, keys, "enterprise", [orjson.dumps([record])])
    drain_now(engine)
    after = stored(r, keys, "enterprise")
    assert after["registration=active"] == before["enterprise"]["registration=active"] - 1
    assert after["above_scale=true|registration=active"] == 168
    assert after["all"] == before["enterprise"]["all"]
    # Summaries lost or kept by another SUMMARIES (an upgrade): the engine's start recomputes.
    assert not resummarise(r, keys)
    r.delete(*r.scan_iter(match=summary_key(keys, "") + "*"))
    r.hset(spec_key(keys), "spec", "older")
    assert resummarise(r, keys)
    assert stored(r, keys, "enterprise") == after
    assert stored(r, keys, "party") == before["party"]


def test_the_wall_reads_the_summaries_not_the_records(
    r: redis.Redis, keys: Keys, town_sent: int, api: TestClient
) -> None:
    metric_bytes = sum(len(v) for v in r.hvals(keys.latest("metric")))
    summary_bytes = sum(
        len(k) + len(v)
        for key in r.scan_iter(match=summary_key(keys, "") + "*")
        for k, v in r.hgetall(key).items()
    )
    assert summary_bytes * 20 < metric_bytes, (summary_bytes, metric_bytes)
    started = time.perf_counter()
    for _ in range(10):
        shown(api)
    each = (time.perf_counter() - started) / 10
    print(f"\n/api/modules over {town_sent:,} records: {1000 * each:.1f} ms a read; "
          f"summaries {summary_bytes:,} bytes, the records {metric_bytes:,}")  # fmt: skip
    assert each < 0.5
