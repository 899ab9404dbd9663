"""Processes as /proc shows them: who descends from whom, and waiting for them to be gone."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path


def parent(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def parents() -> dict[int, int | None]:
    """Every process's parent, as /proc shows them now."""
    return {int(p.name): parent(int(p.name)) for p in Path("/proc").glob("[0-9]*")}


def descendants(root: int) -> dict[int, bytes]:
    """Every live process below ``root``, with its command line."""
    up = parents()
    found: dict[int, bytes] = {}
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        for child, above in up.items():
            if above == pid and child not in found:
                with contextlib.suppress(OSError):
                    found[child] = Path(f"/proc/{child}/cmdline").read_bytes()
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    """Running: not gone and not a zombie (a zombie is dead, waiting for its parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def gone_within(pids: list[int], seconds: float) -> tuple[float, list[int]]:
    """Poll until none of ``pids`` runs; the time it took (or the deadline) and who is left."""
    start = time.monotonic()
    while (left := [p for p in pids if alive(p)]) and time.monotonic() - start < seconds:
        time.sleep(0.05)
    return time.monotonic() - start, left
