"""The wall left running: its JS heap under a steady load, and that it never reloads itself.

Runs the whole system as `make demo` does, with the simulator sending about 50 events/s,
opens /wall at 3840×2160 in Chromium and marks the page (a reload would lose the mark).
After a garbage collection the page's JS heap is sampled at the baseline minute and every
minute after; the run passes when the last sample is within 20 % of the baseline and the
mark is still there. The events/s actually sent is counted from the feeds' own figures.

Usage: python -m bench.soak [--minutes 30] [--baseline 5] [--rate 24]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from playwright.sync_api import CDPSession, Page

from bench.demo import wall_on_demo
from bench.machine import describe

LIMIT = 0.20  # the heap at the end within this share of the baseline
MARK = "window.__soak_mark"


def heap_mb(cdp: CDPSession) -> float:
    """The page's used JS heap after a full garbage collection, in MB."""
    cdp.send("HeapProfiler.collectGarbage")
    usage = cdp.send("Runtime.getHeapUsage")
    return float(usage["usedSize"]) / 1e6


def records(page: Page, base: str) -> int:
    """Records accepted so far, over every feed (asked as the wall's screen: its cookie)."""
    feeds = page.request.get(f"{base}/api/feeds", timeout=10_000).json()
    return sum(int(f.get("records") or 0) for f in feeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--baseline", type=float, default=5, help="minute of the baseline")
    parser.add_argument(
        "--rate", type=float, default=24.0,
        help="new urban records/s: with their updates and the other feeds about 50 events/s",
    )  # fmt: skip
    args = parser.parse_args()
    print(describe())
    os.environ["TOWNCC_SIMULATE_RATE"] = str(args.rate)
    with wall_on_demo(simulate=True, timeout_ms=60_000) as (base, page, _):
        page.evaluate(f"() => {{ {MARK} = true; }}")
        cdp = page.context.new_cdp_session(page)
        started, last_count, last_at = time.monotonic(), records(page, base), time.monotonic()
        baseline: float | None = None
        rates: list[float] = []  # events/s in each minute
        minute = 0
        print(f"{'minute':>6}{'heap MB':>10}{'events/s':>10}  rows  reloaded")
        while minute < args.minutes:
            minute += 1
            time.sleep(max(0.0, started + minute * 60 - time.monotonic()))
            heap = heap_mb(cdp)
            count, at = records(page, base), time.monotonic()
            rate, last_count, last_at = (count - last_count) / (at - last_at), count, at
            rates.append(rate)
            rows = page.evaluate("() => document.querySelectorAll('.ag-row').length")
            kept = page.evaluate(f"() => {MARK} === true")
            print(f"{minute:>6}{heap:>10.1f}{rate:>10.1f}{rows:>6}  {'no' if kept else 'YES'}",
                  flush=True)  # fmt: skip
            if minute == round(args.baseline):
                baseline = heap
    assert baseline is not None
    change = (heap - baseline) / baseline
    verdict = "pass" if abs(change) <= LIMIT and kept else "FAIL"
    print(f"\nheap at minute {args.baseline:g}: {baseline:.1f} MB; "
          f"at minute {minute}: {heap:.1f} MB ({change:+.1%}, limit ±{LIMIT:.0%}); "
          f"page reloaded: {'no' if kept else 'yes'}; "
          f"{statistics.median(rates):.1f} events/s (median minute) → {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
