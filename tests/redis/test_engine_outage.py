"""The engine rides out a Redis restart: no crash, nothing lost, nothing applied twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from cases import store
from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from tests.support.pipeline import push
from tests.support.urban import reported_now, urban_record
from towncc.embedded import EmbeddedRedis

pytestmark = pytest.mark.redis


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def garbage(n: int, reported: str) -> dict[str, object]:
    """A record on no first-response clock, reported at ``reported`` (its handling deadline
    days ahead of the real clock the engine runs on): its only case events are its own."""
    return urban_record(n, xlbm="0102", xlmc="暴露垃圾", sbsj=reported)


def test_engine_survives_a_redis_restart(tmp_path: Path, geography: Geography) -> None:
    server = EmbeddedRedis(tmp_path, appendonly=True).start()
    keys = Keys("outage:")
    client = redis.Redis.from_url(server.url, decode_responses=True)
    engine = Engine(redis.Redis.from_url(server.url, socket_timeout=5), keys, geography, batch=50)
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop,), daemon=True)
    worker.start()
    reported = reported_now()
    try:
        push(client, keys, [garbage(1, reported)])
        wait_for(lambda: len(store.all_case_ids(client, keys)) == 1)
        server.stop()
        server = EmbeddedRedis(tmp_path, port=server.port, appendonly=True).start()
        push(client, keys, [garbage(2, reported), garbage(1, reported)])
        wait_for(lambda: len(store.all_case_ids(client, keys)) == 2)
        assert worker.is_alive()
        assert client.xlen(keys.case_events) == 2
    finally:
        stop.set()
        worker.join(timeout=10)
        client.close()
        server.stop()
