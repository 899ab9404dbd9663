"""The wall in Debian's Chromium: it draws, fits, and shows what the engine writes, safely."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Locator, expect

from core.keys import Keys
from dashboard import ids
from layers.town import default_town
from tests.browser.conftest import VIEWPORT, WallPage
from tests.browser.seed import make_case, spread_cases, write_case
from tests.support.pixels import calm_share

pytestmark = [pytest.mark.browser, pytest.mark.redis]
TIMEOUT_MS = 10_000
OVERDUE = re.compile(r"\bis-overdue\b")
GRID = f"#{ids.WALL_QUEUE_GRID}"
ROW_COUNT = f"dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}').getDisplayedRowCount()"
# The queue as displayed: [id, overdue now, reported at], top row first.
ORDER = (
    f"() => {{ const rows = []; dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}')"
    ".forEachNodeAfterFilterAndSort(n => rows.push([n.id,"
    " dashAgGridFunctions.isLate(n.data), n.data.reported_at])); return rows; }"
)
# The case ids of the map's points, as Dash holds the figure (what the next redraw shows).
MAP_STORE_IDS = (
    f"() => window.dash_component_api.getLayout('{ids.WALL_MAP}').props.figure.data"
    ".find(t => t.mode === 'markers' && t.customdata).customdata"
)


def row(wall: WallPage, text: str) -> Locator:
    return wall.page.locator(f"{GRID} .ag-row", has_text=text)


def test_the_wall_loads_clean_draws_the_grids_and_fits_the_screen(
    wall_page: WallPage, wall_redis: redis.Redis, wall_keys: Keys, screenshots: Path
) -> None:
    for case in spread_cases(default_town(), 60):
        write_case(wall_redis, wall_keys, case)
    page = wall_page.page
    page.wait_for_function(f"() => {ROW_COUNT} === 60", timeout=TIMEOUT_MS)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while (share := calm_share(page)) <= 0.05 and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # polling the canvas until MapLibre has drawn it
    assert share > 0.05, "no level-2 grid drawn in the map's centre"
    page.screenshot(path=screenshots / "wall.png")
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert sizes[0] <= VIEWPORT["width"] and sizes[1] <= VIEWPORT["height"]
    assert wall_page.errors == []


def test_a_case_written_after_load_arrives_in_the_queue_and_on_the_map(
    wall_page: WallPage, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    case = make_case("urban:PUSH-1", description="推送测试：消防通道被占")
    write_case(wall_redis, wall_keys, case)
    expect(row(wall_page, "推送测试：消防通道被占")).to_have_count(1, timeout=TIMEOUT_MS)
    # New to this page: the row flashes once (wall.css), then stays as any other.
    expect(row(wall_page, "推送测试")).to_have_class(re.compile(r"\bis-new\b"))
    flash = row(wall_page, "推送测试").evaluate("e => getComputedStyle(e).animationName")
    assert flash == "wall-flash"
    expect(row(wall_page, "推送测试")).to_contain_text("乱停乱放")
    wall_page.page.wait_for_function(
        f"() => ({MAP_STORE_IDS})().includes('urban:PUSH-1')", timeout=TIMEOUT_MS
    )
    write_case(wall_redis, wall_keys, {**case, "status": "closed"}, "closed")
    expect(row(wall_page, "推送测试")).to_have_count(0, timeout=TIMEOUT_MS)
    # Escalated to the town: its level says so, in the town's colour.
    write_case(wall_redis, wall_keys, make_case("urban:UP-1", description="升级测试", level="town"))
    level = row(wall_page, "升级测试").locator("[col-id=level_label]")
    expect(level).to_have_text("镇级", timeout=TIMEOUT_MS)
    expect(level).to_have_class(re.compile(r"\bis-level-town\b"))
    assert wall_page.errors == []


def test_markup_in_a_description_shows_as_text_and_never_runs(
    wall_page: WallPage, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    markup = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    write_case(wall_redis, wall_keys, make_case("urban:XSS-1", description=markup))
    cell = row(wall_page, "<script>alert(1)</script>").locator("[col-id=summary]")
    expect(cell).to_have_count(1, timeout=TIMEOUT_MS)
    assert markup in cell.inner_text() or markup in (cell.text_content() or "")
    assert wall_page.page.locator(f"{GRID} script, {GRID} img").count() == 0
    assert wall_page.dialogs == []
    assert wall_page.errors == []


def test_an_overdue_case_is_red_and_a_due_one_turns_red_without_a_message(
    wall_page: WallPage, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    now = datetime.now(UTC)
    late = make_case(
        "urban:LATE-1",
        description="超时测试一",
        reported_at=(now - timedelta(minutes=30)).isoformat(),
        response_due=(now - timedelta(minutes=15)).isoformat(),
        overdue=True,
    )
    write_case(wall_redis, wall_keys, late)
    summary = row(wall_page, "超时测试一").locator("[col-id=summary]")
    expect(summary).to_have_class(OVERDUE, timeout=TIMEOUT_MS)
    assert_red(summary)
    expect(row(wall_page, "超时测试一").locator("[col-id=countdown]")).to_contain_text("超时")

    due = datetime.now(UTC) + timedelta(seconds=5)
    write_case(
        wall_redis,
        wall_keys,
        make_case("urban:SOON-1", description="超时测试二", response_due=due.isoformat()),
    )
    soon = row(wall_page, "超时测试二").locator("[col-id=summary]")
    expect(soon).to_have_count(1, timeout=TIMEOUT_MS)
    assert "is-overdue" not in (soon.get_attribute("class") or "")
    expect(soon).to_have_class(OVERDUE, timeout=TIMEOUT_MS)  # the browser's 1 s tick
    assert_red(soon)
    # Overdue rows on top (the one that just turned overdue moved up), then the newest.
    page = wall_page.page
    page.wait_for_function(f"() => ({ORDER})()[0][0] === 'urban:SOON-1'", timeout=TIMEOUT_MS)
    order = page.evaluate(ORDER)
    late = [overdue for _, overdue, _ in order]
    assert late == sorted(late, reverse=True) and late[0]
    for group in (True, False):
        times = [datetime.fromisoformat(at) for _, overdue, at in order if overdue is group]
        assert times == sorted(times, reverse=True)
    assert wall_page.errors == []


def assert_red(cell: Locator) -> None:
    colour = cell.evaluate("e => getComputedStyle(e).color")
    red, green = (int(v) for v in colour[colour.index("(") + 1 : -1].split(",")[:2])
    assert red > 200 and green < 150, colour


def test_lang_en_gives_an_english_wall(english_wall_page: WallPage) -> None:
    page = english_wall_page.page
    expect(page.locator(".wall-queue .wall-panel-title")).to_have_text("Live case queue")
    expect(page.locator(f"#{ids.WALL_HEADER_LINK_TEXT}")).to_have_text("Live")
    expect(page.locator(".ag-header")).to_contain_text("Response due")
    # The quiet reload (TOWNCC_WALL_RELOAD_AT): once in its minute, never on a fresh page.
    due = "(args) => window.dash_clientside.towncc.reloadDue(...args)"
    assert page.evaluate(due, ["04:00", 600_000, "04:00"]) is True
    assert page.evaluate(due, ["04:00", 30_000, "04:00"]) is False  # just reloaded
    assert page.evaluate(due, ["04:01", 600_000, "04:00"]) is False
    assert page.evaluate(due, ["04:00", 600_000, None]) is False  # not configured
    assert english_wall_page.errors == []
