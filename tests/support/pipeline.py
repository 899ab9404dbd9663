"""Driving the real pipeline in tests: adapter → sink → stream → engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import redis

from cases.engine import Engine
from core.keys import ENGINE_GROUP, Keys
from core.replies import text
from ingest.feeds.urban import ADAPTER
from ingest.sink import Outcome, RedisSink


def push(
    r: redis.Redis,
    keys: Keys,
    records: list[dict[str, Any]] | bytes,
    received_at: datetime | None = None,
) -> Outcome:
    """Send records through the urban adapter and the sink, as the HTTP intake does; a record
    dated ahead of today needs a ``received_at`` near it (the sink refuses it otherwise)."""
    body = records if isinstance(records, bytes) else orjson.dumps(records)
    at = received_at or datetime.now(UTC)
    return RedisSink(keys, 1_000_000).write(r, ADAPTER.parse(body, at))


def drain(engine: Engine) -> int:
    """Apply everything in the stream; the number of entries handled."""
    total = 0
    while handled := engine.step(block_ms=50):
        total += handled
    return total


def drain_now(engine: Engine) -> int:
    """Apply everything in the streams without blocking on an empty read; the entries handled."""
    total = 0
    while handled := engine.step(block_ms=None):
        total += handled
    return total


def all_applied(r: redis.Redis, keys: Keys) -> bool:
    """Every entry of `events` and `commands` delivered to the engine and acknowledged."""
    for stream in (keys.events, keys.commands):
        # compare the last delivered id (redis 6.2 had no consumer-group lag)
        [group] = [g for g in r.xinfo_groups(stream) if text(g["name"]) == ENGINE_GROUP]
        last = r.xinfo_stream(stream)["last-generated-id"]
        if group["pending"] or text(group["last-delivered-id"]) != text(last):
            return False
    return True


@contextmanager
def engine_thread(engine: Engine) -> Iterator[Engine]:
    """The engine in a thread, as `towncc engine` runs it; stopped, and checked gone."""
    with worker_thread(engine):
        yield engine


class Worker(Protocol):
    def run(self, stop: threading.Event) -> None: ...


@contextmanager
def worker_thread(worker: Worker) -> Iterator[Worker]:
    """A worker's loop (the engine, the emergency watcher) in a thread, as its command runs
    it; stopped, and checked gone."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
