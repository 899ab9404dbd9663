"""Bodies are limited while they stream: a declared length over the limit is refused before a
byte of the body is read, a chunked body at the limit, and neither grows the server's memory."""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from core.keys import Keys
from tests.support.access import token
from tests.support.system import running_serve
from towncc.embedded import EmbeddedRedis

pytestmark = pytest.mark.redis
MB = 1 << 20
LIMIT = 5 * MB
DOORS = ["/api/ingest/urban", "/open311/v2/requests.json"]
TOKENS: dict[str, str] = {}  # door → its feed's token


@pytest.fixture(scope="module")
def server(
    redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, int]]:
    """`towncc serve` as a process of its own: (its pid, its port)."""
    data = tmp_path_factory.mktemp("serve")
    limits = {"TOWNCC_KEY_PREFIX": "limits:", "TOWNCC_MAX_BODY_BYTES": str(LIMIT)}
    keys = Keys("limits:")
    for path in DOORS:  # each door's sender is someone: the feed's token
        feed = "urban" if "ingest" in path else "open311"
        TOKENS[path] = token(redis_server.url, keys, "feed", feed=feed)
    with running_serve(redis_server.url, data, **limits) as (process, base):
        yield process.pid, int(base.rsplit(":", 1)[1])


def head(path: str, fields: str) -> bytes:
    auth = f"Authorization: Bearer {TOKENS[path]}\r\n"
    start = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {kind(path)}\r\n"
    return f"{start}{auth}{fields}\r\n".encode()


def kind(path: str) -> str:
    return "application/json" if "ingest" in path else "application/x-www-form-urlencoded"


def exchange(port: int, request_head: bytes, body: Iterable[bytes] = ()) -> bytes:
    """Send a head and a body (as much of it as the server takes); the answer's first bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request_head)
        try:
            for part in body:
                sock.sendall(part)
        except OSError:
            pass  # the server may close once it has answered: its answer is what counts
        return sock.recv(4096)


def peak_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))


@pytest.mark.parametrize("path", DOORS)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    server: tuple[int, int], path: str
) -> None:
    answer = exchange(server[1], head(path, f"Content-Length: {50 * MB}\r\n"))  # no body at all
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.parametrize("path", DOORS)
def test_a_chunked_body_over_the_limit_is_refused_at_the_limit(
    server: tuple[int, int], path: str
) -> None:
    # Only the limit and one chunk more are sent; the end of the body never comes.
    chunk = b"%x\r\n%s\r\n" % (MB, b" " * MB)
    answer = exchange(server[1], head(path, "Transfer-Encoding: chunked\r\n"), [chunk] * 6)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_huge_bodies_leave_the_servers_peak_memory_flat(server: tuple[int, int]) -> None:
    pid, port = server
    before = peak_kib(pid)
    block = b" " * MB
    declared = exchange(port, head(DOORS[0], f"Content-Length: {50 * MB}\r\n"), [block] * 50)
    chunk = b"%x\r\n%s\r\n" % (MB, block)
    chunked = exchange(
        port, head(DOORS[0], "Transfer-Encoding: chunked\r\n"), [*[chunk] * 250, b"0\r\n\r\n"]
    )
    grown_mb = (peak_kib(pid) - before) / 1024
    assert declared.startswith(b"HTTP/1.1 413") and chunked.startswith(b"HTTP/1.1 413")
    assert grown_mb < 50, f"peak RSS grew {grown_mb:.0f} MB for 300 MB refused"
