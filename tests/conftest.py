"""Shared fixtures: a private Redis per session, a fresh key prefix per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.keys import Keys
from core.settings import Settings
from towncc.embedded import EmbeddedRedis

_prefixes = itertools.count()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A private redis-server on a free port, for this test session only."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendonly=False).start()
    yield server
    server.stop()


@pytest.fixture
def settings(redis_server: EmbeddedRedis, tmp_path: Path) -> Settings:
    """Settings pointing at the private server, under a key prefix no other test uses."""
    return Settings(
        REDIS_URL=redis_server.url,
        key_prefix=f"t{next(_prefixes)}:",
        data_dir=tmp_path,
    )


@pytest.fixture
def keys(settings: Settings) -> Keys:
    return Keys(settings.key_prefix)


@pytest.fixture
def r(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url or "", decode_responses=True)
    yield client
    client.close()
