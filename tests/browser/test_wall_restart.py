"""A server restart under an open wall: the page says the link is down, then recovers alone."""

from __future__ import annotations

import pytest
import redis
from playwright.sync_api import expect

from dashboard import ids
from tests.browser.conftest import WallPage, WallServer
from tests.browser.seed import make_case, write_case
from towncc.keys import Keys

pytestmark = [pytest.mark.browser, pytest.mark.redis]
LINK = f"#{ids.WALL_HEADER_LINK}"


def test_the_wall_flags_a_dead_link_and_resyncs_after_the_server_restarts(
    wall_page: WallPage, wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    page = wall_page.page
    wall_server.stop()
    expect(page.locator(LINK)).to_have_class("wall-link is-down", timeout=20_000)
    expect(page.locator(LINK)).to_contain_text("链路中断")
    # Written while nobody pushes: only the resync after the reconnect can show it.
    write_case(wall_redis, wall_keys, make_case("urban:DOWN-1", description="断线期间上报"))
    wall_server.start()
    expect(page.locator(LINK)).to_have_class("wall-link is-ok", timeout=60_000)
    grid = page.locator(f"#{ids.WALL_QUEUE_GRID}")
    expect(grid).to_contain_text("断线期间上报", timeout=10_000)
    write_case(wall_redis, wall_keys, make_case("urban:AFTER-1", description="重连之后上报"))
    expect(grid).to_contain_text("重连之后上报", timeout=10_000)
    # The browser logs the refused connections while the server is down: those are expected.
    unexpected = [e for e in wall_page.errors if "WebSocket" not in e and "ERR_CONNECTION" not in e]
    assert unexpected == []
