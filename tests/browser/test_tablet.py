"""The leaders' tablet in Debian's Chromium with touch, at the four sizes of the issue
(1024×768, 768×1024, 2048×2732, 2732×2048), against the real server over a year of cases
written by the engine's own transaction: no horizontal scroll; the town's and each village's
KPI figures are `/api/kpi`'s; tap village → grid → case, the address following and back
going up; the grid's 一长五员 as `tel:` links. A leader escalates a case from the tablet, and
the town view follows a new case live."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page

from access.users import add_user
from cases.engine import Engine
from cases.lifecycle_events import Escalate, command_to_dict
from cases.places import Geography
from cases.routing import table
from core.keys import Keys
from core.times import BEIJING
from dashboard import ids
from dashboard.components.tablet_views import RANKS
from layers.town import default_town
from tests.browser.conftest import sign_in as signed_in
from tests.browser.seed import seed_modules
from tests.support.pipeline import engine_thread, push
from tests.support.synthetic import seed, synthetic, template
from tests.support.urban import reported_now, urban_record
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
SIZES = [(1024, 768), (768, 1024), (2048, 2732), (2732, 2048)]
PASSWORD = "a tablet test password"  # noqa: S105  # a test account's
LEADER = "tab.leader"
CASES = 1500  # a year of them: about 300 open
TIMEOUT_MS = 20_000
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
KEEP_ENV = "TOWNCC_TABLET_SHOTS"  # set: the screenshots go to docs/screenshots too (the
# docs keep the town at each size and the drill-down at 1024×768)


@pytest.fixture(scope="module")
def year(wall_redis: redis.Redis, wall_keys: Keys) -> int:
    town = default_town()
    base = template(wall_redis, Geography(town))
    now = datetime.now(UTC)
    return seed(wall_redis, wall_keys, synthetic(base, town, CASES, now, seed=5), now)


@pytest.fixture(scope="module")
def leader(wall_redis: redis.Redis, wall_keys: Keys) -> str:
    add_user(wall_redis, wall_keys, LEADER, PASSWORD, role="leader", display_name="带班领导",
             now=time.time())  # fmt: skip
    return LEADER


def sign_in(
    browser: Browser, server: WallServer, size: tuple[int, int], opened: list[BrowserContext]
) -> Page:
    """A leader with a tablet of this size, touch on, signed in at the town's view."""
    viewport = {"width": size[0], "height": size[1]}
    _, page = signed_in(browser, f"{server.url}/tablet", (LEADER, PASSWORD), opened,
                        f"#{ids.TABLET_TOWN_KPIS}", viewport=viewport, has_touch=True)  # fmt: skip
    return page


@pytest.fixture(scope="module")
def tablet(browser: Browser, wall_server: WallServer, year: int, leader: str) -> Iterator[Page]:
    """One leader's tablet for the sizes' test: signed in once, turned to each size."""
    contexts: list[BrowserContext] = []
    try:
        yield sign_in(browser, wall_server, SIZES[0], contexts)
    finally:
        for context in contexts:
            context.close()


NO_SIDEWAYS = f"""() => {{
  const root = document.getElementById('{ids.TABLET_ROOT}');
  return [document.documentElement.scrollWidth - window.innerWidth,
          root.scrollWidth - root.clientWidth];
}}"""


def no_sideways(page: Page) -> None:
    page_over, root_over = page.evaluate(NO_SIDEWAYS)
    assert page_over <= 0 and root_over <= 0, (page_over, root_over)


def shown_kpis(page: Page, selector: str) -> dict[str, str]:
    cells = page.locator(f"{selector} [data-kpi]")
    return {
        str(cells.nth(i).get_attribute("data-kpi")): cells.nth(i).inner_text().strip()
        for i in range(cells.count())
    }


def printed(figure: dict[str, Any], key: str) -> str:
    """The text the tablet prints for one of /api/kpi's figures."""
    text = figure[key]["text"]
    if text is None:
        return "—"
    return f"{text} 分钟" if key == "first_response_p90" else str(text)


def title(page: Page, name: str) -> None:
    """Wait until the view drawn is the one named (the address moves first)."""
    page.wait_for_function(
        "(name) => document.querySelector('h2.tablet-title')?.innerText === name",
        arg=name,
        timeout=TIMEOUT_MS,
    )


