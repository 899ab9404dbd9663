"""The whole system as separate processes, started the way `make demo` starts it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.access import SCREEN_TOKENS, demo_accounts
from towncc import processes
from towncc.embedded import free_port


@contextlib.contextmanager
def running_demo(
    data_dir: Path,
    *,
    redis_url: str | None = None,
    simulate: bool = True,
    prefix: str = "towncc:",
    history_hours: float = 0,
) -> Iterator[str]:
    """Run `towncc demo` on a free port; yield its base URL; stop it (SIGTERM) afterwards.
    ``history_hours``: the history it makes first (none by default: it takes a while)."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "TOWNCC_DATA_DIR": str(data_dir),
        "TOWNCC_KEY_PREFIX": prefix,
        "TOWNCC_DEMO_HISTORY_HOURS": f"{history_hours:g}",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    args = [sys.executable, "-m", "towncc", "demo", *([] if simulate else ["--no-simulator"])]
    log = (data_dir / "demo.log").open("wb")
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, data_dir / "demo.log")
        SCREEN_TOKENS[base] = demo_accounts(data_dir)["wall_token"]  # what a screen opens with
        yield base
    finally:
        processes.stop(process, timeout=30)
        log.close()


@contextlib.contextmanager
def running_serve(
    redis_url: str, data_dir: Path, **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`towncc serve` as a process of its own on a free port, with these TOWNCC_ settings
    (``env``, by their variable names); yield it and its base URL; stop it afterwards and
    check it is gone."""
    port = free_port()
    full = {**os.environ, "REDIS_URL": redis_url, "PORT": str(port),
            "TOWNCC_DATA_DIR": str(data_dir), **env}  # fmt: skip
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "towncc", "serve"], env=full, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, log)
        yield process, base
    finally:
        processes.stop(process)
    assert process.poll() is not None


def wait_healthy(
    base: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args} exited with {process.returncode}:\n{log.read_text()}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{process.args} not healthy after {timeout} s:\n{log.read_text()}")
