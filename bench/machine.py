"""What machine a benchmark ran on, printed beside its figures."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _version(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "not found"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def describe() -> str:
    """One paragraph: CPU, cores, memory, OS, Python, Chromium and the embedded server's
    versions."""
    from towncc.embedded import server_binary

    return (
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory_gib():.0f} GiB; "
        f"{platform.platform()}; Python {platform.python_version()}; "
        f"{_version(['chromium', '--version'])}; "
        f"valkey-server {_version([server_binary(), '--version']).split()[2]}"
    )
