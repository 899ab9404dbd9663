"""Redis stops in the middle of a 5,000-record push: every record reaches the stream, in order,
once — HTTP intake spools to disk while Redis is away and drains when it is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from core.keys import Keys
from tests.support.access import bearer, token
from tests.support.system import running_serve
from tests.support.urban import urban_record
from towncc.embedded import EmbeddedRedis

pytestmark = pytest.mark.redis
RECORDS, BATCH = 5_000, 50
STOP_AT, START_AT = 1_500, 3_500


@pytest.fixture
def serve(durable_redis: EmbeddedRedis, tmp_path: Path) -> Iterator[str]:
    with running_serve(durable_redis.url, tmp_path / "data", TOWNCC_KEY_PREFIX="outage:") as (
        _,
        base,
    ):
        yield base


def test_a_redis_outage_mid_push_loses_and_repeats_nothing(
    serve: str, durable_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    keys = Keys("outage:")
    spooled = 0
    # The sender's token was seen before Redis went away: the server still knows it then.
    sender = bearer(token(durable_redis.url, keys, "feed", feed="urban"))
    with httpx.Client(base_url=serve, timeout=30, headers=sender) as client:
        for first in range(0, RECORDS, BATCH):
            if first == STOP_AT:
                durable_redis.stop()
            if first == START_AT:
                durable_redis.restart()
            reply = client.post(
                "/api/ingest/urban", json=[urban_record(n) for n in range(first, first + BATCH)]
            )
            assert reply.status_code == 202, reply.text
            assert reply.json()["accepted"] == BATCH
            spooled += bool(reply.json().get("spooled"))
    assert spooled >= (START_AT - STOP_AT) // BATCH, "the outage must have been spooled"

    r = redis.Redis.from_url(durable_redis.url)
    deadline = time.monotonic() + 60
    while r.xlen(keys.events) < RECORDS and time.monotonic() < deadline:
        time.sleep(0.1)
    sources = [orjson.loads(fields[b"e"])["source_id"] for _, fields in r.xrange(keys.events)]
    assert sources == [f"T-{n:06d}" for n in range(RECORDS)]  # all, in order, none twice
    assert list((tmp_path / "data" / "spool").glob("entries-*.jsonl")) == []
