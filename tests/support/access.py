"""Callers for the tests: tokens made in the test's own Redis, and the screens' wall tokens.

Access control is on (as in production): a test that calls a route is someone. These make
that someone with the real machinery (access/tokens.py, the demo's credentials file), never
by switching the guard off.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import redis
from fastapi.testclient import TestClient

from access.tokens import create_token
from core.keys import Keys
from core.settings import Settings
from towncc.demo_accounts import FILE_NAME

_names = itertools.count()
# Where the test client says it calls: a name the server answers to (`allowed_hosts`), not
# Starlette's "testserver".
LOCAL = "http://127.0.0.1"
# Each server's wall token by its base URL: `screen` opens a page as a screen would.
SCREEN_TOKENS: dict[str, str] = {}


HANDLER_TEAM = "enforce-central"  # a team of the routing table, for a handler's token


def token(redis_url: str, keys: Keys, role: str, *, feed: str | None = None) -> str:
    """A new token of ``role`` (a feed token names its ``feed``, a handler's its team
    HANDLER_TEAM) in that Redis."""
    client = redis.Redis.from_url(redis_url)
    team = HANDLER_TEAM if role == "handler" else None
    try:
        name = f"test-{role}-{feed or ''}-{next(_names)}"
        return create_token(
            client, keys, role=role, name=name, feed=feed, team=team, now=time.time()
        )
    finally:
        client.close()


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def signed(client: TestClient, settings: Settings, role: str = "admin", **kw: Any) -> TestClient:
    """``client`` with a token of ``role`` on every request it makes."""
    value = token(settings.redis_url or "", Keys(settings.key_prefix), role, **kw)
    client.headers.update(bearer(value))
    return client


def demo_accounts(data_dir: Path) -> dict[str, Any]:
    """What `towncc demo` wrote for its people and machines (towncc/demo_accounts.py)."""
    found: dict[str, Any] = orjson.loads((data_dir / FILE_NAME).read_bytes())
    return found


def screen(url: str) -> str:
    """``url`` as a screen first opens it: with its server's wall token, which the server
    swaps for a cookie (and sends the browser on to ``url`` itself)."""
    parts = urlsplit(url)
    wall_token = SCREEN_TOKENS.get(f"{parts.scheme}://{parts.netloc}")
    if wall_token is None:
        return url
    query = urlencode([*parse_qsl(parts.query), ("token", wall_token)])
    return urlunsplit(parts._replace(query=query))
