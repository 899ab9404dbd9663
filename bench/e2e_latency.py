"""POST /api/ingest/urban → the case's row visible on the wall in a real Chromium.

Runs the whole system as `make demo` does (embedded Redis, engine, wall; no simulator),
opens /wall at 3840×2160, then POSTs records one at a time and takes, for each, the time
from just before the POST to the moment a MutationObserver in the page sees its row.
Both clocks are this machine's wall clock (Python's time.time and the page's Date.now).

Usage: python -m bench.e2e_latency [--records 100]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page

from bench.demo import wall_on_demo
from bench.machine import describe
from core.times import beijing
from tests.support.access import bearer
from tests.support.urban import lattice_point, urban_record

OBSERVER = """() => {
  window.__seen = {};
  new MutationObserver((mutations) => {
    const now = Date.now();
    for (const m of mutations) for (const node of m.addedNodes) {
      if (!(node instanceof Element)) continue;
      const rows = node.matches('[row-id]') ? [node] : node.querySelectorAll('[row-id]');
      for (const row of rows) {
        const id = row.getAttribute('row-id');
        if (!(id in window.__seen)) window.__seen[id] = now;
      }
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def measure(
    page: Page, base: str, count: int, run: str, feed_token: str, first: int = 0
) -> list[float]:
    """Records ``first``… one at a time, each at its own point (none merged as a duplicate)."""
    latencies = []
    with httpx.Client(base_url=base, timeout=10, headers=bearer(feed_token)) as client:
        for n in range(first, first + count):
            now = f"{beijing(datetime.now(UTC)):%Y-%m-%d %H:%M:%S}"
            record = urban_record(n, *lattice_point(n), ajbh=f"BENCH-{run}-{n:04d}", sbsj=now)
            started = time.time() * 1000
            client.post("/api/ingest/urban", json=record).raise_for_status()
            case_id = f"urban:{record['ajbh']}"
            page.wait_for_function(
                f"() => {case_id!r} in window.__seen", polling="raf", timeout=15_000
            )
            latencies.append(page.evaluate(f"() => window.__seen[{case_id!r}]") - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100)
    args = parser.parse_args()
    with wall_on_demo(simulate=False) as (base, page, accounts):
        page.evaluate(OBSERVER)
        feed_token = accounts["feed_tokens"]["urban"]
        measure(page, base, 5, "warmup", feed_token)
        run = str(int(time.time()))
        latencies = measure(page, base, args.records, run, feed_token, first=5)
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    print(describe())
    print(f"POST → row visible, {len(latencies)} records, one at a time, wall at 3840×2160:")
    print(
        f"  p50 {quantiles[49]:.0f} ms   p95 {quantiles[94]:.0f} ms   max {max(latencies):.0f} ms"
    )


if __name__ == "__main__":
    main()
