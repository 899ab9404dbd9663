"""A stop flag set from a signal handler never waits for a lock (core/signals.py)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from core.signals import SignalStop, stop_on_signals


@pytest.mark.timeout(20)
def test_a_signal_sets_the_stop_while_its_lock_is_held() -> None:
    # What hung `towncc demo`: the handler ran while the main thread held the Event's lock
    # (inside Event.wait), and threading.Event.set() then waited for that lock forever. Hold
    # the lock in another thread until the handler has run: with a plain Event this hangs.
    stop = stop_on_signals((signal.SIGUSR1,))
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with stop._cond:  # type: ignore[attr-defined]  # the Event's own lock
            held.set()
            done.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    try:
        os.kill(os.getpid(), signal.SIGUSR1)  # the handler runs in this (the main) thread
        assert stop.is_set() and stop.wait(0)
    finally:
        done.set()
        holder.join()
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)


def test_wait_returns_at_its_timeout_or_once_set() -> None:
    stop = SignalStop()
    assert stop.wait(0.01) is False
    threading.Timer(0.05, stop.set).start()
    assert stop.wait(10) is True
    stop.clear()
    assert not stop.is_set()
