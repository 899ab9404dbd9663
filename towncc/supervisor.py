"""`towncc demo`: start and supervise Redis, the engine, the wall, the drop folders and the
simulator.

- No child outlives the supervisor: each gets a parent-death signal and leads a process group
  of its own (towncc/processes.py); every child is started from the main thread, which lives
  as long as the supervisor (the signal follows the thread that forked).
- A stop (SIGTERM, SIGINT, SIGHUP) stops every child at once with one deadline, then the
  embedded Redis within the same budget: everything is gone within `STOP_S`.
- A child that exits is restarted, at most `restart_limit` times in `restart_window_s`; one
  over its budget stays down, and says so (core/children.py → `/healthz`, the wall), while
  everything else keeps serving.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import orjson
import redis

from core.children import ChildState, State, publish
from core.keys import Keys
from core.settings import Settings
from core.signals import stop_on_signals
from core.times import beijing
from towncc import processes
from towncc.demo_accounts import describe, make_demo_accounts, write_demo_accounts
from towncc.embedded import EmbeddedRedis

log = logging.getLogger(__name__)
STOP_S = 8.0  # stop signal → every process gone (the promise is 10 s)
REDIS_RESERVE_S = 2.0  # of STOP_S, kept for Redis to write its AOF once the others are gone
RESTART_DELAY_S = 1.0
TICK_S = 0.5


@dataclass(frozen=True, slots=True)
class ChildSpec:
    name: str
    args: tuple[str, ...]


def towncc_command(name: str, *args: str) -> ChildSpec:
    return ChildSpec(name, (sys.executable, "-m", "towncc", *args))


def demo_children() -> list[ChildSpec]:
    """The processes of a demo, in start order (the simulator waits for a healthy wall)."""
    return [
        towncc_command("engine", "engine"),
        towncc_command("wall", "serve"),
        towncc_command("drop-folders", "ingest", "watch"),
        towncc_command("emergency", "emergency", "--gateway", "simulated"),
    ]


def first_case_number() -> int:
    """Tenths of a second since Beijing midnight: case numbers don't repeat across restarts."""
    now = beijing(datetime.now().astimezone())
    return (now.hour * 3600 + now.minute * 60 + now.second) * 10


BACKFILL_MIN = "30"  # the simulator first sends each source's last half hour


def simulator(after_history: bool = False) -> ChildSpec:
    first = str(first_case_number())
    history = ("--after-history",) if after_history else ()
    return towncc_command(
        "simulator", "simulate", "--first", first, "--backfill", BACKFILL_MIN, *history
    )


FIRST_CHILDREN = frozenset({"wall", "drop-folders"})  # up while the history is made
HISTORY_TIMEOUT_S = 600.0


