from __future__ import annotations

import pytest
import redis

from cases.engine import Engine, Locator
from cases.places import town_locator
from layers.town import Town, default_town
from towncc.keys import Keys


@pytest.fixture(scope="session")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="session")
def locator(town: Town) -> Locator:
    return town_locator(town)


@pytest.fixture
def engine(r: redis.Redis, keys: Keys, locator: Locator) -> Engine:
    engine = Engine(r, keys, locator, batch=200)
    engine.ensure_group()
    return engine
