"""The wall's rows socket (dashboard/rows_link.py) as a page lives it: one that opens but is
not its push's (behind a proxy that sent it to another server process) is no live wall."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect

from dashboard import ids
from tests.browser.conftest import VIEWPORT
from tests.support.access import screen

pytestmark = [pytest.mark.browser, pytest.mark.redis]


def test_a_page_whose_rows_socket_is_not_its_pushs_shows_the_link_lost_banner(
    browser: Browser, wall_url: str
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    opened: list[str] = []

    def elsewhere(socket: WebSocketRoute) -> None:
        opened.append(socket.url)  # open, and no server behind it: no hello reaches the push

    page.route_web_socket(re.compile(r".*/_wall-rows\b.*"), elsewhere)
    try:
        page.goto(screen(f"{wall_url}/wall"))
        page.wait_for_selector(".maplibregl-canvas", timeout=30_000)
        # Beats keep coming (Dash's socket is fine), and say the push has no rows link.
        expect(page.locator(f"#{ids.WALL_LINK_BANNER}")).to_have_class(
            re.compile(r"\bis-shown\b"), timeout=30_000
        )
        expect(page.locator(f"#{ids.WALL_HEADER_LINK}")).to_have_class(re.compile(r"\bis-down\b"))
        assert opened and "page=" in opened[0]
    finally:
        context.close()
