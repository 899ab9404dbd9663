"""The contract's second half, through the engine: re-sending a feed's good fixtures changes
nothing — no new case, no new case event, no projection touched."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from cases.engine import Engine
from core.keys import Keys
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from tests.support.fixtures import fixtures
from tests.support.pipeline import drain

pytestmark = pytest.mark.redis


def state(r: redis.Redis, keys: Keys) -> dict[str, Any]:
    """Everything the engine projects (the streams' own lengths aside)."""
    skip = {keys.events, keys.deadletter}
    found: dict[str, Any] = {}
    for key in r.scan_iter(match=f"{keys.prefix}*"):
        name = key.decode() if isinstance(key, bytes) else key
        if name in skip or name.startswith(f"{keys.prefix}feed"):
            continue
        kind = r.type(name)
        kind = kind.decode() if isinstance(kind, bytes) else kind
        if kind == "stream":
            found[name] = r.xlen(name)
        elif kind == "hash":
            found[name] = r.hgetall(name)
        elif kind == "zset":
            found[name] = r.zrange(name, 0, -1, withscores=True)
        elif kind == "list":
            found[name] = r.lrange(name, 0, -1)
        elif kind == "set":
            found[name] = r.smembers(name)
        else:
            found[name] = r.get(name)
    return found


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_resending_good_fixtures_changes_nothing(
    feed: str, r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    bodies = [p.read_bytes() for f, p in fixtures("good") if f == feed]
    sink = RedisSink(keys, 100_000)

    def send() -> None:
        for body in bodies:
            sink.write(r, FEEDS[feed].parse(body, datetime.now(UTC)))
        drain(engine)

    send()
    first = state(r, keys)
    assert first, f"{feed}: the engine projected nothing"
    send()
    assert state(r, keys) == first
