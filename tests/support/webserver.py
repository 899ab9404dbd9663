"""The web process as a subprocess (`uvicorn --factory towncc.server:asgi`) on a free port,
with its callers: a screen's wall token, an admin's token and an admin who signs in."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import redis

from access.users import add_user
from core.keys import Keys
from tests.support.access import SCREEN_TOKENS, token
from tests.support.system import wait_healthy
from towncc import processes
from towncc.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]
_prefixes = itertools.count()


class WallServer:
    """`uvicorn --factory towncc.server:asgi` as a subprocess on a fixed port; restartable."""

    def __init__(self, redis_url: str, keys: Keys, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "REDIS_URL": redis_url, "TOWNCC_KEY_PREFIX": keys.prefix}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        # Its callers: a screen (wall token), an admin by token and one who signs in.
        self.wall_token = token(redis_url, keys, "wall")
        self.admin_token = token(redis_url, keys, "admin")
        self.admin = (f"admin{next(_prefixes)}", "a desk admin's password")
        client = redis.Redis.from_url(redis_url)
        try:
            add_user(
                client, keys, *self.admin, role="admin", display_name="管理员", now=time.time()
            )
        finally:
            client.close()
        SCREEN_TOKENS[self.url] = self.wall_token

    def start(self) -> WallServer:
        args = [sys.executable, "-m", "uvicorn", "--factory", "towncc.server:asgi"]
        args += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_healthy(self.url, self.process, self.log, timeout=60)
        return self

    def stop(self) -> None:
        processes.stop(self.process, timeout=15)
