"""`towncc demo` stops every process it started, the embedded Redis included."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest

from tests.support.procs import descendants
from tests.support.system import running_demo

pytestmark = pytest.mark.redis


def demo_pid(data_dir: Path) -> int:
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            cmdline = (environ.parent / "cmdline").read_bytes()
            if b"towncc\x00demo" in cmdline and str(data_dir).encode() in environ.read_bytes():
                return int(environ.parent.name)
    raise AssertionError("no towncc demo process")


# `emergency` first: its command line says `--gateway simulated`.
ROLES = (b"emergency", b"valkey-server", b"engine", b"serve", b"simulate", b"watch", b"respond")


def test_sigterm_stops_every_child_and_redis(tmp_path: Path) -> None:
    with running_demo(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        root = demo_pid(tmp_path)
        deadline = time.monotonic() + 30
        while len(children := descendants(root)) < 7 and time.monotonic() < deadline:
            time.sleep(0.1)
        roles = sorted(
            next(
                (r for r in ROLES if r in c),
                c,
            )
            for c in children.values()
        )
        assert roles == [
            b"emergency",
            b"engine",
            b"respond",
            b"serve",
            b"simulate",
            b"valkey-server",
            b"watch",
        ]
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert alive == [], f"left running: {[children[p] for p in alive]}"
