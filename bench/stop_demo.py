"""`python -m bench.stop_demo`: `make demo` stopped at random moments, and its supervisor killed.

Each run starts `make demo` in a process group of its own (as a terminal runs it), on a fresh
data folder and a free port, and sends SIGTERM to that whole group at a random moment of one
phase: start-up (before the wall answers), backfill (the simulator sending its first 30
minutes), or with a headless Chromium showing /wall. Then it waits for every process of that
demo — make, the supervisor, engine, wall, drop folders, simulator, the embedded Redis —
to be gone (found by the data folder in their environment). Ceiling: 10 s.
The SIGKILL runs kill the supervisor alone (`towncc demo`) once the wall answers, and wait
for its children to be gone. Ceiling: 5 s.

    python -m bench.stop_demo [--runs 20] [--kills 3] [--seed 0] [--venv .venv]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

from bench.machine import describe
from tests.support.access import demo_accounts
from tests.support.browser import launch
from tests.support.procs import alive, descendants
from towncc.embedded import free_port

ROOT = Path(__file__).resolve().parent.parent
STOP_CEILING_S = 10.0
KILL_CEILING_S = 5.0
PHASES = ("start-up", "backfill", "wall")


@dataclass(frozen=True)
class Result:
    kind: str  # SIGTERM to make's group, or SIGKILL to the supervisor
    phase: str
    after_s: float  # from `make demo` to the signal
    processes: int  # of the demo, when the signal went
    took_s: float
    left: list[bytes]


def field(path: Path) -> bytes:
    with contextlib.suppress(OSError):
        return path.read_bytes()
    return b""


def demo_processes(tag: bytes, root: int) -> dict[int, bytes]:
    """Every live process below ``root`` or whose environment holds ``tag`` (this run's data
    folder: Redis rewrites its process title over its environment, so both are needed)."""
    tree = {root, *descendants(root)}
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        pid = int(proc.name)
        if (pid in tree or tag in field(proc / "environ")) and alive(pid):
            found[pid] = field(proc / "cmdline").replace(b"\0", b" ").strip()
    return found


def healthy(base: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    return False


def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def make_demo(venv: Path, work: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, bytes]]:
    """`make demo` (never reinstalling: `-o` the stamp) on a fresh folder; cleaned up after."""
    data = Path(tempfile.mkdtemp(prefix="stop-", dir=work))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "TOWNCC_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    args = ["make", "-s", "-o", f"{venv}/.installed", "demo", f"VENV={venv}"]
    with (data / "demo.log").open("wb") as log:
        make = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield make, f"http://127.0.0.1:{port}", f"TOWNCC_DATA_DIR={data}".encode()
        finally:
            for pid in demo_processes(f"TOWNCC_DATA_DIR={data}".encode(), make.pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            make.wait()
            shutil.rmtree(data, ignore_errors=True)


def gone(
    tag: bytes, root: int, ceiling: float, keep: frozenset[int] = frozenset()
) -> tuple[float, list[bytes]]:
    """Wait until every process of the demo (as found now, or later) is gone."""
    start = time.monotonic()
    seen = demo_processes(tag, root)
    while time.monotonic() - start < ceiling:
        seen.update(demo_processes(tag, root))
        if not [p for p in seen if p not in keep and alive(p)]:
            break
        time.sleep(0.02)
    left = [cmd for p, cmd in seen.items() if p not in keep and alive(p)]
    return time.monotonic() - start, left


def reach(
    phase: str, base: str, data: Path, rng: random.Random, browser: Browser
) -> contextlib.ExitStack:
    """Wait for a random moment of ``phase``; the stack closes the page, if one was opened."""
    stack = contextlib.ExitStack()
    if phase == "start-up":
        time.sleep(rng.uniform(0.2, 6.0))
        return stack
    wait_for(lambda: healthy(base), 120)
    if phase == "wall":
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        stack.callback(page.close)
        wall_token = demo_accounts(data)["wall_token"]  # written before the demo is healthy
        page.goto(f"{base}/wall?token={wall_token}")  # as a screen opens it
        page.wait_for_selector(".ag-root", timeout=60_000)
    time.sleep(rng.uniform(0.0, 4.0))
    return stack


def stop_run(venv: Path, work: Path, phase: str, rng: random.Random, browser: Browser) -> Result:
    with make_demo(venv, work) as (make, base, tag):
        began = time.monotonic()
        data = Path(tag.decode().split("=", 1)[1])
        with reach(phase, base, data, rng, browser):
            after, count = time.monotonic() - began, len(demo_processes(tag, make.pid))
            os.killpg(make.pid, signal.SIGTERM)
            took, left = gone(tag, make.pid, STOP_CEILING_S)
        return Result("SIGTERM", phase, after, count, took, left)


def kill_run(venv: Path, work: Path) -> Result:
    with make_demo(venv, work) as (make, base, tag):
        began = time.monotonic()
        wait_for(lambda: healthy(base), 120)
        time.sleep(2)
        found = demo_processes(tag, make.pid)
        [supervisor] = [p for p, cmd in found.items() if cmd.endswith(b"towncc demo")]
        after = time.monotonic() - began
        os.kill(supervisor, signal.SIGKILL)
        # make exits once its child is gone: only the supervisor's children are timed.
        took, left = gone(tag, make.pid, KILL_CEILING_S, keep=frozenset({make.pid}))
        return Result("SIGKILL", "running", after, len(found), took, left)


def line(n: int, r: Result) -> str:
    ceiling = STOP_CEILING_S if r.kind == "SIGTERM" else KILL_CEILING_S
    verdict = "ok" if not r.left and r.took_s < ceiling else f"FAILED, left: {r.left}"
    return (
        f"{n:2d} {r.kind} {r.phase:8s} at {r.after_s:5.1f} s, {r.processes} processes: "
        f"all gone in {r.took_s:5.2f} s (ceiling {ceiling:.0f} s) {verdict}"
    )


def summary(results: list[Result]) -> None:
    for kind in ("SIGTERM", "SIGKILL"):
        took = [r.took_s for r in results if r.kind == kind]
        failed = sum(1 for r in results if r.kind == kind and r.left)
        if took:
            median, most = statistics.median(took), max(took)
            figures = f"median {median:.2f} s, max {most:.2f} s"
            print(f"{kind}: {len(took)} runs, {failed} failed: {figures}")
    print(describe())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = ROOT / "var"
    work.mkdir(exist_ok=True)
    results: list[Result] = []
    with sync_playwright() as pw:
        browser = launch(pw)
        for n in range(args.runs):
            results.append(stop_run(args.venv, work, PHASES[n % 3], rng, browser))
            print(line(len(results), results[-1]), flush=True)
        browser.close()
    for _ in range(args.kills):
        results.append(kill_run(args.venv, work))
        print(line(len(results), results[-1]), flush=True)
    summary(results)


if __name__ == "__main__":
    main()
