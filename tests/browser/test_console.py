"""The duty console in Debian's Chromium, against the real server and a running engine: people
sign in, find a case with the filters, and drive it round the closed loop, each step seen on
a wall in another browser."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page

from access.users import add_user
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from dashboard import ids
from layers.town import default_town
from tests.browser.conftest import open_wall
from tests.browser.conftest import sign_in as signed_in
from tests.support.pipeline import engine_thread, push
from tests.support.urban import offset, reported_now, urban_record
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
DESK = {"width": 1920, "height": 1080}
PASSWORD = "a console test password"  # noqa: S105  # a test account's
CASE = "urban:T-000801"  # a category no rule routes: the duty officer registers it
OTHER = "urban:T-000802"  # the same, in another village: the filter leaves it out
TIMEOUT_MS = 20_000
WALL_WITHIN_MS = 1_000  # a step on the console is on the wall within a second


@pytest.fixture(scope="module")
def engine(wall_redis: redis.Redis, wall_keys: Keys) -> Iterator[Engine]:
    """The engine in a thread, as `towncc engine` runs it; stopped, and checked gone."""
    engine = Engine(wall_redis, wall_keys, Geography(default_town()), batch=200)
    engine.ensure_group()
    with engine_thread(engine):
        yield engine


@pytest.fixture(scope="module")
def people(wall_redis: redis.Redis, wall_keys: Keys) -> dict[str, str]:
    """A user per role of the loop: role → user name."""
    made = {"duty": "con.duty", "handler": "con.handler", "inspector": "con.inspector"}
    for role, name in made.items():
        team = "enforce-central" if role == "handler" else None
        add_user(wall_redis, wall_keys, name, PASSWORD, role=role, display_name=f"{role} 测试",
                 team=team, now=time.time())  # fmt: skip
    return made


def sign_in(
    browser: Browser, server: WallServer, name: str, opened: list[BrowserContext]
) -> tuple[BrowserContext, Page]:
    ready = f"#{ids.CONSOLE_QUEUE} .ag-root"
    return signed_in(browser, f"{server.url}/console", (name, PASSWORD), opened, ready,
                     init_script=CLICKS, viewport=DESK)  # fmt: skip


def made(r: redis.Redis, keys: Keys, *case_ids: str) -> None:
    """Wait until the engine has made these cases."""
    deadline = time.monotonic() + 20
    while not all(r.exists(keys.case(c)) for c in case_ids):
        assert time.monotonic() < deadline, f"the engine did not make {case_ids}"
        time.sleep(0.05)


def open_case(page: Page, case_id: str) -> None:
    row = page.locator(f"#{ids.CONSOLE_QUEUE} .ag-row[row-id='{case_id}']")
    row.first.wait_for(timeout=TIMEOUT_MS)
    row.first.click()
    page.wait_for_function(
        f"() => document.getElementById('{ids.CONSOLE_CASE}')?.innerText.includes('{case_id}')",
        timeout=TIMEOUT_MS,
    )


def buttons(page: Page) -> list[str]:
    return [b.strip() for b in page.locator(".console-act").all_inner_texts()]


# When a person's click reached a button (not when the test asked for it: Playwright first
# waits for the button to hold still).
CLICKS = (
    "document.addEventListener('click', (e) => { if (e.target.closest('.console-act')) "
    "window.__clickedAt = Date.now(); }, true);"
)


def press(page: Page, label: str, reason: str = "") -> float:
    """Click the action's button (with a reason typed first); when it was clicked (ms)."""
    page.locator(".console-act", has_text=label).first.wait_for(timeout=TIMEOUT_MS)
    if reason:
        page.fill(f"#{ids.CONSOLE_REASON}", reason)
    SAID[id(page)] = page.locator(f"#{ids.CONSOLE_OUTCOME}").inner_text()
    page.locator(".console-act", has_text=label).first.click()
    clicked: float = page.evaluate("() => window.__clickedAt")
    return clicked


SAID: dict[int, str] = {}  # each page's outcome line before its last click


def outcome(page: Page) -> str:
    """The outcome line once it says something new since the last click (each names its
    time)."""
    since = SAID.get(id(page), "")
    line = page.locator(f"#{ids.CONSOLE_OUTCOME}")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        said = line.inner_text()
        if said.strip() and said != since:
            return said
        time.sleep(0.02)
    raise AssertionError(f"no new outcome within {TIMEOUT_MS} ms (still {since!r})")


