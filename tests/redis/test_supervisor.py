"""The supervisor behaves like one: no child outlives it, all stop within one deadline, and a
child that keeps failing stays down, loudly, while the wall keeps serving."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from dashboard.framework import layout_path
from tests.support.access import bearer, demo_accounts
from tests.support.procs import descendants, gone_within
from tests.support.system import wait_healthy
from towncc.embedded import free_port, password_for

pytestmark = pytest.mark.redis
STOP_CEILING_S = 10.0
KILL_CEILING_S = 5.0


@contextlib.contextmanager
def supervisor(
    data_dir: Path, *children: str, port: int = 0, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`run_demo` over these children (tests/support/supervised.py); killed at the end."""
    environ = {**os.environ, "PORT": str(port or free_port()), "TOWNCC_DATA_DIR": str(data_dir)}
    environ.pop("REDIS_URL", None)
    args = [sys.executable, "-m", "tests.support.supervised", *children]
    with (data_dir / "supervisor.log").open("wb") as log:
        process = subprocess.Popen(args, env={**environ, **env}, stdout=log, stderr=log)
        try:
            yield process
        finally:
            process.kill()
            process.wait()


def wait_children(root: int, count: int, log: Path) -> dict[int, bytes]:
    """The supervisor's descendants once there are ``count`` of them (Redis included)."""
    deadline = time.monotonic() + 60
    while len(found := descendants(root)) < count:
        assert time.monotonic() < deadline, f"{found}\n{log.read_text()}"
        time.sleep(0.05)
    assert any(b"valkey-server" in cmdline for cmdline in found.values())
    return found


def test_sigterm_stops_every_child_and_redis_within_10_s_even_children_that_ignore_it(
    tmp_path: Path,
) -> None:
    with supervisor(tmp_path, "sleeper", "stubborn") as process:
        # Redis, the sleeper, the stubborn child and the process it started (its own group).
        found = wait_children(process.pid, 4, tmp_path / "supervisor.log")
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        took, left = gone_within([*found, process.pid], STOP_CEILING_S)
        assert left == [], f"left running after {took:.1f} s: {[found.get(p) for p in left]}"
        assert process.wait(timeout=1) == 0
    assert time.monotonic() - began < STOP_CEILING_S


def test_the_supervisor_killed_with_sigkill_takes_its_children_within_5_s(
    tmp_path: Path,
) -> None:
    with supervisor(tmp_path, "sleeper", "failing", TOWNCC_RESTART_LIMIT="100") as process:
        found = wait_children(process.pid, 2, tmp_path / "supervisor.log")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=5)
        took, left = gone_within(list(found), KILL_CEILING_S)
        assert left == [], f"left running after {took:.1f} s: {[found.get(p) for p in left]}"


def notice_of(base: str, child: str) -> dict[str, object] | None:
    reply = httpx.get(f"{base}/healthz", timeout=5)
    assert reply.status_code == 200  # the wall's watchdog must not read a notice as dead
    found = [n for n in reply.json()["notices"] if n.get("child") == child]
    return found[0] if found else None


def test_a_child_that_keeps_failing_stays_down_and_says_so_while_the_wall_serves(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # It fails on purpose 4 times: its first start and the 3 restarts its budget allows.
    with supervisor(tmp_path, "wall", "failing", port=port, TOWNCC_RESTART_LIMIT="3") as process:
        wait_healthy(base, process, tmp_path / "supervisor.log")
        deadline = time.monotonic() + 60
        while (down := notice_of(base, "failing")) is None:
            assert time.monotonic() < deadline, (tmp_path / "supervisor.log").read_text()
            time.sleep(0.2)
        assert (down["code"], down["level"], down["restarts"]) == ("child-down", "critical", 3)
        assert down["exit_code"] == 3
        # It stays down (no fifth start), while the wall and its supervisor go on.
        watch = time.monotonic() + 3
        while time.monotonic() < watch:
            assert notice_of(base, "failing") == down
            time.sleep(0.5)
        assert process.poll() is None
        health = httpx.get(f"{base}/healthz", timeout=5).json()
        assert health["status"] == "degraded"
        # (and any notice of the date or the machine, e.g. the calendar's end: not tested here)
        assert {"child-down", "engine-stopped"} <= {n["code"] for n in health["notices"]}
        wall = bearer(demo_accounts(tmp_path)["tokens"]["wall"])  # the demo's, as it wrote them
        page = httpx.get(f"{base}/wall", headers=wall, timeout=10)
        assert page.status_code == 200
        layout = httpx.get(f"{base}{layout_path('/wall')}", headers=wall, timeout=30)
        assert "处置引擎已停止" in layout.text and "进程「failing」已停止" in layout.text
        log = (tmp_path / "supervisor.log").read_text()
        assert log.count("started failing") == 4 and "it stays DOWN" in log


def test_the_embedded_redis_that_dies_is_started_again_on_its_port(tmp_path: Path) -> None:
    with supervisor(tmp_path, "sleeper", TOWNCC_KEY_PREFIX="sv:") as process:
        found = wait_children(process.pid, 2, tmp_path / "supervisor.log")
        [(pid, title)] = [(p, c) for p, c in found.items() if b"valkey-server" in c]
        os.kill(pid, signal.SIGKILL)
        port = int(title.rstrip(b"\0").rsplit(b":", 1)[1])
        password = password_for(tmp_path / "redis")  # the one the server was started with
        client = redis.Redis(port=port, password=password, socket_timeout=1, decode_responses=True)
        deadline = time.monotonic() + 30
        while not (states := states_of(client)) or states["redis"]["restarts"] != 1:
            assert time.monotonic() < deadline, (tmp_path / "supervisor.log").read_text()
            time.sleep(0.2)
        assert states["redis"]["state"] == "running" and states["redis"]["exit_code"] == -9
        assert states["sleeper"]["state"] == "running"
        client.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_CEILING_S) == 0


def states_of(client: redis.Redis) -> dict[str, dict[str, object]]:
    with contextlib.suppress(redis.RedisError):
        return {k: json.loads(v) for k, v in client.hgetall("sv:supervisor").items()}
    return {}
