"""A real deployment's Redis: `REDIS_URL` with a password and `rediss://` (TLS). The web app
reads, writes through the intake and answers its health check over a TLS port whose
certificate it checks against the deployment's CA (tests/support/tls_front.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest
import redis
from starlette.testclient import TestClient

from access.tokens import create_token
from core.keys import Keys
from core.settings import Settings
from tests.support.access import LOCAL, bearer
from tests.support.tls_front import TlsFront
from tests.support.urban import urban_record
from towncc.embedded import EmbeddedRedis
from towncc.server import build

pytestmark = pytest.mark.redis


@pytest.fixture
def tls_url(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[str]:
    """A `rediss://` URL with the password, to the session's server behind a TLS port."""
    front = TlsFront(("127.0.0.1", redis_server.port), tmp_path).start()
    password = urlsplit(redis_server.url).password
    yield f"rediss://:{password}@127.0.0.1:{front.port}/0?ssl_ca_certs={front.ca_file}"
    front.stop()


def test_the_centre_works_on_a_redis_reached_over_tls_with_a_password(
    tls_url: str, tmp_path: Path
) -> None:
    plain = tls_url.replace("rediss://", "redis://").split("?")[0]
    with pytest.raises(redis.ConnectionError):  # the port speaks TLS only
        redis.Redis.from_url(plain, socket_connect_timeout=2, socket_timeout=2).ping()
    unchecked = tls_url.split("?")[0]  # without the deployment's CA: the certificate fails
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(unchecked, socket_connect_timeout=2).ping()
    keys = Keys("tls:")
    client = redis.Redis.from_url(tls_url)
    now = time.time()
    reader = create_token(client, keys, role="leader", name="tls-leader", now=now)
    feed = create_token(client, keys, role="feed", name="tls-urban", feed="urban", now=now)
    settings = Settings(REDIS_URL=tls_url, key_prefix=keys.prefix, data_dir=tmp_path / "data")
    with TestClient(build(settings).server, base_url=LOCAL) as web:
        assert web.get("/healthz").json()["redis"] == "ok"
        record = orjson.dumps(urban_record(1))
        sent = web.post("/api/ingest/urban", content=record,
                        headers={**bearer(feed), "Content-Type": "application/json"})  # fmt: skip
        assert sent.status_code == 202 and sent.json()["accepted"] == 1, sent.text
        assert client.xlen(keys.events) == 1, "written to Redis over TLS, not to the spool"
        assert web.get("/api/counts", headers=bearer(reader)).status_code == 200
    client.close()
