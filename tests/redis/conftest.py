from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from core.settings import Settings
from layers.town import Town, default_town
from tests.support.clock import Clock
from tests.support.pipeline import engine_thread
from towncc.embedded import EmbeddedRedis


@pytest.fixture
def durable_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A private AOF Redis that a test stops and starts (never the session's shared one)."""
    server = EmbeddedRedis(tmp_path / "redis", appendonly=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="session")
def geography(town: Town) -> Geography:
    return Geography(town)


@pytest.fixture
def timed_engine(r: redis.Redis, keys: Keys, geography: Geography, clock: Clock) -> Engine:
    """An engine on the test module's `clock` fixture (a Clock the test moves)."""
    engine = Engine(r, keys, geography, batch=200, clock=clock)
    engine.ensure_group()
    return engine


@pytest.fixture
def engine(r: redis.Redis, keys: Keys, geography: Geography) -> Engine:
    engine = Engine(r, keys, geography, batch=200)
    engine.ensure_group()
    return engine


@pytest.fixture
def running(settings: Settings, keys: Keys, geography: Geography, clock: Clock) -> Iterator[Engine]:
    """The engine in a thread, as `towncc engine` runs it, on the test module's `clock`;
    stopped, and checked gone, afterwards."""
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    engine = Engine(client, keys, geography, batch=200, clock=clock)
    try:
        with engine_thread(engine):
            yield engine
    finally:
        client.close()
