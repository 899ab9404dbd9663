"""A bad day at the intake, over HTTP and a real Redis: implausible times and malformed bodies
are answered 202 or 400 (never 500) and kept as dead letters; dead letters stay within their
byte budget, page under 1 MB and hold no secret."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
import redis.asyncio as aredis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from core.keys import Keys
from core.settings import Settings
from dashboard.api import api_router
from ingest import deadletters
from ingest.adapter import media_types
from ingest.feeds import FEEDS
from ingest.guard import ENTRY_MAX_BYTES, RAW_KEPT_BYTES
from ingest.http import ingest_router
from tests.support.edge import (
    CAP_EARLY,
    CAP_LATE,
    JSON_CASES,
    TimeCase,
    cap_alert,
    governance_csv,
)
from tests.support.urban import urban_record

pytestmark = pytest.mark.redis
URBAN_TOKEN = "urban-token-3f9a7c"  # noqa: S105 - a test credential
OPEN311_KEY = "open311-key-b81e"
BUDGET = 200_000  # bytes: room for 9 dead letters at their largest


@pytest.fixture
def guarded(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "ingest_tokens": {"urban": SecretStr(URBAN_TOKEN), "open311": SecretStr(OPEN311_KEY)},
            "deadletter_budget_bytes": BUDGET,
            "access_control": False,  # the settings' tokens are read only with it off
        }
    )


@pytest.fixture
def client(guarded: Settings, r: redis.Redis, keys: Keys) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(ingest_router(guarded, aredis.Redis.from_url(guarded.redis_url or "")))
    app.include_router(api_router(r, keys, wait_s=1))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def post(client: TestClient, feed: str, body: bytes) -> Any:
    headers = {"content-type": media_types(FEEDS[feed])[0]}
    if feed == "urban":
        headers["authorization"] = f"Bearer {URBAN_TOKEN}"
    return client.post(f"/api/ingest/{feed}", content=body, headers=headers)


@pytest.mark.parametrize("case", JSON_CASES, ids=lambda c: c.id)
def test_dates_9999_and_0001_are_answered_202_and_dead_lettered(
    client: TestClient, r: redis.Redis, keys: Keys, case: TimeCase
) -> None:
    reply = post(client, case.feed, case.body())
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert (body["accepted"], body["deadlettered"]) == (1, 2)
    assert [e["index"] for e in body["errors"]] == [1, 2]
    assert all("out of range" in e["reason"] for e in body["errors"])
    assert r.xlen(keys.events) == 1
    stored = [fields["reason"] for _, fields in r.xrange(keys.deadletter)]
    assert len(stored) == 2 and all("out of range" in reason for reason in stored)


def test_a_governance_file_with_a_bad_row_keeps_its_good_rows(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    body = governance_csv(
        "2026/11/28 9:05", "9999/12/31 23:59:59", "0001/01/01 0:00", "2026/11/28 9:06"
    )
    reply = post(client, "governance", body)
    assert reply.status_code == 202
    assert (reply.json()["accepted"], reply.json()["deadlettered"]) == (2, 2)
    assert r.xlen(keys.events) == 2


@pytest.mark.parametrize("sent", [CAP_LATE, CAP_EARLY])
def test_a_cap_alert_sent_in_9999_or_0001_is_kept_as_a_dead_letter(
    client: TestClient, r: redis.Redis, keys: Keys, sent: str
) -> None:
    reply = post(client, "cap", cap_alert(sent))
    assert reply.status_code == 202, reply.text
    assert reply.json()["accepted"] == 0 and reply.json()["deadlettered"] >= 1
    assert r.xlen(keys.events) == 0


@pytest.mark.parametrize(
    "body",
    [b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000],
    ids=["arrays", "objects"],
)
def test_json_nested_1000_deep_is_a_400(
    client: TestClient, r: redis.Redis, keys: Keys, body: bytes
) -> None:
    reply = post(client, "environment", body)
    assert reply.status_code == 400
    assert "nested too deeply" in reply.json()["detail"]
    assert r.xlen(keys.deadletter) == 1


def test_a_csv_cell_over_the_field_limit_is_a_dead_letter(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    header, row = governance_csv("2026/11/28 9:05").decode("gbk").splitlines()
    huge = row.replace("ZZ1", "ZZ2").replace("争执", "长" * 200_000)
    reply = post(client, "governance", f"{header}\n{row}\n{huge}\n".encode())
    assert reply.status_code == 202
    assert reply.json()["errors"][0]["reason"].startswith("line 3: unreadable CSV")
    [(_, dead)] = r.xrange(keys.deadletter)
    assert dead["truncated"] == "1"
    assert len(dead["raw"].encode()) <= RAW_KEPT_BYTES < int(dead["raw_bytes"])


def secret_body(n: int, size: int) -> bytes:
    """An unparseable JSON body of ``size`` bytes: secrets near its head, then an invalid byte."""
    head = (
        f'{{"n": {n}, "api_key": "{OPEN311_KEY}", "password": "hunter2-{n}", '
        f'"note": "Authorization: Bearer {URBAN_TOKEN}", "token": "tok-{n}", '
        f'"raw": "form api_key={OPEN311_KEY}&passwd=pw{n}", "pad": "'
    ).encode()
    return head + b"\xff" + b"a" * (size - len(head) - 1)


def test_twenty_large_unparseable_bodies_stay_within_budget_page_under_1mb_and_keep_no_secret(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    size = 4_900_000
    for n in range(20):
        reply = post(client, "urban", secret_body(n, size))
        assert reply.status_code == 400, reply.text
    kept = r.xrange(keys.deadletter)
    assert len(kept) == BUDGET // ENTRY_MAX_BYTES, "the oldest are trimmed to the budget"
    stored = sum(len(k.encode()) + len(v.encode()) for _, f in kept for k, v in f.items())
    assert stored <= BUDGET
    assert r.memory_usage(keys.deadletter) <= BUDGET * 1.1, "Redis's own overhead is small"
    secrets = [URBAN_TOKEN, OPEN311_KEY, "hunter2", "tok-", "pw1"]
    for _, fields in kept:
        # The length and hash are of the payload as stored whole: redacted, bad bytes replaced.
        assert fields["truncated"] == "1" and size - 200 < int(fields["raw_bytes"]) < size + 200
        assert len(fields["raw_sha256"]) == 64
        assert not [s for s in secrets for v in fields.values() if s in v], fields["raw"][:300]
    first = kept[0][1]["raw"]
    assert '"api_key": "[redacted]"' in first and "Bearer [redacted]" in first
    assert r.hlen(keys.deadletter_counts) == 1
    assert int(r.hget(keys.deadletter_counts, "urban\tbody is not valid utf-8") or 0) == 20

    pages, before = [], None
    while True:
        reply = client.get(
            "/api/deadletters", params={"limit": 500, **({"before": before} if before else {})}
        )
        assert reply.status_code == 200
        assert len(reply.content) <= 1_000_000
        pages.append(reply.json())
        before = reply.json()["next"]
        if before is None:
            break
    entries = [letter["entry"] for page in pages for letter in page["recent"]]
    assert entries == [i for i, _ in reversed(kept)], "every letter once, newest first"
    assert pages[0]["counts"] == [
        {"feed": "urban", "reason": "body is not valid utf-8", "count": 20}
    ]


def test_a_page_is_cut_by_size_and_the_cursor_goes_on(r: redis.Redis, keys: Keys) -> None:
    for n in range(12):
        r.xadd(keys.deadletter, {"feed": "urban", "reason": "x", "raw": str(n % 10) * 10_000})
    found, following = deadletters.page(r, keys, limit=5)
    assert len(found) == 5 and following == found[-1]["entry"]
    small, cut = deadletters.page(r, keys, limit=50, max_bytes=35_000)
    assert len(small) == 3 and cut == small[-1]["entry"], "three of 10 kB fit in 35 kB"
    rest, end = deadletters.page(r, keys, limit=50, before=cut)
    assert len(rest) == 9 and end is None
    assert [f["raw"][0] for f in small + rest] == [str(n % 10) for n in range(11, -1, -1)]
    [one], _ = deadletters.page(r, keys, limit=50, max_bytes=10)
    assert one["entry"] == small[0]["entry"], "a page holds at least one letter"
    urban = deadletters.page(r, keys, feed="water")
    assert urban == ([], None)
    assert deadletters.page(r, keys, before="0-0") == ([], None), "nothing is older than 0-0"


def test_a_long_reason_is_capped_and_the_raw_hash_is_of_what_is_kept(
    client: TestClient, r: redis.Redis, keys: Keys
) -> None:
    record = urban_record(1, sbsj="2026-11-28 " + "9" * 5_000)
    reply = post(client, "urban", orjson.dumps(record))
    assert reply.status_code == 202
    assert len(reply.json()["errors"][0]["reason"]) <= 1000
    [(_, dead)] = r.xrange(keys.deadletter)
    assert len(dead["reason"]) <= 1000
    assert dead["truncated"] == "0"
    assert dead["raw_sha256"] == hashlib.sha256(dead["raw"].encode()).hexdigest()
    assert int(dead["raw_bytes"]) == len(dead["raw"].encode())
