"""A stop flag that a signal handler may set.

`threading.Event.set()` must not be called from a signal handler: the handler runs in the
main thread between two bytecodes, possibly while that thread holds the Event's own lock
(inside `Event.wait()`, between its wake-up and its return), and `set()` then waits for that
lock forever. This happened to `towncc demo` under SIGTERM in 3 of 20 stops
(bench/stop_demo.py): the supervisor hung with every child still running. `SignalStop` is
an Event whose flag is a plain attribute, written without a lock and polled by `wait()`.
"""

from __future__ import annotations

import signal
import threading
import time

POLL_S = 0.05  # how soon a waiter notices the flag


class SignalStop(threading.Event):
    """An Event that a signal handler may set: no lock is taken to set or read it."""

    def __init__(self) -> None:
        super().__init__()
        self._stop = False

    def set(self) -> None:
        self._stop = True

    def is_set(self) -> bool:
        return self._stop

    def clear(self) -> None:
        self._stop = False

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._stop:
            left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
        return self._stop


def stop_on_signals(
    signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
) -> threading.Event:
    """A stop flag set by any of these signals, so a loop ends after its current step."""
    stop = SignalStop()
    for sig in signals:
        signal.signal(sig, lambda *_: stop.set())
    return stop