WALL_STAGE = (
    "([caseId, stage]) => {"
    f" const api = window.dash_ag_grid && dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}');"
    " const node = api && api.getRowNode(caseId);"
    " return stage === null ? !node : Boolean(node && node.data.stage_label === stage); }"
)


def on_wall(wall: Page, case_id: str, stage: str | None, since: float) -> float:
    """Wait until the wall's queue shows the case at ``stage`` (None: gone); ms since ``since``."""
    wall.wait_for_function(WALL_STAGE, arg=[case_id, stage], timeout=TIMEOUT_MS)
    now: float = wall.evaluate("() => Date.now()")
    return now - since


def test_the_loop_round_the_console_each_step_on_the_wall_within_a_second(
    browser: Browser,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    engine: Engine,
    people: dict[str, str],
    opened: list[BrowserContext],
) -> None:
    at = reported_now()
    push(wall_redis, wall_keys, [
        urban_record(801, sbsj=at, xlbm="9999", xlmc="无", wtms="控制台测试案件"),
        urban_record(802, 120.30, 31.75, sbsj=at, xlbm="9999", xlmc="无", wtms="另一村的案件"),
    ])  # fmt: skip
    made(wall_redis, wall_keys, CASE, OTHER)
    village = orjson.loads(wall_redis.get(wall_keys.case(CASE)) or "{}")["village"]
    assert orjson.loads(wall_redis.get(wall_keys.case(OTHER)) or "{}")["village"] != village

    lags: dict[str, float] = {}
    for wall in open_wall(browser, f"{wall_server.url}/wall"):
        on_wall(wall.page, CASE, "上报", 0)
        _, duty = sign_in(browser, wall_server, people["duty"], opened)
        # Find it with the filters: its village and its stage; the address keeps them.
        choose(duty, "village", village_name(village))
        choose(duty, "stage", "上报")
        duty.wait_for_function(
            "(v) => window.location.search.includes('village=' + v)", arg=village,
            timeout=TIMEOUT_MS,
        )  # fmt: skip
        # The other language's link keeps the filters the address has now.
        duty.wait_for_function(
            f"(v) => {{ const a = document.getElementById('{ids.CONSOLE_LANG}');"
            " return a.href.includes('village=' + v) && a.href.includes('lang=en'); }",
            arg=village,
            timeout=TIMEOUT_MS,
        )
        rows = duty.locator(f"#{ids.CONSOLE_QUEUE} .ag-row")
        duty.wait_for_function(
            f"() => !document.querySelector('#{ids.CONSOLE_QUEUE} [row-id=\"{OTHER}\"]')",
            timeout=TIMEOUT_MS,
        )
        assert rows.count() >= 1
        open_case(duty, CASE)
        assert "结案" not in buttons(duty) and "签收" not in buttons(duty)  # not in 上报
        lags["立案"] = on_wall(wall.page, CASE, "立案", press(duty, "立案"))
        assert "：已办理" in outcome(duty)
        pick(duty, ids.CONSOLE_DEPARTMENT, "综合执法一中队（镇区）")  # the handler's team
        since = press(duty, "派遣")
        assert "：已办理" in outcome(duty)
        lags["派遣"] = on_wall(wall.page, CASE, "派遣", since)

        _, handler = sign_in(browser, wall_server, people["handler"], opened)
        handler.goto(f"{wall_server.url}/console?case={CASE}")
        handler.wait_for_function(
            f"() => document.getElementById('{ids.CONSOLE_CASE}')?.innerText.includes('{CASE}')",
            timeout=TIMEOUT_MS,
        )
        assert "立案" not in buttons(handler) and "核查通过" not in buttons(handler)
        lags["签收"] = on_wall(wall.page, CASE, "签收", press(handler, "签收"))
        assert "：已办理" in outcome(handler)
        lags["处置反馈"] = on_wall(
            wall.page, CASE, "处置反馈", press(handler, "处置反馈", "已拖离现场")
        )
        assert "：已办理" in outcome(handler)

        _, inspector = sign_in(browser, wall_server, people["inspector"], opened)
        inspector.goto(f"{wall_server.url}/console?case={CASE}")
        inspector.locator(".console-act", has_text="核查通过").wait_for(timeout=TIMEOUT_MS)
        lags["核查"] = on_wall(wall.page, CASE, "核查", press(inspector, "核查通过"))
        assert "：已办理" in outcome(inspector)

        duty.locator(".console-act", has_text="结案").wait_for(timeout=TIMEOUT_MS)
        lags["结案"] = on_wall(wall.page, CASE, None, press(duty, "结案"))
        assert "：已办理" in outcome(duty)
        assert wall.errors == []
    print(f"console → wall (ms): {lags}")
    assert all(lag <= WALL_WITHIN_MS for lag in lags.values()), lags


