"""The real thing: a private Redis, the server as a subprocess, Debian's Chromium at 3840×2160."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from core.keys import Keys
from dashboard import ids
from tests.support.access import screen
from tests.support.browser import launch
from tests.support.webserver import WallServer
from towncc.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 3840, "height": 2160}
_prefixes = itertools.count()


@dataclass
class WallPage:
    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def wall_keys() -> Keys:
    return Keys(f"wall{next(_prefixes)}:")


@pytest.fixture(scope="module")
def wall_redis(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture(scope="module")
def wall_server(
    redis_server: EmbeddedRedis, wall_keys: Keys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WallServer]:
    """The web process on the private Redis, under this module's key prefix."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    server = WallServer(redis_server.url, wall_keys, log).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def wall_url(wall_server: WallServer) -> str:
    return wall_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


SCREENSHOTS_ENV = "TOWNCC_SCREENSHOTS"  # a folder to keep the screenshots in (else pytest's tmp)
_screenshot_dirs: list[Path] = []


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kept = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(kept) if kept else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    _screenshot_dirs.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for folder in _screenshot_dirs:
        terminalreporter.write_line(f"browser screenshots: {folder.resolve()}")


def open_wall(
    browser: Browser, url: str, viewport: dict[str, int] | None = None, **options: Any
) -> Iterator[WallPage]:
    """A page in its own browser context (own profile: own shared socket); `options` go to
    the context (e.g. reduced_motion="reduce": software rendering pays for every frame of
    the ticker's scroll, at 7680 px enough to slow a test threefold)."""
    context = browser.new_context(viewport=viewport or VIEWPORT, **options)
    wall = WallPage(context.new_page())
    wall.page.on("console", lambda m: wall.errors.append(m.text) if m.type == "error" else None)
    wall.page.on("pageerror", lambda e: wall.errors.append(str(e)))
    wall.page.on("dialog", lambda d: (wall.dialogs.append(d.message), d.dismiss()))
    wall.page.goto(screen(url))  # as a screen opens it: its wall token, then its cookie
    wall.page.wait_for_selector(".maplibregl-canvas", timeout=30_000)
    # Green means the push loop is running: anything written from now on must arrive.
    wall.page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
    yield wall
    context.close()


@pytest.fixture
def wall_page(browser: Browser, wall_url: str) -> Iterator[WallPage]:
    yield from open_wall(browser, f"{wall_url}/wall")


@pytest.fixture
def english_wall_page(browser: Browser, wall_url: str) -> Iterator[WallPage]:
    yield from open_wall(browser, f"{wall_url}/wall?lang=en")


@pytest.fixture
def opened() -> Iterator[list[BrowserContext]]:
    """The browser contexts a test signs in with: closed after it, whatever happened."""
    contexts: list[BrowserContext] = []
    yield contexts
    for context in contexts:
        context.close()


def sign_in(
    browser: Browser,
    page_url: str,
    user: tuple[str, str],
    opened: list[BrowserContext],
    ready: str,
    *,
    init_script: str | None = None,
    **context_options: Any,
) -> tuple[BrowserContext, Page]:
    """A person opens ``page_url`` in a context of their own (``context_options``: viewport,
    touch), is sent to the sign-in page, signs in as ``user`` (name, password) and is back
    on the page once ``ready`` (a selector) is there."""
    context = browser.new_context(**context_options)
    opened.append(context)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(page_url)  # no session: to the sign-in page and back
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("button[type=submit]")
    page.wait_for_selector(ready, timeout=30_000)
    return context, page
