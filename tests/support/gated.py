"""A parse that waits at a gate, to catch the intake while a body is being parsed.

The gate is a folder named by ``GATE_ENV`` (read when called, so a worker process spawned
after the test set it sees it too): the parse writes ``started`` there, then waits for
``open`` before it parses.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from ingest.offload import Target, parse_and_store
from ingest.sink import Outcome
from ingest.spool import Entry

GATE_ENV = "TOWNCC_TEST_PARSE_GATE"
WAIT_S = 60.0


def gated_parse_and_store(
    feed: str, body: bytes, received_at: datetime, target: Target
) -> tuple[list[Entry], Outcome]:
    gate = Path(os.environ[GATE_ENV])
    (gate / "started").write_text(str(os.getpid()))
    deadline = time.monotonic() + WAIT_S
    while not (gate / "open").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return parse_and_store(feed, body, received_at, target)
