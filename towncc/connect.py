"""The commands' Redis: the client for these settings, or a clear exit when there is none."""

from __future__ import annotations

import redis

from core.settings import Settings


def redis_client(settings: Settings) -> redis.Redis:
    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: run `towncc demo`, or point REDIS_URL at a Redis")
    return redis.Redis.from_url(settings.redis_url)
