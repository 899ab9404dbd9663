"""Late is the server's rule, on every path: a case answered in time but past its handling
deadline stays red and on top across a push, a resync and a reload; and the header's
超时未响应 counts every open case (the API's count), not the queue's rows.

The cases are the real engine's (run here on the test's Redis and clock), so the counts the
header and GET /api/counts read are the ones the engine keeps."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis
from playwright.sync_api import Page, expect

from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from dashboard import ids
from layers.town import default_town
from tests.browser.conftest import WallPage
from tests.browser.test_wall import assert_red
from tests.support.access import bearer
from tests.support.pipeline import drain_now
from tests.support.reports import Report, write_events
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
OVERDUE_CASES = 2000  # more than the queue holds (TOWNCC_WALL_MAX_ROWS: 500)
TIMEOUT_MS = 15_000
TOP = (
    f"() => {{ const rows = []; dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}')"
    ".forEachNodeAfterFilterAndSort(n => rows.push(n.id)); return rows[0]; }"
)
HEADER_OVERDUE = ".wall-kpi-overdue .wall-kpi-value"


def engine_run(r: redis.Redis, keys: Keys, reports: list[tuple[Report, datetime, int]]) -> None:
    """The engine applies these reports (each received at its time, as its version)."""
    engine = Engine(r, keys, Geography(default_town()), batch=1000)
    engine.ensure_group()
    write_events(r, keys, [report.event(at, version) for report, at, version in reports])
    drain_now(engine)


def seed(r: redis.Redis, keys: Keys, now: datetime) -> Report:
    """2,000 parking reports never answered, 40 days old; one answered 5 minutes after its
    report 30 days ago, so past any handling deadline but not its first response, and newer
    than all of those; three fresh ones newer still (not late). Returns the answered one."""
    old = now - timedelta(days=40)
    late = [Report(n, "urban", "parking", old + timedelta(seconds=n)) for n in range(OVERDUE_CASES)]
    answered = now - timedelta(days=30)
    handling = Report(OVERDUE_CASES, "urban", "parking", answered, "处置超时测试", "acknowledged")
    fresh = [Report(OVERDUE_CASES + 1 + n, "urban", "parking", now) for n in range(3)]
    reports = [(rep, rep.occurred_at, 0) for rep in (*late, *fresh)]
    engine_run(r, keys, [*reports, (handling, answered + timedelta(minutes=5), 0)])
    return handling


def assert_late_on_top(page: Page, case_id: str, api: httpx.Client) -> None:
    page.wait_for_function(f"() => ({TOP})() === '{case_id}'", timeout=TIMEOUT_MS)
    summary = page.locator(f"#{ids.WALL_QUEUE_GRID} .ag-row[row-id='{case_id}'] [col-id=summary]")
    expect(summary).to_have_class(re.compile(r"\bis-overdue\b"), timeout=TIMEOUT_MS)
    assert_red(summary)
    counts = api.get("/api/counts").raise_for_status().json()
    assert counts["response_overdue"] >= OVERDUE_CASES
    expect(page.locator(HEADER_OVERDUE)).to_have_text(str(counts["response_overdue"]))


def test_a_case_late_on_its_handling_clock_stays_red_and_on_top_and_the_header_counts_all(
    wall_page: WallPage, wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    r, keys, page = wall_redis, wall_keys, wall_page.page
    handling = seed(r, keys, datetime.now(UTC))
    case_id, title = handling.case_id, handling.title
    row = page.locator(f"#{ids.WALL_QUEUE_GRID} .ag-row[row-id='{case_id}']")
    reader = bearer(wall_server.admin_token)
    with httpx.Client(base_url=wall_server.url, timeout=10, headers=reader) as api:
        page.reload()  # the page load, with every case in Redis
        page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
        shown = page.evaluate(
            f"() => dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}').getDisplayedRowCount()"
        )
        assert shown < OVERDUE_CASES  # fewer rows than late cases: the header cannot count rows
        assert_late_on_top(page, case_id, api)

        # A push: the source updates the case; its row is sent again, as the engine wrote it.
        now = datetime.now(UTC)
        engine_run(r, keys, [(replace(handling, title=f"{title}（更新）"), now, 1)])
        expect(row.locator("[col-id=summary]")).to_contain_text("（更新）", timeout=TIMEOUT_MS)
        assert_late_on_top(page, case_id, api)

        # A resync: the server restarts; the new push loop does not know the page's state.
        wall_server.stop()
        engine_run(r, keys, [(replace(handling, title=f"{title}（断线期间）"), now, 2)])
        wall_server.start()
        expect(row.locator("[col-id=summary]")).to_contain_text("（断线期间）", timeout=60_000)
        assert_late_on_top(page, case_id, api)

        page.reload()
        page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
        assert_late_on_top(page, case_id, api)
    unexpected = [e for e in wall_page.errors if "WebSocket" not in e and "ERR_CONNECTION" not in e]
    assert unexpected == []
