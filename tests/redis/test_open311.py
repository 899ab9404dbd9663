"""Open311 GeoReport v2 against the real Redis: a request becomes a case and is read back."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis
import redis.asyncio as aredis
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from cases.engine import Engine
from core.event import Event
from core.keys import Keys
from core.settings import Settings
from dashboard.open311_api import open311_router
from ingest.feeds.open311 import services
from ingest.sink import RedisSink
from tests.support.pipeline import drain

pytestmark = pytest.mark.redis

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
STREETLIGHT = {
    "service_code": "006",
    "lat": "31.7823",
    "long": "120.3911",
    "address_string": "霞客镇璜塘路与人民路路口",
    "description": "路口东侧两盏路灯晚上不亮",
    "email": "zhang.san@example.cn",
}


def app_for(settings: Settings, client: aredis.Redis) -> FastAPI:
    app = FastAPI()
    app.include_router(open311_router(settings, client))
    return app


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    client = aredis.Redis.from_url(settings.redis_url or "")
    with TestClient(app_for(settings, client)) as test_client:
        yield test_client


def post(api: TestClient, form: dict[str, str], **headers: str) -> httpx.Response:
    return api.post("/open311/v2/requests.json", content=urlencode(form), headers=FORM | headers)


def errors_of(reply: httpx.Response) -> list[str]:
    body: list[dict[str, Any]] = reply.json()
    assert all(e["code"] == reply.status_code for e in body), body
    return [e["description"] for e in body]


def test_service_list_has_every_service_with_the_spec_fields(api: TestClient) -> None:
    reply = api.get("/open311/v2/services.json")
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    listed = {s["service_code"]: s for s in reply.json()}
    assert set(listed) == set(services())
    light = listed["006"]
    assert light["service_name"] == "路灯故障"
    assert (light["metadata"], light["type"]) == (False, "realtime")
    assert set(light) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert api.get("/open311/v2/services/006.json").json() == {
        "service_code": "006",
        "attributes": [],
    }
    assert api.get("/open311/v2/services/777.json").status_code == 404


def test_a_request_becomes_a_case_and_a_resend_is_the_same_one(
    api: TestClient, r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    first = post(api, STREETLIGHT)
    again = post(api, dict(reversed(STREETLIGHT.items())))  # same fields, other order
    assert first.status_code == 201
    [answer] = first.json()
    srid = answer["service_request_id"]
    assert again.json()[0]["service_request_id"] == srid
    assert answer["service_notice"] == services()["006"]["notice"]
    assert answer["account_id"] is None
    drain(engine)
    [one] = api.get(f"/open311/v2/requests/{srid}.json").json()
    assert (one["status"], one["service_code"], one["service_name"]) == ("open", "006", "路灯故障")
    assert (one["lat"], one["long"]) == (31.7823, 120.3911)
    assert one["requested_datetime"].endswith("+08:00")
    assert one["address"] == STREETLIGHT["address_string"]
    assert "email" not in one and "zhang.san" not in str(one)
    case = r.get(keys.case(f"open311:{srid}"))
    assert case is not None and '"version":1' in case


def test_an_idempotency_key_keeps_two_identical_reports_apart(api: TestClient) -> None:
    plain = post(api, STREETLIGHT).json()[0]["service_request_id"]
    keyed = post(api, STREETLIGHT, **{"Idempotency-Key": "app-42"}).json()[0]
    keyed_again = post(api, STREETLIGHT | {"idempotency_key": "app-42"}).json()[0]
    assert keyed["service_request_id"] != plain
    assert keyed_again["service_request_id"] == keyed["service_request_id"]


def test_the_api_key_is_never_stored(api: TestClient, r: redis.Redis, keys: Keys) -> None:
    reply = post(api, STREETLIGHT | {"api_key": "SECRET-KEY-5d1"})
    assert reply.status_code == 201
    assert post(api, STREETLIGHT).json() == reply.json()  # nor does it change the id
    stored = str(r.xrange(keys.events))
    assert "SECRET-KEY-5d1" not in stored
    assert "zhang.san" in stored


@pytest.mark.parametrize(
    ("form", "status", "reason"),
    [
        ({"lat": "31.78", "long": "120.39"}, 400, "missing required field 'service_code'"),
        ({"service_code": "777", "lat": "31.78", "long": "120.39"}, 404, "unknown service_code"),
        ({"service_code": "006"}, 400, "a location is required"),
        ({"service_code": "006", "lat": "31.78"}, 400, "lat and long must both be sent"),
    ],
)
def test_bad_requests_are_spec_errors_and_dead_lettered(
    api: TestClient, r: redis.Redis, keys: Keys, form: dict[str, str], status: int, reason: str
) -> None:
    reply = post(api, form)
    assert reply.status_code == status
    [description] = errors_of(reply)
    assert reason in description
    [(_, dead)] = r.xrange(keys.deadletter)
    assert reason in dead["reason"]
    assert r.xlen(keys.events) == 0


def test_json_is_refused_with_a_spec_error(api: TestClient) -> None:
    reply = api.post("/open311/v2/requests.json", json=STREETLIGHT)
    assert reply.status_code == 400
    assert "x-www-form-urlencoded" in errors_of(reply)[0]


def test_a_form_posted_by_a_page_of_another_origin_is_refused(
    api: TestClient, r: redis.Redis, keys: Keys
) -> None:
    for origin in ("https://evil.example", "null"):
        reply = post(api, STREETLIGHT, origin=origin)
        assert reply.status_code == 403 and "another origin" in errors_of(reply)[0]
    assert r.xlen(keys.events) == r.xlen(keys.deadletter) == 0
    assert post(api, STREETLIGHT, origin="http://testserver").status_code == 201


def test_redis_down_is_a_503_never_a_false_id(settings: Settings) -> None:
    down = aredis.Redis(port=1, socket_connect_timeout=0.5)
    with TestClient(app_for(settings, down)) as client:
        reply = post(client, STREETLIGHT)
    assert reply.status_code == 503
    assert "Redis unreachable" in errors_of(reply)[0]


def close(r: redis.Redis, keys: Keys, srid: str, engine: Engine) -> None:
    """What a department's closing the case does: a closed event for the same request."""
    event = next(
        Event.from_json(fields["e"]) for _, fields in r.xrange(keys.events) if srid in fields["id"]
    )
    later = datetime.now(UTC) + timedelta(seconds=1)
    closed = event.replace(id=f"{event.id}:closed", status="closed")
    RedisSink(keys, 1000).write(r, [closed.replace(received_at=later)])
    drain(engine)


