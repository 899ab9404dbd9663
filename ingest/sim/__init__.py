"""Simulated upstream systems: each produces its feed's native payloads, as the real one would.

A simulator is a FeedSimulator: ``backfill(now)`` gives what the source already holds when
the demo starts, ``tick(now, seconds)`` what it sends in the next ``seconds``. The runner
POSTs the bodies to the intake, so a simulated feed takes exactly the path a real one does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class FeedSimulator(Protocol):
    feed: str

    def backfill(self, now: datetime) -> list[bytes]: ...

    def tick(self, now: datetime, seconds: float) -> list[bytes]: ...
