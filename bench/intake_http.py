"""The web process under large bodies, measured on `towncc serve` as it runs in production.

1. Peak memory: a 50 MB body with its Content-Length and a 250 MB chunked body, both over the
   limit, must be refused (413) with the server's peak RSS (VmHWM) up by less than 50 MB.
2. Responsiveness: while ten valid bodies of about 5 MB are posted at once (ten curl processes)
   `/healthz` is asked every 5 ms; its p99 must stay under 100 ms. Measured for each way of
   parsing: on the event loop (as before), in a thread, in worker processes (the default).

Usage: python -m bench.intake_http [--modes loop,thread,processes]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

from bench.machine import describe
from core.keys import Keys
from core.settings import Settings
from tests.support.access import token
from tests.support.system import running_serve
from tests.support.urban import lattice_point, urban_record
from towncc.embedded import EmbeddedRedis

MB = 1 << 20
LIMIT = 5_000_000
BODIES = 10
PROBE_EVERY_S = 0.005
P99_CEILING_MS = 100.0
RSS_CEILING_MB = 50.0
MODES = {  # environment of each way of parsing
    "loop": {"TOWNCC_PARSE_INLINE_BYTES": str(10**9)},
    "thread": {"TOWNCC_PARSE_PROCESSES": "0", "TOWNCC_PARSE_INLINE_BYTES": "0"},
    "processes": {"TOWNCC_PARSE_PROCESSES": "2"},
}


@contextmanager
def serving(
    folder: Path, extra: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """A private Redis and `towncc serve` on it: (the server process, its base URL, the urban
    feed's token)."""
    with (
        EmbeddedRedis(folder / "redis", appendonly=False) as redis_server,
        running_serve(
            redis_server.url, folder / "data", TOWNCC_MAX_BODY_BYTES=str(LIMIT), **extra
        ) as (process, base),
    ):
        yield (
            process,
            base,
            token(redis_server.url, Keys(Settings().key_prefix), "feed", feed="urban"),
        )


def peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return kib / 1024


def exchange(port: int, head: bytes, body: Iterable[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        try:
            for part in body:
                sock.sendall(part)
        except OSError:
            pass
        return sock.recv(64)


def refused_bodies(pid: int, base: str, feed_token: str) -> tuple[float, list[bytes]]:
    """Peak RSS growth (MB) over a 50 MB declared and a 250 MB chunked body; their answers."""
    port = int(base.rsplit(":", 1)[1])
    head = (
        "POST /api/ingest/urban HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
        f"\r\nAuthorization: Bearer {feed_token}\r\n"
    )
    block = b" " * MB
    before = peak_mb(pid)
    declared = exchange(port, f"{head}Content-Length: {50 * MB}\r\n\r\n".encode(), [block] * 50)
    chunk = b"%x\r\n%s\r\n" % (MB, block)
    chunked = exchange(
        port, f"{head}Transfer-Encoding: chunked\r\n\r\n".encode(), [*[chunk] * 250, b"0\r\n\r\n"]
    )
    return peak_mb(pid) - before, [declared[:12], chunked[:12]]


def body_files(folder: Path) -> list[Path]:
    """Ten valid urban bodies just under the limit, each with records of its own."""
    paths = []
    per_body = 17_500
    for b in range(BODIES):
        first = b * per_body
        records = [urban_record(n, *lattice_point(n)) for n in range(first, first + per_body)]
        path = folder / f"body-{b}.json"
        path.write_bytes(orjson.dumps(records))
        assert path.stat().st_size <= LIMIT, path.stat().st_size
        paths.append(path)
    return paths


def post_all(base: str, paths: list[Path], feed_token: str) -> list[subprocess.Popen[bytes]]:
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
            "content-type: application/json", "-H", f"Authorization: Bearer {feed_token}",
            "--data-binary"]  # fmt: skip
    url = f"{base}/api/ingest/urban"
    return [
        subprocess.Popen([*args, f"@{p}", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for p in paths
    ]


def probe_while(base: str, posts: list[subprocess.Popen[bytes]]) -> tuple[list[float], float]:
    """/healthz latencies (ms) while the posts run, and the posts' wall time (s)."""
    latencies: list[float] = []
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/healthz")  # the connection is open before the posts begin
        while any(p.poll() is None for p in posts):
            asked = time.perf_counter()
            client.get("/healthz").raise_for_status()
            latencies.append((time.perf_counter() - asked) * 1000)
            time.sleep(PROBE_EVERY_S)
    return latencies, time.perf_counter() - started


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def measure_mode(name: str, folder: Path, paths: list[Path]) -> None:
    with serving(folder / name, MODES[name]) as (process, base, feed_token):
        warm = post_all(
            base, paths[:1], feed_token
        )  # workers (if any) start with the first large body
        warm[0].wait()
        posts = post_all(base, paths, feed_token)
        latencies, wall_s = probe_while(base, posts)
        codes = {p.communicate()[0].decode() for p in posts}
        grown, answers = (
            refused_bodies(process.pid, base, feed_token) if name == "processes" else (0.0, [])
        )
    print(
        f"{name:>9}: /healthz p99 {p99(latencies):6.1f} ms (ceiling {P99_CEILING_MS:.0f} ms), "
        f"median {statistics.median(latencies):5.1f} ms, max {max(latencies):6.1f} ms, "
        f"{len(latencies)} probes; ten bodies stored in {wall_s:.2f} s; answers {sorted(codes)}"
    )
    if answers:
        print(
            f"{'':>9}  peak RSS +{grown:.1f} MB (ceiling {RSS_CEILING_MB:.0f} MB) for a 50 MB "
            f"declared and a 250 MB chunked body; answers {[a.decode() for a in answers]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modes", default="loop,thread,processes")
    modes = parser.parse_args().modes.split(",")
    print(describe())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = body_files(folder)
        print(f"{BODIES} bodies of {paths[0].stat().st_size / 1e6:.2f} MB, 17,500 records each")
        for name in modes:
            measure_mode(name, folder, paths)


if __name__ == "__main__":
    main()
