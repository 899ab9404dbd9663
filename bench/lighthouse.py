"""Lighthouse on the pages people use, at each page's target size: performance,
accessibility and best practices, each to be at least 0.9.

A private Redis with 20,000 synthetic cases (tests/support/synthetic.py) and one record of
each module feed; `towncc serve` with access control on; a person of the page's role signed
in over HTTP, Lighthouse given the session's cookie. Lighthouse 12.2.3 (installed with npm
under `var/lighthouse/` on first use; 13.x wants Node 22) drives Debian's Chromium with
software rendering.

- `/tablet` (and its village view, and the analysis): 1024×768, touch (Lighthouse's mobile
  form factor at that size), the network of a town's Wi-Fi simulated (40 ms round trip,
  10 Mbit/s) and the CPU as it is (a tablet is no slower than this 2-core VM).
- `/console`: 1920×1080, desktop, on the centre's own network: no throttling (as
  ../shared/tech-notes.md runs a desktop-size page), the machine as it is.
- The tablet's 应急 view; then, with a 1 km incident declared at the town's centre, the
  tablet and the console in the incident layout, and the incident's report (desktop).

Usage: python -m bench.lighthouse [--pages tablet console]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis

from access.tokens import create_token
from access.users import add_user
from bench.machine import describe
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from layers.town import default_town
from tests.browser.seed import seed_modules
from tests.support.browser import chromium_path
from tests.support.synthetic import seed, synthetic, template
from tests.support.system import running_serve
from towncc.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "var" / "lighthouse"
VERSION = "12.2.3"
FLOOR = 0.9
CATEGORIES = ("performance", "accessibility", "best-practices")
PASSWORD = "a lighthouse bench password"  # noqa: S105  # a throwaway account's
NETWORK = ["--throttling-method=simulate", "--throttling.rttMs=40",
           "--throttling.throughputKbps=10240", "--throttling.cpuSlowdownMultiplier=1"]  # fmt: skip
TABLET = [*NETWORK, "--form-factor=mobile", "--screenEmulation.mobile",
          "--screenEmulation.width=1024", "--screenEmulation.height=768",
          "--screenEmulation.deviceScaleFactor=1"]  # fmt: skip
DESK = ["--throttling-method=provided", "--form-factor=desktop", "--screenEmulation.mobile=false",
        "--screenEmulation.width=1920", "--screenEmulation.height=1080",
        "--screenEmulation.deviceScaleFactor=1"]  # fmt: skip
PAGES: dict[str, tuple[str, str, list[str]]] = {
    "tablet": ("leader", "/tablet", TABLET),
    "tablet-village": ("leader", "/tablet?village=XXK-01", TABLET),
    "tablet-analysis": ("leader", "/tablet?view=analysis", TABLET),
    "console": ("duty", "/console", DESK),
    "tablet-emergency": ("leader", "/tablet?view=emergency", TABLET),
    # Audited last, once an incident is declared (every page then shows its layout):
    "tablet-incident": ("leader", "/tablet", TABLET),
    "console-incident": ("duty", "/console", DESK),
    "report": ("leader", "/incidents/{incident}/report", DESK),
}
AFTER_INCIDENT = ("tablet-incident", "console-incident", "report")


def lighthouse() -> Path:
    found = TOOL / "node_modules" / ".bin" / "lighthouse"
    if not found.exists():
        TOOL.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: Lighthouse comes from the npm registry")
        subprocess.run([npm, "i", "-E", f"lighthouse@{VERSION}", "--no-audit", "--no-fund"],
                       cwd=TOOL, check=True, capture_output=True)  # fmt: skip
    return found


def session(base: str, name: str) -> str:
    answer = httpx.post(f"{base}/auth/login", json={"username": name, "password": PASSWORD},
                        timeout=30)  # fmt: skip
    answer.raise_for_status()
    return f"towncc_session={answer.cookies['towncc_session']}"


def declare(base: str, token: str, town: Any) -> str:
    """A 1 km incident at the town's centre, declared by a leader (every page switches)."""
    body = {"title": "燃气泄漏", "shape": "point", "point": list(town.centre), "radius_m": 1000}
    answer = httpx.post(f"{base}/api/incidents", json=body, timeout=60,
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["id"])


