"""`towncc demo` as `make demo` runs it: embedded Redis, engine, simulator and wall, end to end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from core.times import beijing
from dashboard import ids
from ingest.coords import CRS
from tests.browser.conftest import WallPage, open_wall
from tests.support.access import bearer, demo_accounts
from tests.support.pixels import drawn_share
from tests.support.system import running_demo
from tests.support.urban import urban_record

pytestmark = [pytest.mark.browser, pytest.mark.redis]
ROW_COUNT = f"() => dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}').getDisplayedRowCount()"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float, dict[str, Any]]]:
    """The demo on a fresh data folder, with no REDIS_URL: it starts its own Redis. Its base
    URL, when it started, and the credentials it wrote (var/demo-accounts.json)."""
    started = time.monotonic()
    data = tmp_path_factory.mktemp("demo")
    with running_demo(data) as base:
        yield base, started, demo_accounts(data)


@pytest.fixture
def wall(browser: Browser, demo: tuple[str, float, dict[str, Any]]) -> Iterator[WallPage]:
    yield from open_wall(browser, f"{demo[0]}/wall")


def test_within_a_minute_the_wall_shows_the_map_and_the_queue(
    demo: tuple[str, float, dict[str, Any]], wall: WallPage, screenshots: Path
) -> None:
    page = wall.page
    page.wait_for_function(f"{ROW_COUNT} >= 1", timeout=60_000)
    while drawn_share(page) < 0.5 and time.monotonic() - demo[1] < 60:
        page.wait_for_timeout(250)  # polling the canvas until MapLibre has drawn the grids
    page.screenshot(path=screenshots / "demo-wall.png")
    assert drawn_share(page) >= 0.5, "the grid polygons are not drawn"
    assert time.monotonic() - demo[1] < 60, "the demo took more than 60 s to show a live wall"
    assert wall.errors == []


def test_a_posted_record_reaches_the_api_and_the_wall_as_text(
    demo: tuple[str, float, dict[str, Any]], wall: WallPage
) -> None:
    lon, lat = 120.4012, 31.7733
    record = urban_record(
        1, lon, lat, CRS.GCJ02, ajbh="E2E-0001", wtms="<script>alert('x')</script>占道",
        sbsj=f"{beijing(datetime.now(UTC)):%Y-%m-%d %H:%M:%S}",
    )  # fmt: skip
    sender = bearer(demo[2]["feed_tokens"]["urban"])
    reply = httpx.post(f"{demo[0]}/api/ingest/urban", json=record, headers=sender, timeout=10)
    assert reply.json() == {"accepted": 1, "deadlettered": 0, "errors": []}
    # The queue puts overdue cases first, and the demo's backlog has many: the new row may
    # be below the rows drawn. Wait for it in the grid, bring it into view, read the DOM.
    api = f"dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}')"
    node = f"{api}.getRowNode('urban:E2E-0001')"
    wall.page.wait_for_function(f"() => !!{node}", timeout=10_000)
    wall.page.evaluate(f"() => {api}.ensureNodeVisible({node}, 'middle')")
    row = wall.page.locator(f'#{ids.WALL_QUEUE_GRID} [row-id="urban:E2E-0001"]')
    # The grid draws a row's cells a frame after the row: wait for the text, as text.
    row.filter(has_text="<script>alert('x')</script>占道").first.wait_for(timeout=10_000)
    assert wall.dialogs == []
    reader = bearer(demo[2]["tokens"]["leader"])
    found = httpx.get(f"{demo[0]}/api/cases", params={"status": "open"}, headers=reader, timeout=10)
    cases = found.json()
    [case] = [c for c in cases if c["id"] == "urban:E2E-0001"]
    assert (case["source_id"], case["grid"], case["village"]) == ("E2E-0001", "XXK-03-02", "XXK-03")
    assert abs(case["lon"] - lon) < 1e-6
    assert abs(case["lat"] - lat) < 1e-6
