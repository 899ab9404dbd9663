"""Running CPU-heavy intake work (parsing and writing a large body) off the event loop.

The web process's event loop also serves the wall's sockets and `/healthz`: parsing a body of
megabytes on it stalls them all, and so does packing its tens of thousands of XADDs. A small
body is handled on the loop (cheaper than a hop); a larger one goes to a pool of worker
processes, which parse it and write it to Redis with their own connection, so neither holds
this process's GIL (a worker thread would: measured by bench/intake_http.py, see
docs/performance.md). With ``processes=0`` the work runs in a thread instead, for a machine
that cannot spare the memory.

A worker process dies with the web process: it asks the kernel for SIGKILL when its parent
goes (PR_SET_PDEATHSIG), so a killed server leaves no parser behind. Workers run niced: when
cores are short, the event loop and Redis come first.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

import redis
from redis.backoff import ConstantBackoff
from redis.retry import Retry

from core.keys import Keys
from ingest.feeds import FEEDS
from ingest.guard import Guard
from ingest.sink import Outcome, RedisSink, plan
from ingest.spool import Entry

log = logging.getLogger(__name__)
T = TypeVar("T")
PR_SET_PDEATHSIG = 1


# Workers yield the CPU to the web process's event loop (and to Redis) when cores are short.
WORKER_NICE = 5


@dataclass(frozen=True, slots=True)
class Target:
    """Where a worker writes: the Redis URL, the key prefix, the streams' cap, and the
    sink's guard (times, redaction, the dead letters' bounds) that every path applies."""

    url: str
    prefix: str
    maxlen: int
    guard: Guard


_clients: dict[str, redis.Redis] = {}


def _client(url: str) -> redis.Redis:
    """One client per worker (and per URL): it keeps its connections between bodies."""
    if url not in _clients:
        # Fails over quickly: the web process then spools what could not be written.
        _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=10, retry=Retry(ConstantBackoff(0.05), 1)
        )
    return _clients[url]


def parse_and_plan(
    feed: str, body: bytes, received_at: datetime, prefix: str, guard: Guard
) -> tuple[list[Entry], Outcome]:
    """A body's stream entries and its outcome: what crosses back from a worker is plain
    bytes and text (cheap to unpickle), never the Events themselves."""
    return plan(FEEDS[feed].parse(body, received_at), Keys(prefix), guard)


def parse_and_store(
    feed: str, body: bytes, received_at: datetime, target: Target
) -> tuple[list[Entry], Outcome]:
    """Parse, plan and write a body to Redis; the entries not written (Redis went away: the
    web process spools them) and the outcome. Writing here too spares the web process the
    cost of a large write (as much CPU as the parse)."""
    entries, outcome = parse_and_plan(feed, body, received_at, target.prefix, target.guard)
    sink = RedisSink(Keys(target.prefix), target.maxlen, guard=target.guard)
    return entries[sink.write_planned(_client(target.url), entries) :], outcome


def _start_worker(parent: int) -> None:
    """Worker initializer: be killed when the web process ends, however it ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent went before the request took effect
        os._exit(0)
    os.nice(WORKER_NICE)


class Offload:
    """Where intake work runs: on the loop up to ``inline_bytes``, else in ``processes``
    worker processes (or in a thread when ``processes`` is 0)."""

    def __init__(self, processes: int, inline_bytes: int) -> None:
        self.processes = processes
        self.inline_bytes = inline_bytes
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: this process has threads (the loop's, redis', Dash's)
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return self._pool

    async def run(self, size: int, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` for a body of ``size`` bytes, where it disturbs the loop least.

        ``work`` must be a module-level function (it is pickled by name) when it may go to
        a worker process.
        """
        if size <= self.inline_bytes:
            return work(*args)
        if self.processes == 0:
            return await asyncio.to_thread(work, *args)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), partial(work, *args))
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a new pool for the next body and
            # still answer this one.
            log.error("an intake worker process died; starting new ones")
            self.close(wait=False)
            return await asyncio.to_thread(work, *args)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker processes; with ``wait``, once the work in progress is done."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
