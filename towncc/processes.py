"""Stopping child processes politely, then firmly."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM the process, wait up to ``timeout`` seconds, then SIGKILL it."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
