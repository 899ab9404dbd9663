"""GET /metrics on the whole web app over the real Redis: it parses, and its figures move."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from core.keys import ENGINE_GROUP, Keys
from core.settings import Settings
from dashboard import health
from tests.support.access import LOCAL, bearer, signed, token
from tests.support.urban import urban_record
from towncc.embedded import EmbeddedRedis
from towncc.server import build

pytestmark = pytest.mark.redis

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
STREETLIGHT = {"service_code": "006", "lat": "31.7823", "long": "120.3911", "description": "灯不亮"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    """Every sample of /metrics by (name, sorted labels); the text must parse."""
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@contextmanager
def admin_client(settings: Settings) -> Iterator[TestClient]:
    """The web app, called as an admin (who may read /metrics)."""
    with TestClient(build(settings).server, base_url=LOCAL) as test_client:
        yield signed(test_client, settings, "admin")


def feed(settings: Settings, name: str) -> dict[str, str]:
    """The headers of a sender of that feed."""
    return bearer(token(settings.redis_url or "", Keys(settings.key_prefix), "feed", feed=name))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with admin_client(settings) as test_client:
        yield test_client


def test_counters_move_as_records_are_sent(client: TestClient, settings: Settings) -> None:
    before = scrape(client)
    assert value(before, "towncc_redis_up") == 1
    urban = feed(settings, "urban")
    good = client.post("/api/ingest/urban", json=[urban_record(1), urban_record(2)], headers=urban)
    bad = client.post("/api/ingest/urban", json=[{k: v for k, v in urban_record(3).items()
                                                  if k != "sbsj"}], headers=urban)  # fmt: skip
    form = {**FORM, **feed(settings, "open311")}
    open311 = client.post("/open311/v2/requests.json", content=urlencode(STREETLIGHT), headers=form)
    assert (good.status_code, bad.status_code, open311.status_code) == (202, 202, 201)
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("towncc_feed_records_total", feed="urban") == 2
    assert moved("towncc_feed_dead_letters_total", feed="urban") == 1
    assert moved("towncc_feed_records_total", feed="open311") == 1
    assert moved("towncc_intake_seconds_count", feed="urban") == 2  # two requests
    assert moved("towncc_intake_seconds_count", feed="open311") == 1
    assert value(after, "towncc_intake_seconds_bucket", feed="urban", le="+Inf") == 2
    assert moved("towncc_stream_entries", stream="events") == 3
    assert moved("towncc_stream_entries", stream="deadletter") == 1
    assert value(after, "towncc_redis_memory_used_bytes") > 0
    assert value(after, "towncc_redis_maxmemory_bytes") == 2 * 1024**3  # the embedded default


def test_engine_lag_pending_and_quarantine_are_read_from_redis(
    client: TestClient, r: redis.Redis, keys: Keys, settings: Settings
) -> None:
    records = [urban_record(n) for n in range(5)]
    assert client.post(
        "/api/ingest/urban", json=records, headers=feed(settings, "urban")
    ).is_success
    assert value(scrape(client), "towncc_engine_lag_entries", stream="events") == 0  # no group
    r.xgroup_create(keys.events, ENGINE_GROUP, id="0")
    r.xreadgroup(ENGINE_GROUP, "engine-1", {keys.events: ">"}, count=2)
    r.xadd(keys.quarantine, {"entry": "1-0", "error": "boom"})
    samples = scrape(client)
    assert value(samples, "towncc_engine_pending_entries", stream="events") == 2
    assert value(samples, "towncc_engine_lag_entries", stream="events") == 3
    assert value(samples, "towncc_engine_lag_seconds", stream="events") >= 0
    assert value(samples, "towncc_quarantined_entries") == 1
    r.xreadgroup(ENGINE_GROUP, "engine-1", {keys.events: ">"})
    caught_up = scrape(client)
    assert value(caught_up, "towncc_engine_lag_entries", stream="events") == 0
    assert value(caught_up, "towncc_engine_lag_seconds", stream="events") == 0
    assert value(caught_up, "towncc_engine_pending_entries", stream="events") == 5


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, to stop or fill (never the session's)."""
    server = EmbeddedRedis(tmp_path / "redis", appendonly=False).start()
    yield server
    server.stop()
    assert server.process is not None and server.process.poll() is not None


def test_with_redis_stopped_metrics_still_answers_with_redis_up_0(
    private_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    settings = Settings(REDIS_URL=private_redis.url, key_prefix="m:", data_dir=tmp_path)
    with admin_client(settings) as client:
        assert value(scrape(client), "towncc_redis_up") == 1
        private_redis.stop()
        down = scrape(client)
        assert value(down, "towncc_redis_up") == 0
        assert ("towncc_walls_connected", ()) in down  # the process's own figures stay
        private_redis.start()  # without its data (no append-only file): a new admin token
        assert value(scrape(signed(client, settings, "admin")), "towncc_redis_up") == 1


def test_a_full_redis_refuses_writes_and_the_intake_spools_until_there_is_room(
    private_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    settings = Settings(REDIS_URL=private_redis.url, key_prefix="m:", data_dir=tmp_path)
    r = redis.Redis.from_url(private_redis.url, decode_responses=True)
    with admin_client(settings) as client:
        urban = feed(settings, "urban")  # made while there is room
        # Well below what is used (the figure moves by a few KB as clients come and go).
        r.config_set("maxmemory", str(int(r.info("memory")["used_memory"]) // 2))
        records = [urban_record(1), urban_record(2)]
        reply = client.post("/api/ingest/urban", json=records, headers=urban)
        assert reply.status_code == 202 and reply.json()["accepted"] == 2  # kept on disk
        assert r.xlen("m:events") == 0
        r.config_set("maxmemory", str(2 * 1024**3))
        deadline = time.monotonic() + 10
        while r.xlen("m:events") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the intake drains its spool every second
    assert r.xlen("m:events") == 2
    r.close()


def test_redis_near_its_limit_is_a_notice_and_a_metric(
    private_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    settings = Settings(REDIS_URL=private_redis.url, key_prefix="m:", data_dir=tmp_path)
    r = redis.Redis.from_url(private_redis.url, decode_responses=True)
    now = datetime.now(UTC)

    def memory_notices() -> list[tuple[str, str]]:
        found = health.notices(r, Keys("m:"), settings, now)
        return [(n.code, n.level) for n in found if n.code.startswith("redis-")]

    assert r.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    assert memory_notices() == []
    admin = bearer(token(private_redis.url, Keys("m:"), "admin"))  # while there is room
    used = int(r.info("memory")["used_memory"])
    r.config_set("maxmemory", str(int(used / 0.875)))  # about 87 %: a warning
    assert memory_notices() == [("redis-memory", "warning")]
    r.config_set("maxmemory", str(used // 2))  # over full: writes are refused from now on
    assert memory_notices() == [("redis-memory", "critical")]
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        r.set("m:more", "x" * 10_000)
    r.config_set("maxmemory-policy", "volatile-lru")  # it may evict: keys with an expiry
    assert ("redis-evicts", "warning") in memory_notices()
    with TestClient(build(settings).server, base_url=LOCAL, headers=admin) as client:
        samples = scrape(client)
    assert value(samples, "towncc_notice", code="redis-memory", level="critical") == 1
    assert value(samples, "towncc_notice", code="redis-evicts", level="warning") == 1
    r.close()
