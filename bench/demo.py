"""The whole system as `make demo` runs it, with /wall open in Chromium at 3840×2160."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from tests.support.access import demo_accounts, screen
from tests.support.browser import launch
from tests.support.system import running_demo

WALL_4K = {"width": 3840, "height": 2160}


@contextmanager
def wall_on_demo(
    *, simulate: bool, timeout_ms: int = 30_000
) -> Iterator[tuple[str, Page, dict[str, Any]]]:
    """(base URL, the wall's page, the demo's credentials) once its queue grid is up;
    everything stops afterwards."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_demo(Path(tmp), simulate=simulate) as base,
        sync_playwright() as pw,
    ):
        browser = launch(pw)
        page = browser.new_page(viewport=WALL_4K)
        page.goto(screen(f"{base}/wall"))  # as a screen: its wall token, then its cookie
        page.wait_for_selector(".ag-root", timeout=timeout_ms)
        try:
            yield base, page, demo_accounts(Path(tmp))
        finally:
            browser.close()
