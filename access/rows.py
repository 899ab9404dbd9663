"""The Redis hashes users and tokens are kept in, read and written as text."""

from __future__ import annotations

from collections.abc import Mapping

import redis
from redis.typing import EncodableT, FieldT

from core.replies import text


def read_row(r: redis.Redis, key: str) -> dict[str, str]:
    """Every field of the hash at ``key`` ({} when there is none)."""
    return {text(k): text(v) for k, v in r.hgetall(key).items()}


def write_row(r: redis.Redis, key: str, row: Mapping[str, str]) -> None:
    """Set these fields of the hash at ``key``."""
    fields: dict[FieldT, EncodableT] = {k: v for k, v in row.items()}  # keys widened for redis-py
    r.hset(key, mapping=fields)
