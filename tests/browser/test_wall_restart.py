"""The server stopped for 20 s under an open wall: a banner says since when the link is lost and
the data dims; then the wall recovers on its own, without a reload, with the queue complete."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from playwright.sync_api import expect

from core.keys import Keys
from core.times import beijing
from dashboard import ids
from tests.browser.conftest import WallPage
from tests.browser.seed import make_case, write_case
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
OUTAGE_S = 20
LINK = f"#{ids.WALL_HEADER_LINK}"
BANNER = f"#{ids.WALL_LINK_BANNER}"
SHOWN = re.compile(r"\bis-shown\b")
STALE = re.compile(r"\bis-stale\b")
ROW_IDS = (
    f"() => {{ const found = []; dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}')"
    ".forEachNode(n => found.push(n.id)); return found.sort(); }"
)
# Anything that pops up or spins: the wall has none, even while its link is down. Not Dash's
# `_dash-loading-callback`: an empty, unstyled div (no stylesheet names it) that Dash puts in
# the page while any server callback is pending, as the page's acknowledgements to the push
# are after each rows message.
POPUPS = (
    "[class*=toast], [class*=spinner], [class*=loading]:not(._dash-loading-callback), [role=dialog]"
)


def open_ids(r: redis.Redis, keys: Keys) -> list[str]:
    return sorted(str(i) for i in r.zrange(keys.open_cases, 0, -1))


def test_a_lost_link_is_bannered_and_the_wall_recovers_without_a_reload_with_every_row(
    wall_page: WallPage,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    screenshots: Path,
) -> None:
    page = wall_page.page
    closing = make_case("urban:GONE-1", description="断线期间办结")
    write_case(wall_redis, wall_keys, closing)
    grid = page.locator(f"#{ids.WALL_QUEUE_GRID}")
    expect(grid).to_contain_text("断线期间办结", timeout=10_000)
    page.evaluate("() => { window.towncc_test_mark = 'this document'; }")  # a reload loses it

    wall_server.stop()
    stopped = time.monotonic()
    expect(page.locator(BANNER)).to_have_class(SHOWN, timeout=20_000)
    expect(page.locator(BANNER)).to_have_text(re.compile(r"^连接中断 自 \d\d:\d\d"))
    found = re.search(r"\d\d:\d\d", page.locator(BANNER).inner_text())
    shown = found.group() if found else ""
    now = beijing(datetime.now(UTC))
    assert shown in {f"{now - timedelta(seconds=s):%H:%M}" for s in (0, 30, 60)}, shown
    expect(page.locator(f"#{ids.WALL_ROOT}")).to_have_class(STALE)
    expect(page.locator(LINK)).to_have_class("wall-link is-down")
    expect(page.locator(LINK)).to_contain_text("链路中断")
    opacity = page.locator(".wall-queue").evaluate("e => Number(getComputedStyle(e).opacity)")
    assert opacity < 0.6
    # While nobody pushes: two new cases, one closed. Only the resync can show that.
    for n in (1, 2):
        write_case(
            wall_redis, wall_keys, make_case(f"urban:DOWN-{n}", description=f"断线期间上报{n}")
        )
    write_case(wall_redis, wall_keys, {**closing, "status": "closed"}, "closed")
    page.screenshot(path=screenshots / "wall-link-lost.png")
    assert page.locator(POPUPS).count() == 0
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))

    wall_server.start()
    expect(page.locator(LINK)).to_have_class("wall-link is-ok", timeout=60_000)
    expect(page.locator(BANNER)).not_to_have_class(SHOWN)
    expect(page.locator(f"#{ids.WALL_ROOT}")).not_to_have_class(STALE)
    assert page.evaluate("() => window.towncc_test_mark") == "this document", "the page reloaded"
    expected = open_ids(wall_redis, wall_keys)
    assert "urban:DOWN-1" in expected and "urban:GONE-1" not in expected
    same = f"expected => JSON.stringify(({ROW_IDS})()) === JSON.stringify(expected)"
    page.wait_for_function(same, arg=expected, timeout=10_000)
    write_case(wall_redis, wall_keys, make_case("urban:AFTER-1", description="重连之后上报"))
    expect(grid).to_contain_text("重连之后上报", timeout=10_000)
    assert page.locator(POPUPS).count() == 0
    # The browser logs the refused connections while the server is down: those are expected.
    unexpected = [e for e in wall_page.errors if "WebSocket" not in e and "ERR_CONNECTION" not in e]
    assert unexpected == []


LONG_OUTAGE_S = 200  # longer than the ten retries of Dash's socket worker (about 190 s)


@pytest.mark.skipif(not os.environ.get("TOWNCC_LONG_TESTS"), reason="set TOWNCC_LONG_TESTS=1")
def test_after_an_outage_longer_than_the_socket_workers_retries_the_wall_nudges_it_back(
    wall_page: WallPage, wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    """About 5 minutes: the worker has given up; the page's nudge opens a new socket."""
    page = wall_page.page
    page.evaluate("() => { window.towncc_test_mark = 'this document'; }")
    wall_server.stop()
    expect(page.locator(BANNER)).to_have_class(SHOWN, timeout=20_000)
    time.sleep(LONG_OUTAGE_S)
    write_case(wall_redis, wall_keys, make_case("urban:LONG-1", description="长时间断线期间上报"))
    wall_server.start()
    # The nudge goes out once the server has answered for 45 s (health checked every 10 s).
    expect(page.locator(LINK)).to_have_class("wall-link is-ok", timeout=120_000)
    expect(page.locator(f"#{ids.WALL_QUEUE_GRID}")).to_contain_text("长时间断线期间上报")
    expect(page.locator(BANNER)).not_to_have_class(SHOWN)
    assert page.evaluate("() => window.towncc_test_mark") == "this document", "the page reloaded"
    nudged = f"() => window.dash_component_api.getLayout('{ids.WALL_LINK_NUDGE}').props.data"
    assert page.evaluate(nudged), "recovered without a nudge: was the outage long enough?"
