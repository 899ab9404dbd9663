"""/admin in Chromium at 1920×1080: dead letters as literal text, their counts, the feeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest
import redis
from playwright.sync_api import Browser, Locator, expect

from core.keys import Keys
from dashboard import ids
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from tests.browser.conftest import WallPage
from tests.support.urban import urban_record
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
DESK = {"width": 1920, "height": 1080}
MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>"
REFRESH_MS = 12_000  # the page refreshes every 5 s
DEAD = f"#{ids.ADMIN_DEAD_GRID}"


@pytest.fixture(scope="module")
def intake(wall_redis: redis.Redis, wall_keys: Keys) -> None:
    """One good urban record, one body that is not JSON (markup), one record with no id."""
    now = datetime.now(UTC)
    sink = RedisSink(wall_keys, 10_000)
    good = orjson.dumps(urban_record(1, sbsj=f"{now:%Y-%m-%d %H:%M:%S}"))
    assert sink.write(wall_redis, FEEDS["urban"].parse(good, now)).accepted == 1
    assert sink.write(wall_redis, FEEDS["urban"].parse(MARKUP.encode(), now)).deadlettered == 1


def open_admin(
    browser: Browser, url: str, account: tuple[str, str], wrong: str = "用户名或密码错误"
) -> Iterator[WallPage]:
    """The admin page as a person reaches it: sent to sign in, and back once signed in."""
    context = browser.new_context(viewport=DESK)
    admin = WallPage(context.new_page())
    admin.page.on("console", lambda m: admin.errors.append(m.text) if m.type == "error" else None)
    admin.page.on("pageerror", lambda e: admin.errors.append(str(e)))
    admin.page.on("dialog", lambda d: (admin.dialogs.append(d.message), d.dismiss()))
    admin.page.goto(url)
    expect(admin.page).to_have_url(re.compile(r"/login\?next=%2Fadmin"))
    admin.page.fill("#username", account[0])
    admin.page.fill("#password", "not the password")
    admin.page.click("button[type=submit]")
    expect(admin.page.locator("#signin-message")).to_have_text(wrong)
    admin.page.fill("#password", account[1])
    admin.page.click("button[type=submit]")
    admin.page.wait_for_selector(f"{DEAD} .ag-row", timeout=30_000)
    assert urlsplit(admin.page.url).path == "/admin"  # back where it asked to go
    assert [e for e in admin.errors if "401" not in e] == []  # (the wrong password's answer)
    admin.errors.clear()
    yield admin
    context.close()


@pytest.fixture
def admin(browser: Browser, wall_server: WallServer, intake: None) -> Iterator[WallPage]:
    yield from open_admin(browser, f"{wall_server.url}/admin", wall_server.admin)


def cell(admin: WallPage, grid: str, text: str, column: str) -> Locator:
    return admin.page.locator(f"#{grid} .ag-row", has_text=text).locator(f"[col-id={column}]")


def test_a_dead_letter_with_markup_is_listed_as_literal_text_with_its_counts_and_the_feeds(
    admin: WallPage, screenshots: Path
) -> None:
    page = admin.page
    raw = cell(admin, ids.ADMIN_DEAD_GRID, "malformed JSON", "raw")
    expect(raw).to_have_count(1)
    assert raw.inner_text() == MARKUP
    expect(cell(admin, ids.ADMIN_DEAD_GRID, "malformed JSON", "feed")).to_have_text("数字城管")
    expect(page.locator(f"#{ids.ADMIN_COUNTS_GRID} .ag-row")).to_have_count(1)
    counts = page.locator(f"#{ids.ADMIN_COUNTS_GRID} .ag-row").first
    expect(counts.locator("[col-id=reason]")).to_have_text("malformed JSON")
    expect(counts.locator("[col-id=count]")).to_have_text("1")
    feeds = page.locator(f"#{ids.ADMIN_FEEDS_GRID} .ag-row")
    expect(feeds).to_have_count(len(FEEDS))
    urban = cell(admin, ids.ADMIN_FEEDS_GRID, "数字城管", "status_text")
    expect(urban).to_have_text("正常")
    expect(cell(admin, ids.ADMIN_FEEDS_GRID, "数字城管", "records")).to_have_text("1")
    expect(cell(admin, ids.ADMIN_FEEDS_GRID, "数字城管", "dead_letters")).to_have_text("1")
    expect(cell(admin, ids.ADMIN_FEEDS_GRID, "党建", "status_text")).to_have_text("从未接收")

    raw.click()  # the detail panel: the whole payload, as text
    expect(page.locator(f"#{ids.ADMIN_DEAD_DETAIL} pre")).to_have_text(MARKUP)
    page.mouse.move(0, 0)
    raw.hover()
    expect(page.locator(".ag-tooltip")).to_have_text(MARKUP)
    page.screenshot(path=screenshots / "admin.png")
    page.locator(f"#{ids.ADMIN_DEAD_DETAIL}").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "admin-detail.png")
    assert page.locator(f"#{ids.ADMIN_ROOT} script, #{ids.ADMIN_ROOT} img").count() == 0
    assert admin.dialogs == []
    assert admin.errors == []


def test_a_dead_letter_arriving_later_shows_up_on_the_next_refresh(
    admin: WallPage, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    body = orjson.dumps({"wtms": "no case number"})
    now = datetime.now(UTC)
    assert RedisSink(wall_keys, 10_000).write(wall_redis, FEEDS["urban"].parse(body, now))
    rows = admin.page.locator(f"{DEAD} .ag-center-cols-container .ag-row")
    expect(rows).to_have_count(2, timeout=REFRESH_MS)
    expect(admin.page.locator(f"#{ids.ADMIN_COUNTS_GRID} .ag-row")).to_have_count(
        2, timeout=REFRESH_MS
    )
    assert admin.errors == []


def test_lang_en_gives_an_english_admin_page(
    browser: Browser, wall_server: WallServer, intake: None
) -> None:
    url, account = f"{wall_server.url}/admin?lang=en", wall_server.admin
    for admin in open_admin(browser, url, account, "Wrong user name or password"):
        expect(admin.page.locator(".admin-panel-title").first).to_have_text("Feeds")
        expect(cell(admin, ids.ADMIN_FEEDS_GRID, "Party", "status_text")).to_have_text("Never")
        expect(admin.page.locator(f"{DEAD} .ag-header")).to_contain_text("Raw payload")
        assert admin.errors == []


def test_after_signing_in_a_page_goes_only_to_a_page_of_this_site(
    browser: Browser, wall_server: WallServer
) -> None:
    """`next` is read as the browser reads an address: "/<tab>/other.example" is another site."""
    context = browser.new_context(viewport=DESK)
    try:
        page = context.new_page()
        page.goto(f"{wall_server.url}/login?next=%2F%09%2Fevil.example%2Fx")
        page.fill("#username", wall_server.admin[0])
        page.fill("#password", wall_server.admin[1])
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/wall$"), timeout=30_000)
        assert urlsplit(page.url).netloc == urlsplit(wall_server.url).netloc
    finally:
        context.close()
