"""`python -m tests.support.supervised NAME…`: `towncc demo`'s supervisor (`run_demo`, with its
embedded Redis and settings from the environment) over a chosen set of children, so a test can
add a child that fails on purpose or one that ignores SIGTERM.

Children: `wall` (the real `towncc serve`), `engine` (the real `towncc engine`), `failing`
(exits with 3 at once), `stubborn` (ignores SIGTERM, and starts a process of its own that
does too), `sleeper` (sleeps).
"""

from __future__ import annotations

import logging
import sys

from core.settings import Settings
from towncc.supervisor import ChildSpec, run_demo, towncc_command

IGNORE_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
# Ignores SIGTERM, and starts a process of its own that ignores it too (the same group).
STUBBORN = (
    IGNORE_TERM
    + "import subprocess, sys; "
    + f"subprocess.Popen([sys.executable, '-c', {IGNORE_TERM + 'time.sleep(600)'!r}]); "
    + "time.sleep(600)"
)
CHILDREN = {
    "wall": towncc_command("wall", "serve"),
    "engine": towncc_command("engine", "engine"),
    "failing": ChildSpec("failing", (sys.executable, "-c", "raise SystemExit(3)")),
    "stubborn": ChildSpec("stubborn", (sys.executable, "-c", STUBBORN)),
    "sleeper": ChildSpec("sleeper", (sys.executable, "-c", "import time; time.sleep(600)")),
}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run_demo(Settings(), simulate=False, children=[CHILDREN[name] for name in sys.argv[1:]])


if __name__ == "__main__":
    main()
