from __future__ import annotations

import pytest
import redis

from cases.engine import Engine
from cases.places import Geography
from layers.town import Town, default_town
from towncc.keys import Keys


@pytest.fixture(scope="session")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="session")
def geography(town: Town) -> Geography:
    return Geography(town)


@pytest.fixture
def engine(r: redis.Redis, keys: Keys, geography: Geography) -> Engine:
    engine = Engine(r, keys, geography, batch=200)
    engine.ensure_group()
    return engine