def touch_targets(page: Page) -> list[str]:
    """Every visible link or button smaller than 44 px either way."""
    found: list[str] = page.evaluate(
        f"""() => [...document.querySelectorAll('#{ids.TABLET_ROOT} a, #{ids.TABLET_ROOT} button')]
          .filter(e => e.offsetParent !== null)
          .map(e => [e.getBoundingClientRect(), e.innerText])
          .filter(([r]) => r.width < 44 || r.height < 44)
          .map(([r, t]) => `${{t}} ${{Math.round(r.width)}}×${{Math.round(r.height)}}`)"""
    )
    return found


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_tablet_at_each_size_drills_down_by_touch_with_the_apis_figures(
    tablet: Page, wall_server: WallServer, screenshots: Path, size: tuple[int, int]
) -> None:
    page = tablet
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{wall_server.url}/tablet")
    page.wait_for_selector(f"#{ids.TABLET_TOWN_KPIS}", timeout=TIMEOUT_MS)
    name = f"tablet-{size[0]}x{size[1]}"
    shots = [screenshots] + ([DOCS] if os.environ.get(KEEP_ENV) else [])

    def shot(step: str) -> None:
        for folder in shots:
            page.screenshot(path=str(folder / f"{name}-{step}.png"))

    # The town: the figures are /api/kpi's, for the town and for every village.
    api = page.request.get(f"{wall_server.url}/api/kpi?by=village")
    assert api.ok, api.status
    kpi = orjson.loads(api.body())
    town = shown_kpis(page, f"#{ids.TABLET_TOWN_KPIS}")
    assert town == {key: printed(kpi["town"], key) for key in RANKS}
    assert any(v != "—" for v in town.values())  # a year of cases: there are figures
    for group in kpi["groups"]:
        if not group["key"]:
            continue
        row = shown_kpis(page, f"[data-village='{group['key']}']")
        assert row == {key: printed(group, key) for key in RANKS}, group["key"]
    no_sideways(page)
    shot("1-town")
    assert touch_targets(page) == []

    # Tap a village → its grids, map and people; the address follows.
    village = str(kpi["groups"][0]["key"])
    page.locator(f"[data-village='{village}'] a").tap()
    page.wait_for_function(f"() => location.search.includes('village={village}')")
    title(page, str(default_town().l1.at[village, "name"]))
    grid_link = page.locator("[data-grid] a").first
    grid_link.wait_for(timeout=TIMEOUT_MS)
    assert page.locator("img.tablet-map").count() == 1
    no_sideways(page)
    assert touch_targets(page) == []
    shot("2-village")

    # Tap a grid → its 一长五员 as tel: links, and its cases.
    grid = str(page.locator("[data-grid]").first.get_attribute("data-grid"))
    grid_link.tap()
    page.wait_for_function(f"() => location.search.includes('grid={grid}')")
    title(page, str(default_town().l2.at[grid, "name"]))
    people = default_town().roster[grid]
    calls = page.locator("a.tablet-call")
    calls.first.wait_for(timeout=TIMEOUT_MS)
    assert sorted(str(calls.nth(i).get_attribute("href")) for i in range(calls.count())) == (
        sorted(f"tel:{p.phone}" for p in people)
    )
    no_sideways(page)
    assert touch_targets(page) == []
    shot("3-grid")

    # Tap a case → its detail and timeline.
    case = page.locator("[data-case]").first
    case_id = str(case.get_attribute("data-case"))
    case.locator("a").tap()
    page.wait_for_function(
        f"(id) => document.getElementById('{ids.TABLET_VIEW}').innerText.includes(id)",
        arg=case_id,
        timeout=TIMEOUT_MS,
    )
    assert "case=" in page.evaluate("() => location.search")
    no_sideways(page)
    shot("4-case")

    # Back goes up a step: the grid again.
    page.go_back()
    title(page, str(default_town().l2.at[grid, "name"]))
    assert "case=" not in page.evaluate("() => location.search")


def test_the_analysis_shows_the_economy_by_month_and_the_modules_by_day(
    browser: Browser,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    leader: str,
    opened: list[BrowserContext],
    screenshots: Path,
) -> None:
    seed_modules(wall_redis, wall_keys)
    page = sign_in(browser, wall_server, (768, 1024), opened)
    page.locator(".tablet-nav a", has_text="分析研判").tap()
    title(page, "分析研判")
    assert "view=analysis" in page.evaluate("() => location.search")
    captions = page.locator(".tablet-table caption").all_inner_texts()
    assert "规上工业总产值" in captions  # the economy's indicator, by month
    assert {"企业管理", "用工监测", "文旅融合"} <= set(captions)  # by day
    economy = page.locator(".tablet-table", has_text="规上工业总产值")
    assert "+6.8%" in economy.inner_text()  # the year-on-year change the station sent
    labour = page.locator(".tablet-table", has_text="用工监测").inner_text()
    today = datetime.now(UTC).astimezone(BEIJING).strftime("%m-%d")
    assert today in labour and "486" in labour  # today's row: the snapshot's headcount
    no_sideways(page)
    assert touch_targets(page) == []
    folders = [screenshots] + ([DOCS] if os.environ.get(KEEP_ENV) else [])
    for folder in folders:
        page.screenshot(path=str(folder / "tablet-768x1024-5-analysis.png"))
    # In English, with the page saying so.
    page.locator(".tablet-nav a", has_text="English").tap()
    title(page, "Analysis")
    assert page.locator(f"#{ids.TABLET_ROOT}").get_attribute("lang") == "en"
    assert "Economy" in page.locator(f"#{ids.TABLET_VIEW}").inner_text()


