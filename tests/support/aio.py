"""Running a coroutine from a sync test, whatever else the session's main thread runs."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` in a thread of its own: a browser test of the same session may
    hold the main thread's event loop, where asyncio.run refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never really waits, with no event loop at all (Playwright may
    own the thread's): its value, or an AssertionError if it waited."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    raise AssertionError("the coroutine waited")