def test_requests_are_filtered_as_the_spec_says(
    api: TestClient, r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    light = post(api, STREETLIGHT).json()[0]["service_request_id"]
    garbage_form = {"service_code": "003", "address_string": "霞客镇东湖村12组"}
    garbage = post(api, garbage_form).json()[0]["service_request_id"]
    drain(engine)
    close(r, keys, garbage, engine)

    def ids(**query: str) -> list[str]:
        reply = api.get("/open311/v2/requests.json", params=query)
        assert reply.status_code == 200, reply.text
        return [req["service_request_id"] for req in reply.json()]

    assert sorted(ids()) == sorted([light, garbage])
    assert ids(status="closed") == [garbage]
    assert ids(status="open") == [light]
    assert sorted(ids(status="open,closed")) == sorted([light, garbage])
    assert ids(service_code="006") == [light]
    assert ids(service_request_id=garbage, status="open") == [garbage]  # ids override
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=tomorrow) == []
    [closed] = api.get(f"/open311/v2/requests/{garbage}.json").json()
    assert closed["status"] == "closed"
    assert closed["updated_datetime"] >= closed["requested_datetime"]
    assert (closed["lat"], closed["long"]) == (None, None)


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"status": "pending"}, "status must be open or closed"),
        ({"start_date": "yesterday"}, "not a W3C date-time"),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
            "at most 90 days",
        ),
    ],
)
def test_bad_queries_are_400s(api: TestClient, query: dict[str, str], reason: str) -> None:
    reply = api.get("/open311/v2/requests.json", params=query)
    assert reply.status_code == 400
    assert reason in errors_of(reply)[0]


def test_an_unknown_request_is_a_404(api: TestClient) -> None:
    reply = api.get("/open311/v2/requests/006-000000000000.json")
    assert reply.status_code == 404
    assert "no service request" in errors_of(reply)[0]


# --- a real GeoReport v2 client over real HTTP ----------------------------------------------


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    """The router served by uvicorn on a free local port; its base URL."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = aredis.Redis.from_url(settings.redis_url or "")
        app.include_router(open311_router(settings, client))
        yield
        await client.aclose()  # in the server's own loop, before it closes

    app = FastAPI(lifespan=lifespan)
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", loop="asyncio", http="h11", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    host, port = sock.getsockname()[:2]
    yield f"http://{host}:{port}/open311/v2"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def test_a_georeport_client_lists_reports_and_follows_a_case(live: str, engine: Engine) -> None:
    georeport = pytest.importorskip("georeport")
    client = georeport.GeoReport(live)
    codes = [s["service_code"] for s in client.get_service_list()]
    assert "006" in codes
    # The library reads only; the POST is the spec's form, sent as the spec shows it.
    reply = httpx.post(f"{live}/requests.json", content=urlencode(STREETLIGHT), headers=FORM)
    srid = reply.json()[0]["service_request_id"]
    drain(engine)
    assert client.get_service_request(srid)["status"] == "open"
    listed = client.get_service_requests(service_code="006", status="open")
    assert [req["service_request_id"] for req in listed] == [srid]


def test_a_configured_token_is_the_spec_api_key(settings: Settings) -> None:
    # The settings' key: read only with access control off (on, the guard decides).
    guarded = settings.model_copy(
        update={"ingest_tokens": {"open311": SecretStr("k-311")}, "access_control": False}
    )
    with TestClient(app_for(guarded, aredis.Redis.from_url(settings.redis_url or ""))) as api:
        missing = post(api, STREETLIGHT)
        wrong = post(api, STREETLIGHT | {"api_key": "nope"})
        right = post(api, STREETLIGHT | {"api_key": "k-311"})
        bearer = post(api, STREETLIGHT, Authorization="Bearer k-311")
        listing = api.get("/open311/v2/services.json")
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "api_key" in errors_of(missing)[0]
    assert (right.status_code, bearer.status_code, listing.status_code) == (201, 201, 200)
