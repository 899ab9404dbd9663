"""Redis stops under the whole web app: every API route answers 503 with Retry-After and names
no host; the intake (Open311 included) spools, and once Redis is back each request becomes
exactly one case."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from ingest.feeds import FEEDS
from tests.support.access import LOCAL, bearer, token
from tests.support.pipeline import drain_now
from tests.support.urban import urban_record
from towncc.embedded import EmbeddedRedis
from towncc.server import build

pytestmark = pytest.mark.redis

PREFIXES = ("/api/", "/open311/v2/", "/healthz")
# Routes that need no Redis to answer, and the intake, which spools while Redis is away.
OTHER_FEEDS = tuple(f"/api/ingest/{feed}" for feed in FEEDS if feed != "urban")
WITHOUT_REDIS = {
    ("get", "/open311/v2/services.json"): 200,
    ("get", "/open311/v2/services/{service_code}.json"): 200,
    ("post", "/api/ingest/urban"): 202,
    ("post", "/open311/v2/requests.json"): 201,
}
PATH_VALUES = {
    "case_id": "urban:T-000001",
    "command_id": "1-0",
    "feed": "urban",
    "service_code": "006",
    "service_request_id": "006-000000000000",
    "village": "XXK-01",
    "incident_id": "INC-20261207-0001",
}
FORM = {"content-type": "application/x-www-form-urlencoded"}
STREETLIGHT = {"service_code": "006", "lat": "31.7823", "long": "120.3911",
               "description": "路口东侧两盏路灯晚上不亮"}  # fmt: skip


@pytest.fixture
def app_settings(durable_redis: EmbeddedRedis, tmp_path: Path) -> Settings:
    # Every body goes to a worker process, whose failed write the web process spools.
    return Settings(
        REDIS_URL=durable_redis.url,
        key_prefix="down:",
        data_dir=tmp_path / "data",
        parse_processes=1,
        parse_inline_bytes=0,
    )


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(
        build(app_settings).server, base_url=LOCAL, raise_server_exceptions=False
    ) as test_client:
        yield test_client


@pytest.fixture
def callers(app_settings: Settings, client: TestClient) -> dict[str, dict[str, str]]:
    """A caller for each kind of route, each seen by the server once while Redis was up (so
    that it still knows them when Redis is away)."""
    url, keys = app_settings.redis_url or "", Keys(app_settings.key_prefix)
    made = {role: bearer(token(url, keys, role)) for role in ("admin", "duty", "handler", "leader")}
    made["sms"] = bearer(token(url, keys, "feed", feed="sms"))
    made["urban"] = bearer(token(url, keys, "feed", feed="urban"))
    made["open311"] = bearer(token(url, keys, "feed", feed="open311"))
    for headers in made.values():
        client.get("/api/counts", headers=headers)
    return made


def send(
    client: TestClient, callers: dict[str, dict[str, str]], method: str, path: str
) -> httpx.Response:
    """One request to a route of the OpenAPI document, with a body it accepts, by a caller
    the route lets in."""
    url = path.format(**PATH_VALUES)
    if path == "/api/ingest/urban":
        return client.post(url, json=urban_record(1), headers=callers["urban"])
    if path == "/open311/v2/requests.json" and method == "post":
        form = {**FORM, **callers["open311"]}
        return client.post(url, content=urlencode(STREETLIGHT), headers=form)
    if path.endswith("/actions"):
        return client.post(url, json={"action": "accept"}, headers=callers["handler"])
    if path == "/api/incidents" and method == "post":
        body = {"title": "测试", "shape": "point", "point": [120.40, 31.78], "radius_m": 1000}
        return client.post(url, json=body, headers=callers["leader"])
    if path.endswith("/end"):
        return client.post(url, json={}, headers=callers["leader"])
    if path == "/api/notices/reply":
        reply = {"phone": "10005106817", "text": "1234"}
        return client.post(url, json=reply, headers=callers["sms"])
    caller = callers["duty" if path.startswith("/api/commands") else "admin"]
    return client.request(method.upper(), url, headers=caller)


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = client.get("/openapi.json").json()["paths"]
    for path, methods in paths.items():  # the document says so too
        assert all("503" in m["responses"] for m in methods.values()), path
    return [
        (method, path)
        for path, methods in paths.items()
        # One feed's intake stands for all: they are one handler (ingest/http.py).
        if path.startswith(PREFIXES) and not path.startswith(OTHER_FEEDS)
        for method in methods
    ]


def test_every_api_route_is_503_with_retry_after_and_spooled_intake_becomes_one_case(
    client: TestClient,
    callers: dict[str, dict[str, str]],
    durable_redis: EmbeddedRedis,
    geography: Geography,
) -> None:
    routes = api_routes(client)
    assert len(routes) >= 12, routes
    durable_redis.stop()
    answered = {route: send(client, callers, *route) for route in routes}

    for (method, path), reply in answered.items():
        expected = WITHOUT_REDIS.get((method, path), 503)
        assert reply.status_code == expected, (method, path, reply.text)
        assert "127.0.0.1" not in reply.text and str(durable_redis.port) not in reply.text
        if expected == 503:
            assert int(reply.headers["retry-after"]) > 0, (method, path)
    assert answered["post", "/api/ingest/urban"].json()["spooled"] is True
    [created] = answered["post", "/open311/v2/requests.json"].json()
    srid = created["service_request_id"]
    [description] = answered["get", "/open311/v2/requests.json"].json()
    assert description["code"] == 503  # the spec's error format, from the app's one handler

    durable_redis.restart()
    r = redis.Redis.from_url(durable_redis.url, decode_responses=True)
    keys = Keys("down:")
    deadline = time.monotonic() + 30
    while r.xlen(keys.events) < 2 and time.monotonic() < deadline:  # the spool drains
        time.sleep(0.05)
    form = {**FORM, **callers["open311"]}
    again = client.post("/open311/v2/requests.json", content=urlencode(STREETLIGHT), headers=form)
    assert again.json()[0]["service_request_id"] == srid  # a client's retry is the same request

    engine = Engine(r, keys, geography, batch=200)
    engine.ensure_group()
    drain_now(engine)
    ids = sorted(r.zrange(keys.all_cases, 0, -1))
    assert ids == sorted([f"open311:{srid}", "urban:T-000001"])  # nothing lost, nothing doubled
    [one] = client.get(f"/open311/v2/requests/{srid}.json", headers=callers["admin"]).json()
    assert one["status"] == "open"
    r.close()
