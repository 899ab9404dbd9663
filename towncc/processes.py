"""Child processes that never outlive their parent, and stopping them politely, then firmly.

Every process towncc starts for itself (the embedded Redis, the demo's children) gets a
parent-death signal (Linux `prctl(PR_SET_PDEATHSIG)`, set between fork and exec), so even a
supervisor killed with SIGKILL takes its children with it; and each one leads a process group
of its own, so that stopping it reaches whatever it started in turn.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
Process = subprocess.Popen[bytes]


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A `preexec_fn` that has the child receive ``sig`` when this process dies.

    Linux sends the signal when the *thread* that forked the child ends, not the process: so
    only from the main thread (elsewhere None: no parent-death signal, the caller stops it).
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here: nothing to load after fork

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), sig)

    return preexec


def spawn(args: Sequence[str], *, death_signal: int = signal.SIGKILL, **popen: Any) -> Process:
    """Start ``args`` leading a new session (its own process group), dying with this process."""
    return subprocess.Popen(  # noqa: S603  # our own commands, never a shell
        list(args), start_new_session=True, preexec_fn=die_with_parent(death_signal), **popen
    )


def signal_group(process: Process, sig: int) -> None:
    """Send ``sig`` to the process group that ``process`` leads (see `spawn`)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def wait_all(processes: Sequence[Process], deadline: float) -> bool:
    """Wait until every process has exited or the monotonic ``deadline``; True if all did."""
    while True:
        if all(p.poll() is not None for p in processes):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def stop_all(processes: Sequence[Process], deadline: float) -> None:
    """SIGTERM every group at once, wait until ``deadline``, SIGKILL every group.

    The SIGKILL goes to every group, the exited leaders' too: something a child started may
    still be running in its group after the child itself has gone.
    """
    for process in processes:
        signal_group(process, signal.SIGTERM)
    wait_all(processes, deadline)
    for process in processes:
        signal_group(process, signal.SIGKILL)
    wait_all(processes, time.monotonic() + 2.0)


def stop(process: Process | None, timeout: float = 10.0) -> None:
    """SIGTERM the process, wait up to ``timeout`` seconds, then SIGKILL it."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
