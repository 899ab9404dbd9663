"""Driving the real pipeline in tests: adapter → sink → stream → engine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import redis

from cases.engine import Engine
from ingest.feeds.urban import ADAPTER
from ingest.sink import Outcome, RedisSink
from towncc.keys import Keys


def push(r: redis.Redis, keys: Keys, records: list[dict[str, Any]] | bytes) -> Outcome:
    """Send records through the urban adapter and the sink, as the HTTP intake does."""
    body = records if isinstance(records, bytes) else orjson.dumps(records)
    return RedisSink(keys, 1_000_000).write(r, ADAPTER.parse(body, datetime.now(UTC)))


def drain(engine: Engine) -> int:
    """Apply everything in the stream; the number of entries handled."""
    total = 0
    while handled := engine.step(block_ms=50):
        total += handled
    return total
