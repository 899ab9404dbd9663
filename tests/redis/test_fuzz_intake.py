"""Fuzzing every feed's HTTP intake: random and mutated payloads never crash it (no 5xx), and
what it reports as accepted and dead-lettered is exactly what reached the streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
import redis.asyncio as aredis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.keys import Keys
from core.settings import Settings
from ingest.adapter import media_types
from ingest.feeds import FEEDS
from ingest.http import ingest_router
from tests.support.fixtures import fixtures

pytestmark = pytest.mark.redis
GOOD = {feed: [p.read_bytes() for f, p in fixtures("good") if f == feed] for feed in FEEDS}


@pytest.fixture(scope="module")
def intake(
    redis_server: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, redis.Redis, Keys]]:
    url = redis_server.url
    config = Settings(REDIS_URL=url, key_prefix="fuzz:", data_dir=tmp_path_factory.mktemp("fuzz"))
    app = FastAPI()
    app.include_router(ingest_router(config, aredis.Redis.from_url(url)))
    client = redis.Redis.from_url(url)
    with TestClient(app) as test_client:
        yield test_client, client, Keys(config.key_prefix)
    client.close()


@st.composite
def mutated(draw: st.DrawFn, feed: str) -> bytes:
    """A good fixture with a few bytes flipped, cut out or inserted; or random bytes."""
    seeds = GOOD[feed]
    if not seeds or draw(st.booleans()):
        return draw(st.binary(max_size=2000))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
    return bytes(data)


def lengths(client: redis.Redis, keys: Keys) -> tuple[int, int]:
    return client.xlen(keys.events), client.xlen(keys.deadletter)


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_no_payload_crashes_the_intake_or_goes_unaccounted(
    feed: str, intake: tuple[TestClient, redis.Redis, Keys]
) -> None:
    test_client, client, keys = intake

    @hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=mutated(feed))
    def check(body: bytes) -> None:
        before = lengths(client, keys)
        kind = {"content-type": media_types(FEEDS[feed])[0]}
        reply = test_client.post(f"/api/ingest/{feed}", content=body, headers=kind)
        assert reply.status_code in (202, 400), reply.text
        answer = reply.json()
        after = lengths(client, keys)
        assert answer["accepted"] == after[0] - before[0]
        assert answer["deadlettered"] == after[1] - before[1]
        assert (
            answer["accepted"] + answer["deadlettered"]
            == len(answer["errors"]) + answer["accepted"]
        )

    check()
