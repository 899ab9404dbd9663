"""A large body is parsed off the event loop: the server answers while a parse is under way."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import redis.asyncio as aredis
from fastapi import FastAPI
from fastapi.testclient import TestClient

import ingest.http
from core.keys import Keys
from core.settings import Settings
from ingest.http import ingest_router
from tests.support.access import bearer, token
from tests.support.gated import GATE_ENV, gated_parse_and_store
from tests.support.system import running_serve
from tests.support.urban import urban_record
from towncc.embedded import EmbeddedRedis

pytestmark = pytest.mark.redis
HEALTH_WAIT_S = 20.0


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


@pytest.fixture
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "gate"
    folder.mkdir()
    monkeypatch.setenv(GATE_ENV, str(folder))
    monkeypatch.setattr(ingest.http, "parse_and_store", gated_parse_and_store)
    yield folder
    (folder / "open").touch()  # never leave a parse waiting


@pytest.mark.parametrize("processes", [0, 1], ids=["thread", "process"])
def test_the_server_answers_while_a_large_body_is_parsed(
    settings: Settings, r: redis.Redis, keys: Keys, gate: Path, processes: int
) -> None:
    tuned = settings.model_copy(update={"parse_processes": processes, "parse_inline_bytes": 0})
    app = FastAPI()
    app.include_router(ingest_router(tuned, aredis.Redis.from_url(settings.redis_url or "")))

    @app.get("/probe")
    async def probe() -> dict[str, bool]:  # answered by the event loop itself
        return {"ok": True}

    replies: dict[str, httpx.Response] = {}
    records = [urban_record(n) for n in range(50)]
    with TestClient(app) as client:
        poster = threading.Thread(
            target=lambda: replies.update(post=client.post("/api/ingest/urban", json=records))
        )
        poster.start()
        wait_for(gate / "started")  # the parse is under way, held at the gate
        prober = threading.Thread(target=lambda: replies.update(probe=client.get("/probe")))
        prober.start()
        prober.join(HEALTH_WAIT_S)
        answered_during_parse = "probe" in replies and "post" not in replies
        (gate / "open").touch()
        poster.join(60)
        prober.join(60)
    assert answered_during_parse, "the event loop was held by the parse"
    assert replies["post"].status_code == 202 and replies["post"].json()["accepted"] == 50
    assert r.xlen(keys.events) == 50
    worker = int((gate / "started").read_text())
    assert (worker != os.getpid()) == bool(processes)  # a worker process parsed it, or a thread
    if processes:
        assert gone(worker), "the worker process outlived the app"


def gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or "Z" in state(pid):
            return True
        time.sleep(0.05)
    return False


def state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "Z"
    return next(line.split()[1] for line in status.splitlines() if line.startswith("State:"))


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_the_parse_workers_die_with_a_killed_server(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    env = {"TOWNCC_KEY_PREFIX": "killed:",
           "TOWNCC_PARSE_PROCESSES": "1", "TOWNCC_PARSE_INLINE_BYTES": "0"}  # fmt: skip
    with running_serve(redis_server.url, tmp_path, **env) as (server, base):
        sender = bearer(token(redis_server.url, Keys("killed:"), "feed", feed="urban"))
        records = [urban_record(1)]
        reply = httpx.post(f"{base}/api/ingest/urban", json=records, headers=sender, timeout=60)
        assert reply.status_code == 202, reply.text  # parsed by a worker process
        workers = children(server.pid)
        assert workers, "no worker process was started"
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        assert all(gone(pid, timeout=5) for pid in workers), "a worker outlived its server"