def make_history(settings: Settings, env: dict[str, str], stop: threading.Event) -> bool:
    """The demo's past (`towncc warmup`: it does nothing on a store with a history), before
    the engine starts; whether the simulator may leave out the backfill it covers."""
    if settings.demo_history_hours <= 0 or stop.is_set():
        return False
    hours = f"{settings.demo_history_hours:g}"
    print(f"making the demo's history: the last {hours} hours, on a fast clock …", flush=True)
    spec = towncc_command("history", "warmup", "--hours", hours, "--first", "1")
    try:
        done = subprocess.run(spec.args, env=env, timeout=HISTORY_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        log.error(
            "the demo's history took longer than %.0f s; the demo goes on without",
            HISTORY_TIMEOUT_S,
        )
        return False
    if done.returncode != 0:
        log.error("the demo's history failed (exit %s); the demo goes on without", done.returncode)
    return done.returncode == 0


def responders() -> ChildSpec:
    return towncc_command("responders", "respond")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RestartBudget:
    """At most ``limit`` restarts within any ``window_s`` seconds (monotonic time)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self.times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self.times and self.times[0] <= now - self.window_s:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True


@dataclass(eq=False)
class Child:
    spec: ChildSpec
    env: dict[str, str]
    budget: RestartBudget
    process: processes.Process | None = None
    state: State = "waiting"
    restarts: int = 0
    exit_code: int | None = None
    since: str = field(default_factory=utc_now)
    due: float = 0.0  # monotonic: when a restarting child starts again

    @property
    def name(self) -> str:
        return self.spec.name

    def enter(self, state: State) -> None:
        self.state, self.since = state, utc_now()

    def start(self) -> None:
        self.process = processes.spawn(self.spec.args, env=self.env)
        self.enter("running")
        log.info("started %s (pid %d)", self.name, self.process.pid)

    def tick(self, now: float) -> None:
        """Notice an exit; restart within the budget (after a pause), or stay down."""
        if self.state == "restarting" and now >= self.due:
            self.restarts += 1
            self.start()
            return
        if self.state != "running" or self.process is None:
            return
        code = self.process.poll()
        if code is None:
            return
        processes.signal_group(self.process, signal.SIGKILL)  # what it started goes too
        self.exit_code = code
        if self.budget.allow(now):
            log.warning("%s exited with %s; restarting", self.name, code)
            self.due = now + RESTART_DELAY_S
            self.enter("restarting")
            return
        log.error(
            "%s exited with %s, over its budget of %d restarts in %g s: it stays DOWN",
            self.name, code, self.budget.limit, self.budget.window_s,
        )  # fmt: skip
        self.enter("down")

    def status(self) -> ChildState:
        pid = self.process.pid if self.process is not None and self.state == "running" else None
        return ChildState(self.name, self.state, self.restarts, self.exit_code, self.since, pid)


@dataclass(eq=False)
class RedisChild:
    """The embedded Redis, supervised like a child: restarted on its port and data folder."""

    server: EmbeddedRedis
    budget: RestartBudget
    name: str = "redis"
    state: State = "running"
    restarts: int = 0
    exit_code: int | None = None
    since: str = field(default_factory=utc_now)

    def tick(self, now: float) -> None:
        process = self.server.process
        if self.state == "down" or process is None or (code := process.poll()) is None:
            return
        self.exit_code, self.since = code, utc_now()
        if not self.budget.allow(now):
            log.error("the embedded Redis exited with %s, over its budget: it stays DOWN", code)
            self.state = "down"
            return
        log.warning("the embedded Redis exited with %s; restarting", code)
        self.restarts += 1
        try:
            self.server.restart()
        except RuntimeError as exc:  # its process has exited: the next tick counts it again
            log.error("the embedded Redis did not start again: %s", exc)

    def status(self) -> ChildState:
        process = self.server.process
        pid = process.pid if process is not None and self.state == "running" else None
        return ChildState(self.name, self.state, self.restarts, self.exit_code, self.since, pid)


class Publisher:
    """Writes the children's states to Redis; an outage costs a warning, never the loop."""

    def __init__(self, url: str, keys: Keys) -> None:
        self.r = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.keys, self.failing = keys, False

    def publish(self, children: Sequence[Child | RedisChild]) -> None:
        try:
            publish(self.r, self.keys, [c.status() for c in children])
        except redis.RedisError as exc:
            if not self.failing:
                log.warning("cannot publish the children's states (%s)", type(exc).__name__)
            self.failing = True
            return
        self.failing = False

    def close(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self.r.delete(self.keys.supervisor)
        self.r.close()


def healthy(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=1).status_code == 200
    return False


def supervise(
    children: list[Child], waiting: Sequence[Child], health_url: str, out: Publisher,
    stop: threading.Event, redis_child: RedisChild | None = None,
) -> None:  # fmt: skip
    """Until ``stop``: restart what exits, start ``waiting`` (the simulator, the simulated
    staff) once the wall answers, publish."""
    announced = False
    while not stop.wait(TICK_S):
        now = time.monotonic()
        if redis_child is not None:
            redis_child.tick(now)
        for child in children:
            child.tick(now)
        if not announced and healthy(health_url):
            announced = True
            for child in waiting:
                child.start()
                children.append(child)
            print(f"\ntowncc is running: {health_url.removesuffix('/healthz')}/wall", flush=True)
        shown: list[Child | RedisChild] = [*children]
        shown += list(waiting) if not announced else []
        shown += [redis_child] if redis_child is not None else []
        out.publish(shown)


def stop_everything(children: Sequence[Child], redis_server: EmbeddedRedis | None) -> None:
    """Every child at once, one deadline; the embedded Redis last, within the same budget."""
    start = time.monotonic()
    deadline = start + STOP_S
    started = [c.process for c in children if c.process is not None]
    log.info("stopping %d children", len(started))
    processes.stop_all(started, deadline - REDIS_RESERVE_S)
    log.info("children stopped in %.1f s", time.monotonic() - start)
    if redis_server is not None:
        redis_server.stop(timeout=max(0.5, deadline - time.monotonic()))
        log.info("Redis stopped; %.1f s in all", time.monotonic() - start)


SIMULATE_TOKENS = "TOWNCC_SIMULATE_TOKENS"  # core/settings.py simulate_tokens


def demo_credentials(settings: Settings, url: str, base: str) -> str:
    """The demo's accounts and tokens, new (towncc/demo_accounts.py), written to the data
    folder and printed; the feed tokens as the simulator's setting reads them."""
    client = redis.Redis.from_url(url)
    try:
        accounts = make_demo_accounts(client, Keys(settings.key_prefix))
    finally:
        client.close()
    path = write_demo_accounts(settings.data_dir, accounts)
    print(describe(accounts, base, path), flush=True)  # the console only, never the log
    return orjson.dumps(accounts["feed_tokens"]).decode()


def run_demo(
    settings: Settings,
    *,
    simulate: bool = True,
    respond: bool = True,
    children: Sequence[ChildSpec] | None = None,
) -> None:
    """Run until a stop signal; ``children`` replaces the demo's processes (none simulated).
    ``respond``: the simulated staff act on the cases (`towncc respond`)."""
    stop = stop_on_signals((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
    redis_server = None
    url = settings.redis_url
    if not url:
        redis_server = EmbeddedRedis(
            settings.data_dir / "redis", maxmemory=settings.redis_maxmemory
        ).start()
        url = redis_server.url
        # Its address, never its URL: that carries the password.
        log.info("embedded Redis on %s (data in %s)", redis_server.address, redis_server.data_dir)
    env = {**os.environ, "REDIS_URL": url, "PORT": str(settings.port)}
    base = f"http://{settings.host}:{settings.port}"
    env.setdefault("TOWNCC_PUBLIC_URL", base)  # the notices' acknowledgement links
    env[SIMULATE_TOKENS] = demo_credentials(settings, url, base)
    budget = (settings.restart_limit, settings.restart_window_s)
    started = [Child(s, env, RestartBudget(*budget)) for s in children or demo_children()]
    waiting: list[Child] = []
    out = Publisher(url, Keys(settings.key_prefix))
    try:
        first = [c for c in started if c.spec.name in FIRST_CHILDREN] if not children else []
        for child in first:
            child.start()
        # The history needs the simulated staff and the simulator; the engine waits for it.
        history = simulate and respond and not children and make_history(settings, env, stop)
        later = [simulator(history)] if simulate and not children else []
        later += [responders()] if respond and not children else []
        waiting = [Child(spec, env, RestartBudget(*budget)) for spec in later]
        for child in started:
            if not stop.is_set() and child not in first:
                child.start()
        watched = RedisChild(redis_server, RestartBudget(*budget)) if redis_server else None
        supervise([c for c in started if c.process], waiting, f"{base}/healthz", out, stop, watched)
    finally:
        out.close()
        stop_everything(started + waiting, redis_server)
        log.info("stopped")
