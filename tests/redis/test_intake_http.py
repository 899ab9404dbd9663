"""POST /api/ingest/<feed>: each record is stored or dead-lettered with its reason."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import redis
import redis.asyncio as aredis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from core.keys import Keys
from core.settings import Settings
from ingest.adapter import media_types
from ingest.feeds import FEEDS
from ingest.http import ingest_router
from ingest.spool import Spool
from tests.support.urban import urban_record
from towncc.embedded import free_port

pytestmark = pytest.mark.redis
JSON = {"content-type": "application/json"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(ingest_router(settings, aredis.Redis.from_url(settings.redis_url or "")))
    with TestClient(app) as test_client:
        yield test_client


def dead_letters(r: redis.Redis, keys: Keys) -> list[dict[str, str]]:
    return [fields for _, fields in r.xrange(keys.deadletter)]


def test_one_record_and_an_array_are_accepted(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    one = client.post("/api/ingest/urban", json=urban_record(1))
    many = client.post("/api/ingest/urban", json=[urban_record(2), urban_record(3)])
    assert (one.status_code, one.json()) == (202, {"accepted": 1, "deadlettered": 0, "errors": []})
    assert many.json()["accepted"] == 2
    assert r.xlen(keys.events) == 3


def test_malformed_json_is_a_400_and_kept(client: TestClient, r: redis.Redis, keys: Keys) -> None:
    reply = client.post(
        "/api/ingest/urban", content=b'{"ajbh": "X", ', headers={"content-type": "application/json"}
    )
    assert reply.status_code == 400
    assert "malformed JSON" in reply.json()["detail"]
    [dead] = dead_letters(r, keys)
    assert dead["raw"] == '{"ajbh": "X", '
    assert "malformed JSON" in dead["reason"]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            {k: v for k, v in urban_record(1).items() if k != "sbsj"},
            "missing required field 'sbsj'",
        ),
        (urban_record(1, zbxt="Xian80"), "unknown coordinate system 'Xian80'"),
    ],
)
def test_bad_records_are_answered_and_dead_lettered(
    client: TestClient, r: redis.Redis, keys: Keys, record: dict[str, object], reason: str
) -> None:
    reply = client.post("/api/ingest/urban", json=[urban_record(9), record])
    assert reply.status_code == 202
    body = reply.json()
    assert (body["accepted"], body["deadlettered"]) == (1, 1)
    assert reason in body["errors"][0]["reason"]
    assert body["errors"][0] == {
        "index": 1,
        "source_id": "T-000001",
        "reason": body["errors"][0]["reason"],
    }
    [dead] = dead_letters(r, keys)
    assert orjson.loads(dead["raw"]) == record
    assert reason in dead["reason"]
    assert dead["feed"] == "urban"
    assert r.xlen(keys.events) == 1


def test_accepted_plus_dead_lettered_is_what_was_sent(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    batch = [urban_record(n) for n in range(5)] + [
        {"ajbh": "bad"},
        [],
        "x",
        urban_record(5, zby=99.0),
    ]
    body = client.post("/api/ingest/urban", json=batch).json()
    assert body["accepted"] + body["deadlettered"] == len(batch)
    assert r.xlen(keys.events) + r.xlen(keys.deadletter) == len(batch)


def test_unknown_feed_and_oversized_body(client: TestClient, settings: Settings) -> None:
    assert client.post("/api/ingest/nosuch", json={}).status_code == 404
    big = b"[" + b" " * settings.max_body_bytes + b"]"
    assert client.post("/api/ingest/urban", content=big, headers=JSON).status_code == 413


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_a_body_not_sent_as_what_its_feed_reads_is_refused_and_nothing_is_kept(
    client: TestClient, r: redis.Redis, keys: Keys, feed: str
) -> None:
    body = orjson.dumps(urban_record(1))
    # text/plain (what any web page may send to another site unasked), a form, no type.
    for headers in ({"content-type": "text/plain"}, {"content-type": "text/plain; charset=utf-8"},
                    {"content-type": "application/x-www-form-urlencoded"} if feed != "open311"
                    else {"content-type": "application/json"}, {}):  # fmt: skip
        reply = client.post(f"/api/ingest/{feed}", content=body, headers=headers)
        assert reply.status_code == 415, (headers, reply.text)
        assert media_types(FEEDS[feed])[0] in reply.json()["detail"]
    assert r.xlen(keys.events) == r.xlen(keys.deadletter) == 0
    kind = media_types(FEEDS[feed])[0].upper() + "; charset=UTF-8"  # case and parameters: fine
    assert client.post(f"/api/ingest/{feed}", content=body, headers={"content-type": kind})\
        .status_code in (202, 400)  # fmt: skip


def test_a_post_from_a_page_of_another_origin_is_refused_one_of_this_origin_is_not(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    record = urban_record(1)
    for origin in ("https://evil.example", "null", "http://testserver.evil.example"):
        reply = client.post("/api/ingest/urban", json=record, headers={"origin": origin})
        assert reply.status_code == 403, (origin, reply.text)
    assert r.xlen(keys.events) == r.xlen(keys.deadletter) == 0
    same = client.post("/api/ingest/urban", json=record, headers={"origin": "http://testserver"})
    assert same.status_code == 202 and r.xlen(keys.events) == 1


def down_client(settings: Settings) -> TestClient:
    app = FastAPI()
    unreachable = aredis.Redis(port=free_port(), socket_connect_timeout=0.5, retry=None)
    app.include_router(ingest_router(settings, unreachable))
    return TestClient(app)


def test_redis_down_spools_durably_and_says_so(settings: Settings) -> None:
    with down_client(settings) as test_client:
        reply = test_client.post("/api/ingest/urban", json=[urban_record(1), {"bad": 1}])
    assert reply.status_code == 202
    assert reply.json()["spooled"] is True
    assert (reply.json()["accepted"], reply.json()["deadlettered"]) == (1, 1)
    [spool_file] = (settings.data_dir / "spool").glob("entries-*.jsonl")
    assert len(spool_file.read_text().splitlines()) == 2


def test_redis_down_and_no_spool_is_a_503_never_a_false_202(settings: Settings) -> None:
    owner = Spool(settings.data_dir / "spool")  # another process owns the spool folder
    try:
        with down_client(settings) as test_client:
            reply = test_client.post("/api/ingest/urban", json=urban_record(1))
    finally:
        owner.close()
    assert reply.status_code == 503
    assert "Redis unreachable" in reply.json()["detail"]


def test_a_feed_with_a_token_needs_it(settings: Settings, r: redis.Redis, keys: Keys) -> None:
    # The settings' tokens: read only with access control off (on, the guard decides).
    guarded = settings.model_copy(
        update={"ingest_tokens": {"urban": SecretStr("s3cret")}, "access_control": False}
    )
    app = FastAPI()
    app.include_router(ingest_router(guarded, aredis.Redis.from_url(settings.redis_url or "")))
    with TestClient(app) as test_client:
        missing = test_client.post("/api/ingest/urban", json=urban_record(1))
        wrong = test_client.post(
            "/api/ingest/urban", json=urban_record(1), headers={"Authorization": "Bearer nope"}
        )
        right = test_client.post(
            "/api/ingest/urban", json=urban_record(1), headers={"Authorization": "Bearer s3cret"}
        )
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 202)
    assert "needs its token" in missing.json()["detail"]
    assert "s3cret" not in missing.text
    assert r.xlen(keys.events) == 1
