"""`make demo` as a new user sees it after ten minutes: does it look like a working day?

Starts `towncc demo` on an empty store (with its history, its simulator and its simulated
staff), waits, then reads the API as the demo's duty officer and prints, each beside its
bound (issue 16's acceptance):

- among open cases with a first-response deadline, the share overdue (≤ 20 %);
- closed cases whose whole lifecycle (签收, 处置, 核查, 结案) was done by the simulated staff (> 0);
- today's 结案率 (90–97 %) and 按期结案率 (70–90 %) from `/api/kpi`;
- the open cases by stage (a working queue, not a backlog).

    python -m bench.demo_day [--minutes 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.machine import describe
from core.times import beijing
from tests.support.access import demo_accounts
from tests.support.system import running_demo

LIFECYCLE = ("accepted", "handled", "verified", "closed")


def read_all(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while url:
        answer = client.get(url)
        answer.raise_for_status()
        found += answer.json()
        url = answer.links.get("next", {}).get("url", "")
    return found


def figures(base: str, token: str) -> dict[str, Any]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
        open_cases = read_all(c, "/api/cases?status=open&limit=1000")
        with_clock = [x for x in open_cases if x.get("response_due")]
        overdue = [x for x in with_clock if x.get("overdue")]
        closed = read_all(c, "/api/cases?status=closed&limit=1000")
        by_staff = 0
        for case in closed[:200]:
            history = c.get(f"/api/cases/{case['id']}").json()["history"]
            done = [h["type"] for h in history if h.get("command_id")]
            by_staff += all(step in done for step in LIFECYCLE)
        today = beijing(datetime.now(UTC)).date().isoformat()
        kpi = c.get(f"/api/kpi?period={today}").json()
    return {
        "open": len(open_cases),
        "stages": Counter(x["stage"] for x in open_cases),
        "with_clock": len(with_clock),
        "overdue": len(overdue),
        "closed_read": min(len(closed), 200),
        "closed_by_staff": by_staff,
        "kpi": kpi["town"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--history-hours", type=float, default=30)
    args = parser.parse_args()
    print(describe())
    with tempfile.TemporaryDirectory() as tmp:
        began = time.monotonic()
        with running_demo(Path(tmp), history_hours=args.history_hours) as base:
            up = time.monotonic() - began
            print(f"the wall answered in {up:.0f} s (the history is made meanwhile, then the "
                  "engine, the simulator and the staff start); waiting")  # fmt: skip
            time.sleep(args.minutes * 60)
            token = demo_accounts(Path(tmp))["tokens"]["duty"]
            found = figures(base, token)
    kpi = found["kpi"]
    share = found["overdue"] / found["with_clock"] if found["with_clock"] else 0.0
    closure, on_time = kpi["closure_rate"]["percent"], kpi["on_time_rate"]["percent"]
    print(f"after {args.minutes:g} minutes of the demo, {args.history_hours:g} hours of history:")
    print(f"  first response overdue: {found['overdue']} of {found['with_clock']} open cases "
          f"with the clock = {share:.0%} (ceiling 20 %)")  # fmt: skip
    print(f"  closed with a whole lifecycle by the staff: {found['closed_by_staff']} of the "
          f"{found['closed_read']} newest closed (floor 1)")  # fmt: skip
    print(f"  today's 结案率 {closure} % (90–97), 按期结案率 {on_time} % (70–90), over "
          f"{kpi['due_to_close']} cases due; 返工率 {kpi['rework_rate']['percent']} %, "
          f"延期率 {kpi['extension_rate']['percent']} %")  # fmt: skip
    print(f"  open: {found['open']} by stage {dict(found['stages'])}")
    ok = (
        share <= 0.20
        and found["closed_by_staff"] > 0
        and closure is not None and 90 <= closure <= 97
        and on_time is not None and 70 <= on_time <= 90
    )  # fmt: skip
    print("within every bound" if ok else "OUTSIDE A BOUND")


if __name__ == "__main__":
    main()
