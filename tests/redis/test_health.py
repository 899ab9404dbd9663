"""The centre says what is down: the engine's heartbeat and the supervisor's children, read by
`/healthz` (200 `degraded` with the notices while Redis answers) and by the wall."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases.group import beat
from core import children
from core.children import ChildState
from core.keys import ENGINE_GROUP, Keys
from core.settings import Settings
from dashboard import health
from dashboard.api import api_router
from dashboard.health import notices

pytestmark = pytest.mark.redis


@pytest.fixture(autouse=True)
def _process_checks_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the checks of the processes: the others (the calendar's end, Redis memory)
    depend on today's date and the machine, and have tests of their own."""
    monkeypatch.setattr(health, "CHECKS", [health.engine_stopped, health.children_down])


def codes(r: redis.Redis, keys: Keys, settings: Settings) -> list[str]:
    return [n.code for n in notices(r, keys, settings, datetime.now(UTC))]


def test_no_engine_heartbeat_is_a_critical_notice_whatever_the_consumers_name(
    r: redis.Redis, keys: Keys, settings: Settings
) -> None:
    assert codes(r, keys, settings) == ["engine-stopped"]
    beat(r, keys, settings.engine_consumer)
    assert codes(r, keys, settings) == []
    r.delete(keys.heartbeat(settings.engine_consumer))
    # An engine under another name: it is a consumer of the group, with its own heartbeat.
    r.xgroup_create(keys.events, ENGINE_GROUP, id="0", mkstream=True)
    r.xgroup_createconsumer(keys.events, ENGINE_GROUP, "engine-7")
    assert codes(r, keys, settings) == ["engine-stopped"]
    beat(r, keys, "engine-7")
    assert codes(r, keys, settings) == []


def test_a_child_down_is_named_and_the_states_expire_without_a_supervisor(
    r: redis.Redis, keys: Keys, settings: Settings
) -> None:
    beat(r, keys, settings.engine_consumer)
    states = [ChildState("wall", "running", pid=42), ChildState("simulator", "down", 5, 3)]
    children.publish(r, keys, states)
    assert children.read(r, keys) == sorted(states, key=lambda s: s.name)
    [down] = notices(r, keys, settings, datetime.now(UTC))
    assert (down.code, down.level, down.params["child"]) == ("child-down", "critical", "simulator")
    assert 0 < r.pttl(keys.supervisor) <= children.STATE_TTL_MS
    r.hset(keys.supervisor, "odd", "not json")
    assert children.read(r, keys)[0] == ChildState("odd", "down")  # never read as running


def test_healthz_is_200_degraded_with_the_notices_and_ok_once_all_is_well(
    r: redis.Redis, keys: Keys, settings: Settings
) -> None:
    app = FastAPI()
    app.include_router(api_router(r, keys, settings=settings))
    client = TestClient(app)
    children.publish(r, keys, [ChildState("drop-folders", "down", 5, 1)])
    reply = client.get("/healthz")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["redis"]) == ("degraded", "ok")
    assert [(n["code"], n.get("child")) for n in body["notices"]] == [
        ("engine-stopped", None), ("child-down", "drop-folders")
    ]  # fmt: skip
    assert settings.redis_url and "127.0.0.1" not in reply.text  # no host named
    beat(r, keys, settings.engine_consumer)
    children.publish(r, keys, [ChildState("drop-folders", "running")])
    assert client.get("/healthz").json() == {"status": "ok", "redis": "ok", "notices": []}
