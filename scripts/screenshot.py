"""Take the README's picture of the wall: the demo as `make demo` runs it, after a minute.

Usage: python -m scripts.screenshot [--out docs/wall.jpg] [--settle 60]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.support.browser import launch
from tests.support.system import running_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/wall.jpg"))
    parser.add_argument("--settle", type=float, default=60, help="seconds of live data first")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_demo(Path(tmp)) as base,
        sync_playwright() as pw,
    ):
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 3840, "height": 2160})
        page.goto(f"{base}/wall")
        page.wait_for_selector(".maplibregl-canvas", timeout=60_000)
        page.wait_for_timeout(args.settle * 1000)
        page.screenshot(path=args.out, type="jpeg", quality=80)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
