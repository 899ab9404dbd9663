"""Late is the server's rule, on every path: a case answered in time but past its handling
deadline stays red and on top across a push, a resync and a reload; and the header's
超时未响应 counts every open case, not the queue's rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from playwright.sync_api import Page, expect

from core.keys import Keys
from dashboard import ids
from tests.browser.conftest import WallPage, WallServer
from tests.browser.seed import make_case, write_case
from tests.browser.test_wall import assert_red

pytestmark = [pytest.mark.browser, pytest.mark.redis]
OVERDUE_CASES = 2000  # more than the queue holds (TOWNCC_WALL_MAX_ROWS: 500)
TIMEOUT_MS = 15_000
HANDLING = "urban:HANDLING-LATE"
TOP = (
    f"() => {{ const rows = []; dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}')"
    ".forEachNodeAfterFilterAndSort(n => rows.push(n.id)); return rows[0]; }"
)
HEADER_OVERDUE = ".wall-kpi-overdue .wall-kpi-value"


def seed(r: redis.Redis, keys: Keys, now: datetime) -> dict[str, Any]:
    """2,000 cases past their first response; one answered in time but past its handling
    deadline, newer than all of them; three fresh cases newer still (not late)."""
    for n in range(OVERDUE_CASES):
        reported = now - timedelta(hours=2) + timedelta(seconds=n)
        overdue = make_case(
            f"urban:LATE-{n:04d}", description=f"未响应{n}", reported_at=reported.isoformat(),
            response_due=(reported + timedelta(minutes=15)).isoformat(),
        )  # fmt: skip
        write_case(r, keys, overdue)
    handling = make_case(
        HANDLING, description="已按时响应但处置超时", stage="accepted",
        reported_at=(now - timedelta(minutes=30)).isoformat(),
        response_due=(now - timedelta(minutes=15)).isoformat(),
        responded_at=(now - timedelta(minutes=25)).isoformat(),
        handling_due=(now - timedelta(minutes=1)).isoformat(),
    )  # fmt: skip
    write_case(r, keys, handling)
    for n in range(3):
        write_case(r, keys, make_case(f"urban:FRESH-{n}", description=f"新上报{n}"))
    return handling


def assert_late_on_top(page: Page, api_overdue: int) -> None:
    page.wait_for_function(f"() => ({TOP})() === '{HANDLING}'", timeout=TIMEOUT_MS)
    summary = page.locator(f"#{ids.WALL_QUEUE_GRID} .ag-row[row-id='{HANDLING}'] [col-id=summary]")
    expect(summary).to_have_class(re.compile(r"\bis-overdue\b"), timeout=TIMEOUT_MS)
    assert_red(summary)
    expect(page.locator(HEADER_OVERDUE)).to_have_text(str(api_overdue), timeout=TIMEOUT_MS)


def test_a_case_late_on_its_handling_clock_stays_red_and_on_top_and_the_header_counts_all(
    wall_page: WallPage, wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    handling = seed(wall_redis, wall_keys, datetime.now(UTC))
    page = wall_page.page
    page.reload()  # the page load, with every case in Redis
    page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
    rows = page.evaluate(
        f"() => dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}').getDisplayedRowCount()"
    )
    assert rows < OVERDUE_CASES  # the queue holds fewer rows than there are late cases
    assert_late_on_top(page, OVERDUE_CASES)

    # A push: the engine escalates it (its own change), the row is sent again.
    write_case(wall_redis, wall_keys, {**handling, "level": "village"}, "escalated")
    level = page.locator(f".ag-row[row-id='{HANDLING}'] [col-id=level_label]")
    expect(level).to_have_text("村级", timeout=TIMEOUT_MS)
    assert_late_on_top(page, OVERDUE_CASES)
    # One more case past its first response (older than the one on top), while the page is open.
    reported = datetime.now(UTC) - timedelta(hours=3)
    due = (reported + timedelta(minutes=15)).isoformat()
    late = make_case("urban:LATE-NEW", reported_at=reported.isoformat(), response_due=due)
    write_case(wall_redis, wall_keys, late)
    assert_late_on_top(page, OVERDUE_CASES + 1)

    # A resync: the server restarts; the page's state is unknown to the new push loop.
    wall_server.stop()
    write_case(wall_redis, wall_keys, {**handling, "level": "town"}, "escalated")
    wall_server.start()
    expect(level).to_have_text("镇级", timeout=60_000)
    assert_late_on_top(page, OVERDUE_CASES + 1)

    page.reload()
    page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
    assert_late_on_top(page, OVERDUE_CASES + 1)
    unexpected = [e for e in wall_page.errors if "WebSocket" not in e and "ERR_CONNECTION" not in e]
    assert unexpected == []