@pytest.fixture(scope="module")
def engine(wall_redis: redis.Redis, wall_keys: Keys, year: int) -> Iterator[Engine]:
    """The engine in a thread, as `towncc engine` runs it; stopped, and checked gone."""
    engine = Engine(wall_redis, wall_keys, Geography(default_town()), batch=200)
    engine.ensure_group()
    with engine_thread(engine):
        yield engine


def stored(r: redis.Redis, keys: Keys, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = orjson.loads(r.get(keys.case(case_id)) or "{}")
    return found


def outcome(page: Page, before: str) -> str:
    page.wait_for_function(
        f"(before) => {{ const e = document.getElementById('{ids.TABLET_OUTCOME}');"
        " return e && e.innerText.trim() !== '' && e.innerText !== before; }",
        arg=before,
        timeout=TIMEOUT_MS,
    )
    return page.locator(f"#{ids.TABLET_OUTCOME}").inner_text()


def test_a_leader_extends_and_escalates_from_the_tablet_and_the_town_follows_live(
    browser: Browser,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    engine: Engine,
    leader: str,
    opened: list[BrowserContext],
) -> None:
    page = sign_in(browser, wall_server, (1024, 768), opened)
    # Live: a new report raises the town's open count without a reload.
    tile = page.locator(".tablet-tile-value").first
    before = int(tile.inner_text().replace(",", ""))
    push(wall_redis, wall_keys, [urban_record(901, sbsj=reported_now(), wtms="平板测试案件")])
    page.wait_for_function(
        "(n) => Number(document.querySelector('.tablet-tile-value').innerText.replace(/,/g, ''))"
        " > n",
        arg=before,
        timeout=TIMEOUT_MS,
    )

    # An open case of a grid: a leader approves its extension, then escalates it.
    case_id = next(
        str(i) for i in wall_redis.zrevrange(wall_keys.open_cases, 0, 50)
        if str(i).startswith("bench:")
        and stored(wall_redis, wall_keys, str(i)).get("level", "grid") == "grid"
    )  # fmt: skip
    case = stored(wall_redis, wall_keys, case_id)
    page.goto(f"{wall_server.url}/tablet?case={case_id}")
    buttons = page.locator(".console-act")
    buttons.first.wait_for(timeout=TIMEOUT_MS)
    assert sorted(buttons.all_inner_texts()) == sorted(["延期", "升级"])  # a leader's, no other
    deadline = "2030-01-15 17:00"
    page.fill(f"#{ids.TABLET_FORM.deadline}", deadline)
    page.fill(f"#{ids.TABLET_FORM.reason}", "需协调多个部门")
    said = page.locator(f"#{ids.TABLET_OUTCOME}").inner_text()
    page.locator(".console-act", has_text="延期").tap()
    assert "延期：已办理" in outcome(page, said)
    extended = stored(wall_redis, wall_keys, case_id)
    assert extended["handling_due"] == "2030-01-15T09:00:00+00:00"
    assert extended["extension_count"] == case.get("extension_count", 0) + 1

    page.fill(f"#{ids.TABLET_FORM.reason}", "跨村协调")
    said = page.locator(f"#{ids.TABLET_OUTCOME}").inner_text()
    page.locator(".console-act", has_text="升级").tap()
    assert "升级：已办理" in outcome(page, said)
    assert stored(wall_redis, wall_keys, case_id)["level"] == "village"
    notices = wall_redis.xrange(wall_keys.notifications)
    assert any(case_id in str(fields) for _, fields in notices)
    # The case's view follows: its level and its timeline show the escalation.
    page.wait_for_function(
        f"() => document.getElementById('{ids.TABLET_VIEW}').innerText.includes('村级')",
        timeout=TIMEOUT_MS,
    )
    # It is in its village's queue on the village's view, with the village's leader.
    village = stored(wall_redis, wall_keys, case_id)["village"]
    leader_name = table().escalation.villages[village].name
    page.goto(f"{wall_server.url}/tablet?village={village}")
    queue = page.locator(".tablet-block", has_text="升级至本村的案件")
    queue.locator(f"[data-case='{case_id}']").wait_for(timeout=TIMEOUT_MS)
    assert leader_name in queue.locator(f"[data-case='{case_id}']").inner_text()
    # The town's view, open, follows it to the town: the open and escalated counts stay the
    # same (still above its grid), and the town's own list shows it all the same.
    page.goto(f"{wall_server.url}/tablet")
    to_town = page.locator(".tablet-block", has_text="升级至镇的案件")
    to_town.wait_for(timeout=TIMEOUT_MS)
    assert to_town.locator(f"[data-case='{case_id}']").count() == 0
    up = Escalate(actor="tab.leader", at=datetime.now(UTC), reason="跨村协调不成")
    fields = {"case_id": case_id, "c": orjson.dumps(command_to_dict(up)), "reason": ""}
    wall_redis.xadd(wall_keys.commands, fields)
    to_town.locator(f"[data-case='{case_id}']").wait_for(timeout=TIMEOUT_MS)