def audit(tool: Path, url: str, cookie: str, shape: list[str], out: Path) -> dict[str, Any]:
    flags = "--headless=new --no-sandbox --enable-unsafe-swiftshader --use-angle=swiftshader"
    headers = json.dumps({"Cookie": cookie})
    args = [str(tool), url, f"--chrome-flags={flags}", "--output=json", f"--output-path={out}",
            "--only-categories=" + ",".join(CATEGORIES), f"--extra-headers={headers}",
            "--quiet", *shape]  # fmt: skip
    subprocess.run(args, check=True, env={"CHROME_PATH": chromium_path(), "PATH": "/usr/bin"})
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def failing(report: dict[str, Any], category: str) -> list[str]:
    """The audits of a category that did not pass, by title."""
    refs = report["categories"][category]["auditRefs"]
    audits = report["audits"]
    return [
        audits[r["id"]]["title"]
        for r in refs
        if r.get("weight") and audits[r["id"]].get("score") not in (None, 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", nargs="+", default=list(PAGES), choices=list(PAGES))
    args = parser.parse_args()
    print(describe())
    tool = lighthouse()
    town = default_town()
    keys = Keys(Settings().key_prefix)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with EmbeddedRedis(folder / "redis", appendonly=False) as server:
            r = redis.Redis.from_url(server.url, decode_responses=True)
            now = datetime.now(UTC)
            seed(r, keys, synthetic(template(r, Geography(town)), town, 20_000, now, seed=3), now)
            seed_modules(r, keys)
            for role in ("leader", "duty"):
                add_user(r, keys, f"lh.{role}", PASSWORD, role=role, display_name=role,
                         now=time.time())  # fmt: skip
            with running_serve(server.url, folder / "data") as (_, base):
                incident = ""
                for name in sorted(args.pages, key=lambda n: n in AFTER_INCIDENT):
                    if name in AFTER_INCIDENT and not incident:
                        leader = create_token(r, keys, role="leader", name="lh.token",
                                              now=time.time())  # fmt: skip
                        incident = declare(base, leader, town)
                    role, path, shape = PAGES[name]
                    path = path.format(incident=incident)
                    cookie = session(base, f"lh.{role}")
                    httpx.get(f"{base}{path}", headers={"Cookie": cookie}, timeout=60)  # warm
                    report = audit(tool, f"{base}{path}", cookie, shape, folder / f"{name}.json")
                    scores = {c: report["categories"][c]["score"] for c in CATEGORIES}
                    rows.append((name, path, scores, report))
    print(f"Lighthouse {VERSION}; floor {FLOOR} in each category")
    print(f"{'page':<18}{'performance':>13}{'accessibility':>15}{'best practices':>16}")
    for name, _, scores, report in rows:
        cells = "".join(
            f"{scores[c]:>{w}.2f}{'' if scores[c] >= FLOOR else '!'}"
            for c, w in zip(CATEGORIES, (13, 15, 16), strict=True)
        )
        print(f"{name:<18}{cells}")
        for c in CATEGORIES:
            if scores[c] < 1:
                print(f"    {c}: " + "; ".join(failing(report, c)))
        metrics = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                   "speed-index", "total-byte-weight")  # fmt: skip
        print("    " + "; ".join(f"{m} {report['audits'][m]['displayValue']}" for m in metrics))
        if os.environ.get("TOWNCC_LIGHTHOUSE_DETAIL"):
            for audit_id in ("aria-allowed-role", "aria-input-field-name", "errors-in-console"):
                for item in (report["audits"].get(audit_id, {}).get("details") or {}).get(
                    "items", []
                ):
                    print(f"      {audit_id}: {json.dumps(item, ensure_ascii=False)[:300]}")
            for item in report["audits"]["bootup-time"]["details"]["items"][:6]:
                print(f"      {item['url'][-60:]} {item['total']:.0f} ms")
            for item in report["audits"]["long-tasks"]["details"]["items"][:8]:
                print(f"      long task {item['url'][-50:]} {item['duration']:.0f} ms")


if __name__ == "__main__":
    main()
