"""The leaders' tablet with 100,000 cases in Redis, in a real Chromium: the town overview's
first paint and each drill-down step (town → village → grid → case, and back).

A private Redis holds a year of synthetic cases written by the engine's own transaction
(tests/support/synthetic.py: case, indexes, counters, facets, KPI buckets; 20 % open).
`towncc serve` runs as `make demo` runs it, with access control on; a leader signs in once.
Chromium (Debian's, software rendering) at 1024×768 with touch emulation.

- First paint: a fresh load of `/tablet` (the browser's cache warm, as a tablet's is after its
  first visit), from navigation start to the frame after the town's KPI tiles are in the
  page (a MutationObserver installed before the page's scripts, then requestAnimationFrame),
  beside the browser's own first-contentful-paint. Ceiling 1,500 ms.
- A drill-down step: from the tap (the touchstart event's time) to the frame after the next
  view's title is in the page. Steps over every village in turn: tap the village, tap its
  first grid, tap the grid's newest case, back to the grid, back to the village... then
  back to the town. Ceiling 300 ms per step; the p50, p95 and the slowest are printed.

Usage: python -m bench.tablet [--cases 100000] [--loads 10] [--villages 8]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from playwright.sync_api import Page, sync_playwright

from access.users import add_user
from bench.machine import describe
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from dashboard import ids
from layers.town import default_town
from tests.support.browser import launch
from tests.support.synthetic import seed, synthetic, template
from tests.support.system import running_serve
from towncc.embedded import EmbeddedRedis

FIRST_PAINT_MS = 1_500
STEP_MS = 300
SIZE = {"width": 1024, "height": 768}
PASSWORD = "a bench leader's password"  # noqa: S105  # a throwaway account's
MAXMEMORY = 8 * 1024**3

# Installed before the page's own scripts: when each view's marker first appears, the time of
# the next frame (performance.now(): from navigation start); and the time of each touch.
WATCH = (
    (
        """
window.__tablet = {views: [], taps: []};
document.addEventListener('touchstart', () => window.__tablet.taps.push(performance.now()),
                          {capture: true});
new MutationObserver(() => {
  const kpis = document.getElementById('KPIS');
  const title = document.querySelector('#VIEW h2.tablet-title, #VIEW h2.console-case-title');
  const mark = kpis ? 'town' : (title ? 'title:' + title.innerText : null);
  const shown = window.__tablet.views;
  if (mark && (shown.length === 0 || shown[shown.length - 1].mark !== mark)) {
    const entry = {mark: mark, at: null};
    shown.push(entry);
    requestAnimationFrame(() => { entry.at = performance.now(); });
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
    )
    .replace("KPIS", ids.TABLET_TOWN_KPIS)
    .replace("VIEW", ids.TABLET_VIEW)
)


def views(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("() => window.__tablet.views")
    return found


def wait_view(page: Page, count: int) -> dict[str, Any]:
    """The count-th view once painted."""
    page.wait_for_function(
        "(n) => window.__tablet.views.length >= n && window.__tablet.views[n - 1].at !== null",
        arg=count,
        timeout=30_000,
    )
    return views(page)[count - 1]


def first_paint(page: Page, url: str) -> tuple[float, float]:
    """Town overview painted (ms from navigation start), and the browser's FCP."""
    page.goto(url)
    town = wait_view(page, 1)
    fcp: float = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || 0"
    )
    return float(town["at"]), fcp


def step(page: Page, target: Any, count: int) -> float:
    """Tap ``target`` (a locator; None: the browser's back) and time it to the next view."""
    taps_before = len(page.evaluate("() => window.__tablet.taps"))
    if target is None:
        started: float = page.evaluate("() => performance.now()")
        page.go_back()
    else:
        target.tap()
        page.wait_for_function("(n) => window.__tablet.taps.length > n", arg=taps_before)
        started = page.evaluate(f"() => window.__tablet.taps[{taps_before}]")
    shown = wait_view(page, count)
    return float(shown["at"]) - started


def summary(name: str, values: list[float], ceiling: float) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    verdict = "ok" if ordered[-1] <= ceiling else "OVER"
    return (
        f"{name:<22}{len(values):>5}{statistics.median(values):>9.0f}{p95:>9.0f}"
        f"{ordered[-1]:>9.0f}{ceiling:>9.0f} {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=10, help="fresh loads of the overview")
    parser.add_argument("--villages", type=int, default=8, help="villages drilled into")
    args = parser.parse_args()
    print(describe())
    town = default_town()
    keys = Keys(Settings().key_prefix)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with EmbeddedRedis(folder / "redis", appendonly=False, maxmemory=MAXMEMORY) as server:
            r = redis.Redis.from_url(server.url, decode_responses=True)
            base = template(r, Geography(town))
            now = datetime.now(UTC)
            started = time.perf_counter()
            seed(r, keys, synthetic(base, town, args.cases, now, seed=args.cases), now)
            opened = int(r.zcard(keys.open_cases))
            print(f"{args.cases:,} cases ({opened:,} open) seeded in "
                  f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            add_user(r, keys, "bench.leader", PASSWORD, role="leader", display_name="带班领导",
                     now=time.time())  # fmt: skip
            with running_serve(server.url, folder / "data") as (_, url), sync_playwright() as pw:
                browser = launch(pw)
                context = browser.new_context(viewport=SIZE, has_touch=True)
                context.add_init_script(WATCH)
                page = context.new_page()
                page.goto(f"{url}/tablet")
                page.fill("#username", "bench.leader")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                wait_view(page, 1)
                paints, fcps = [], []
                for _ in range(args.loads + 1):
                    painted, fcp = first_paint(page, f"{url}/tablet")
                    paints.append(painted)
                    fcps.append(fcp)
                paints, fcps = paints[1:], fcps[1:]  # the first load warms the server
                steps: dict[str, list[float]] = {"village": [], "grid": [], "case": [],
                                                 "back": [], "town": []}  # fmt: skip
                codes = [str(c) for c in town.l1.index][: args.villages]
                for village in codes:
                    page.goto(f"{url}/tablet")
                    wait_view(page, 1)
                    n = 2
                    link = page.locator(f"[data-village='{village}'] a")
                    steps["village"].append(step(page, link, n))
                    n += 1
                    steps["grid"].append(step(page, page.locator("[data-grid] a").first, n))
                    n += 1
                    steps["case"].append(step(page, page.locator("[data-case] a").first, n))
                    n += 1
                    steps["back"].append(step(page, None, n))
                    n += 1
                    town_link = page.locator(".tablet-crumbs a").first
                    steps["town"].append(step(page, town_link, n))
                browser.close()
    print(f"tablet at {SIZE['width']}×{SIZE['height']} with touch; ms; ceiling per row")
    print(f"{'':<22}{'runs':>5}{'p50':>9}{'p95':>9}{'max':>9}{'ceiling':>9}")
    print(summary("town first paint", paints, FIRST_PAINT_MS))
    print(f"{'  (browser FCP p50)':<22}{len(fcps):>5}{statistics.median(fcps):>9.0f}")
    for name, values in steps.items():
        print(summary(f"tap → {name}", values, STEP_MS))


if __name__ == "__main__":
    main()