def choose(page: Page, name: str, label: str) -> None:
    """Pick ``label`` in the filter ``name`` as a person does: open it, type, pick."""
    pick(page, ids.console_filter(name), label)


def pick(page: Page, element: str, label: str) -> None:
    box = page.locator(f"#{element}")
    box.click()
    page.keyboard.type(label)
    page.get_by_role("option", name=label, exact=True).first.click()


def village_name(code: str) -> str:
    return str(default_town().l1.at[code, "name"])


def test_a_refusal_shows_its_reason_when_the_stage_moved_meanwhile(
    browser: Browser,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    engine: Engine,
    people: dict[str, str],
    opened: list[BrowserContext],
) -> None:
    push(wall_redis, wall_keys, [urban_record(803, sbsj=reported_now(), xlbm="9999", xlmc="无")])
    case = "urban:T-000803"
    made(wall_redis, wall_keys, case)
    _, first = sign_in(browser, wall_server, people["duty"], opened)
    _, second = sign_in(browser, wall_server, people["duty"], opened)
    for page in (first, second):
        page.goto(f"{wall_server.url}/console?case={case}")
        page.locator(".console-act", has_text="立案").wait_for(timeout=TIMEOUT_MS)
    # The second page's refresh stops (as between two of its reads: its interval is turned
    # off), so it still offers 立案 once the first has registered the case.
    second.evaluate(
        f"() => window.dash_clientside.set_props('{ids.CONSOLE_TICK}', {{disabled: true}})"
    )
    # The first registers it by keyboard: Alt and 立案's key.
    assert first.locator(".console-act", has_text="立案").get_attribute("aria-keyshortcuts") == (
        "Alt+R"
    )
    SAID[id(first)] = first.locator(f"#{ids.CONSOLE_OUTCOME}").inner_text()
    first.keyboard.press("Alt+r")
    assert "立案：已办理" in outcome(first)
    press(second, "立案")
    said: Any = outcome(second)
    assert "案件处于立案阶段，不能立案" in said, said


def test_a_duty_officer_merges_a_case_into_one_found_nearby_or_by_its_number(
    browser: Browser,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    engine: Engine,
    people: dict[str, str],
    opened: list[BrowserContext],
) -> None:
    at = reported_now()
    here = (120.3990, 31.7810)
    there = offset(*here, 200, 0)  # 200 m east: beyond the 30 m a duplicate joins within
    push(wall_redis, wall_keys, [
        urban_record(811, *here, sbsj=at, wtms="路口违停"),
        urban_record(812, *there, sbsj=at, wtms="同一辆车又停在东侧"),
    ])  # fmt: skip
    parent, child = "urban:T-000811", "urban:T-000812"
    made(wall_redis, wall_keys, parent, child)
    _, duty = sign_in(browser, wall_server, people["duty"], opened)
    duty.goto(f"{wall_server.url}/console?case={child}")
    duty.locator(".console-act", has_text="合并").wait_for(timeout=TIMEOUT_MS)
    # The parent is offered as the nearest case of its kind, with its distance.
    box = duty.locator(f"#{ids.CONSOLE_PARENT}")
    box.click()
    option = duty.get_by_role("option").filter(has_text=parent)
    option.first.wait_for(timeout=TIMEOUT_MS)
    metres = re.search(r"相距 ([\d,]+) 米", option.first.inner_text())
    assert metres is not None and 190 <= int(metres.group(1).replace(",", "")) <= 210
    option.first.click()
    press(duty, "合并", "同一车辆重复上报")
    assert "合并：已办理" in outcome(duty)
    merged = orjson.loads(wall_redis.get(wall_keys.case(child)) or "{}")
    assert (merged["stage"], merged["parent"]) == ("merged", parent)
