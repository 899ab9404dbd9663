"""Through the intake and the wall's reads: a body sent with `X-Towncc-Simulated: 1` puts the
wall in demo (its page load and its push say 演示数据); real feeds, without the header, never
do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import redis
import redis.asyncio as aredis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.keys import Keys
from core.settings import Settings
from dashboard import live
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from dashboard.pages.wall import read_simulated
from ingest.freshness import SIMULATED_HEADER, SIMULATED_WINDOW_S
from ingest.http import ingest_router
from layers.town import Town
from tests.support.aio import run_apart
from tests.support.urban import urban_record

pytestmark = pytest.mark.redis


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(ingest_router(settings, aredis.Redis.from_url(settings.redis_url or "")))
    with TestClient(app) as test_client:
        yield test_client


def wall_says(settings: Settings, keys: Keys, r: redis.Redis, town: Town) -> tuple[bool, bool]:
    """(the page load's mark, the push's) as the wall reads them now."""

    async def pushed() -> bool:
        ar = aredis.Redis.from_url(settings.redis_url or "", decode_responses=True)
        try:
            wall = WallContext(settings, keys, town, map_traces(town), r, ar)
            found = await live.read_periodic(wall, None, {"lights"})
            return bool(found["simulated"])
        finally:
            await ar.aclose()

    loads = WallContext(settings, keys, town, map_traces(town), r, cast(Any, None))
    return read_simulated(loads), run_apart(pushed())


def test_a_simulated_body_puts_the_wall_in_demo_and_a_real_one_does_not(
    client: TestClient, settings: Settings, keys: Keys, r: redis.Redis, town: Town
) -> None:
    real = client.post("/api/ingest/urban", json=urban_record(1))
    assert real.status_code == 202
    assert wall_says(settings, keys, r, town) == (False, False)
    assert r.get(keys.simulated_at) is None

    headers = {SIMULATED_HEADER: "1"}
    made_up = client.post("/api/ingest/urban", json=urban_record(2), headers=headers)
    assert made_up.status_code == 202
    assert wall_says(settings, keys, r, town) == (True, True)

    # The simulator stopped: its last body ages out of the window, and the mark goes.
    old = datetime.now(UTC) - timedelta(seconds=SIMULATED_WINDOW_S + 5)
    r.set(keys.simulated_at, old.isoformat())
    assert wall_says(settings, keys, r, town) == (False, False)


def test_only_the_header_set_to_1_marks_and_a_refused_body_marks_nothing(
    client: TestClient, keys: Keys, r: redis.Redis
) -> None:
    other = client.post("/api/ingest/urban", json=urban_record(1), headers={SIMULATED_HEADER: "0"})
    assert other.status_code == 202
    refused = client.post(
        "/api/ingest/urban",
        content=b"{}",
        headers={"content-type": "text/plain", SIMULATED_HEADER: "1"},
    )
    assert refused.status_code == 415
    assert r.get(keys.simulated_at) is None


def test_the_console_and_the_tablet_say_so_in_their_header_when_loaded_meanwhile(
    client: TestClient, settings: Settings, keys: Keys, r: redis.Redis, town: Town
) -> None:
    from dashboard.pages import console, tablet

    desk = WallContext(settings, keys, town, map_traces(town), r, cast(Any, None))

    def marks() -> list[str]:
        found = []
        for page, header in (("console", console._header), ("tablet", tablet._header)):
            shown = [
                c for c in header(desk, "zh", None, "").children if c.className == f"{page}-demo"
            ]
            found += [f"{page}:{c.children}" for c in shown]
        return found

    assert marks() == []
    client.post("/api/ingest/urban", json=urban_record(3), headers={SIMULATED_HEADER: "1"})
    assert marks() == ["console:演示数据", "tablet:演示数据"]
