"""`towncc demo`: start and supervise Redis, the engine, the wall and the simulator."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from ingest.times import beijing
from towncc import processes
from towncc.embedded import EmbeddedRedis
from towncc.settings import Settings

log = logging.getLogger(__name__)
MAX_RESTARTS = 5


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started: float = field(default=0.0)

    def start(self) -> None:
        # Own session: a terminal's Ctrl-C reaches only the supervisor, which stops the
        # children in order (simulator, wall, engine, then Redis) instead of all at once.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "towncc", *self.args], env=self.env, start_new_session=True
        )
        self.started = time.monotonic()
        log.info("started %s (pid %d)", self.name, self.process.pid)

    def stop(self) -> None:
        processes.stop(self.process)


def _wait_healthy(url: str, stop: threading.Event, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        stop.wait(0.3)
    return False


def _first_case_number() -> int:
    """Tenths of a second since Beijing midnight: case numbers don't repeat across restarts."""
    now = beijing(datetime.now().astimezone())
    return (now.hour * 3600 + now.minute * 60 + now.second) * 10


def _watch(children: list[Child], stop: threading.Event) -> None:
    """Restart a child that died on its own, a few times, then give up and stop everything."""
    while not stop.wait(1.0):
        for child in children:
            if child.process is None or child.process.poll() is None:
                continue
            if child.restarts >= MAX_RESTARTS:
                log.error(
                    "%s keeps failing (exit %s); stopping", child.name, child.process.returncode
                )
                stop.set()
                return
            child.restarts += 1
            log.warning("%s exited with %s; restarting", child.name, child.process.returncode)
            child.start()


def run_demo(settings: Settings, *, simulate: bool = True) -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    redis_server = None
    url = settings.redis_url
    if not url:
        redis_server = EmbeddedRedis(
            settings.data_dir / "redis", maxmemory=settings.redis_maxmemory
        ).start()
        url = redis_server.url
        log.info("embedded Redis on %s (data in %s)", url, settings.data_dir / "redis")
    env = {**os.environ, "REDIS_URL": url, "PORT": str(settings.port)}
    children = [
        Child("engine", ["engine"], env),
        Child("wall", ["serve"], env),
        Child("drop folders", ["ingest", "watch"], env),
    ]
    first = str(_first_case_number())
    simulator = Child("simulator", ["simulate", "--first", first, "--backfill", "30"], env)
    try:
        for child in children:
            child.start()
        base = f"http://{settings.host}:{settings.port}"
        if _wait_healthy(f"{base}/healthz", stop):
            if simulate:
                simulator.start()
                children.append(simulator)
            print(f"\ntowncc is running: {base}/wall  (Ctrl-C stops it)\n", flush=True)
        elif not stop.is_set():
            log.error("the wall did not become healthy within 60 s; stopping")
            stop.set()
        _watch(children, stop)
    finally:
        for child in reversed(children):
            child.stop()
        if redis_server is not None:
            redis_server.stop()
        log.info("stopped")
