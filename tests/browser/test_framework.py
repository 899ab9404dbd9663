"""Pages chosen by their address with no Referer sent at all, and the browser side's framework
internals (assets/framework.js) still there and still working, in Debian's Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from dashboard import ids
from dashboard.filters import describe, filter_of
from dashboard.framework import CHECKED_AGAINST, LAYOUT_ROUTE, PAGE_PARAM
from dashboard.i18n import t
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
DESK = {"width": 1920, "height": 1080}
PAGES = ("/wall", "/admin")
# What a proxy that strips the Referer leaves: the browser sends none from the page.
NO_REFERRER = '<meta name="referrer" content="no-referrer">'
TICKS = 5  # clock ticks watched for the undo list
TICKS_NOW = f"(window.dash_component_api.getLayout('{ids.WALL_CLOCK_TICK}').props.n_intervals || 0)"


def installed() -> str:
    found = ", ".join(f"{name} {version(name)}" for name in CHECKED_AGAINST)
    return f"installed: {found}; checked against {dict(CHECKED_AGAINST)}"


@contextmanager
def without_referrer(
    browser: Browser, url: str, server: WallServer
) -> Iterator[tuple[Page, Request, list[str]]]:
    """The page at ``url`` whose document asks for no Referer; its layout request; its errors.
    Seen by the server's admin, signed in (an admin may see every page)."""
    # A document the test fulfils has no address of its own, so Chromium takes it for a public
    # one and blocks its socket to this loopback server (the wall's rows link) as a local
    # network access; a page the server sends is on its server's own address.
    context = browser.new_context(viewport=DESK, permissions=["local-network-access"])
    username, password = server.admin
    signed = context.request.post(
        f"{server.url}/auth/login", data={"username": username, "password": password}
    )
    assert signed.ok, signed.text()

    def strip(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace("<head>", f"<head>{NO_REFERRER}", 1)
        route.fulfill(response=response, body=body)

    context.route(lambda address: urlsplit(address).path in PAGES, strip)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        with page.expect_request(lambda r: urlsplit(r.url).path.endswith(LAYOUT_ROUTE)) as asked:
            page.goto(url)
        yield page, asked.value, errors
    finally:
        context.close()


def named_page(request: Request) -> str:
    return parse_qs(urlsplit(request.url).query).get(PAGE_PARAM, [""])[0]


def test_admin_is_the_admin_page_in_its_language_with_no_referer_sent(
    browser: Browser, wall_server: WallServer
) -> None:
    url = f"{wall_server.url}/admin?lang=en"
    with without_referrer(browser, url, wall_server) as (page, asked, errors):
        expect(page.locator(".admin-panel-title").first).to_have_text(t("admin.feeds", "en"))
        expect(page.locator(f"#{ids.ADMIN_ROOT}")).to_be_visible()
        assert page.locator(f"#{ids.WALL_ROOT}").count() == 0
        assert "referer" not in asked.all_headers()
        assert named_page(asked) == "/admin?lang=en", (
            f"assets/framework.js did not name the page on {LAYOUT_ROUTE} ({installed()})"
        )
        assert errors == []


def test_the_wall_keeps_its_language_and_filter_with_no_referer_and_its_internals_hold(
    browser: Browser, wall_server: WallServer
) -> None:
    address = "/wall?lang=en&feed=urban"
    url = f"{wall_server.url}{address}"
    with without_referrer(browser, url, wall_server) as (page, asked, errors):
        page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
        assert "referer" not in asked.all_headers() and named_page(asked) == address
        filter_text = describe(filter_of({"feed": ["urban"]}), "en")
        expect(page.locator(f"#{ids.WALL_QUEUE_FILTER}")).to_have_text(filter_text)
        expect(page.locator(".wall-queue .wall-panel-title")).to_contain_text(
            t("queue.title", "en")
        )
        assert page.locator(f"#{ids.ADMIN_ROOT}").count() == 0

        # The map's graph exists once plotly (an async chunk) has drawn it.
        page.wait_for_selector(".maplibregl-canvas", timeout=30_000)
        problems = page.evaluate(
            "ids => window.towncc_framework.check(ids)",
            {"grid": ids.WALL_QUEUE_GRID, "graph": ids.WALL_MAP},
        )
        assert problems == [], f"{problems} ({installed()}): see assets/framework.js"

        # Every clock tick is an input change Dash records for undo; the wall trims the list.
        start = page.evaluate(f"() => {TICKS_NOW}")
        page.wait_for_function(f"n => {TICKS_NOW} >= n", arg=start + TICKS, timeout=20_000)
        entries = page.evaluate("() => window.towncc_framework.undoEntries()")
        assert entries is not None and entries < TICKS, (
            f"Dash's undo list holds {entries} entries after {TICKS} ticks ({installed()}): "
            "trimHistory in assets/framework.js no longer trims it"
        )
        assert errors == []
