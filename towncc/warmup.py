"""The demo's past: the hours before its start, run through the real pipeline on a clock that
runs fast, so that the centre opens on a working day rather than an empty one.

The case feeds' simulators tick through the last ``hours`` minute by minute. Each minute,
their bodies go through the feed adapters and the intake's sink (received at that minute, as
the intake writes them), the engine applies them and sweeps the deadlines, and the simulated
staff (responders/) act through the actions API, served in process, on the same clock. So
every case, action, audit entry and assessment bucket is what the live centre would have
written at that time; nothing is written around the engine.

It runs once, on an empty store, before any process of the demo starts; the simulator then
leaves out the backfill of the feeds it covered (`towncc simulate --after-history`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases.engine import Engine
from core.keys import Keys
from dashboard.api import api_router
from ingest.feeds import FEEDS
from ingest.sim.fleet import HISTORY_FEEDS, Options, build
from ingest.sink import RedisSink
from layers.town import Town
from responders.plan import Candidates
from responders.run import Responder
from responders.staff import Staff

log = logging.getLogger(__name__)
STEP = timedelta(minutes=1)
POLL_EVERY = 2  # the staff look at their cases every 2 simulated minutes


@dataclass(frozen=True)
class Summary:
    start: datetime
    end: datetime
    records: int
    actions: int
    seconds: float

    def line(self) -> str:
        return (
            f"demo history: {self.records} records and {self.actions} staff actions from "
            f"{self.start:%H:%M} to {self.end:%H:%M} UTC, in {self.seconds:.1f} s"
        )


class Clock:
    """The warm-up's time, moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def is_empty(r: redis.Redis, keys: Keys) -> bool:
    """Whether the store has no history yet: nothing ever reached the engine."""
    return not r.exists(keys.events)


def warm_up(
    r: redis.Redis,
    keys: Keys,
    town: Town,
    make_engine: Callable[[Callable[[], datetime]], Engine],
    staff: Staff,
    candidates: Candidates,
    *,
    hours: float,
    options: Options,
    maxlen: int,
    feeds: Sequence[str] = HISTORY_FEEDS,
    now: datetime | None = None,
    staff_seed: int = 0,
) -> Summary:
    """Run the last ``hours`` before ``now``; what was written. ``staff_seed``: the live
    staff's (`towncc respond --seed`), so they carry on with the same decisions."""
    began = time.monotonic()
    # A line per request (the in-process client logs as httpx2) or poll of a fast clock.
    for noisy in ("responders", "httpx", "httpx2"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    start = end - timedelta(hours=hours)
    clock = Clock(start)
    engine = make_engine(clock)
    engine.ensure_group()
    sims = build(town, options, feeds)
    sink = RedisSink(keys, maxlen)
    app = FastAPI()
    app.include_router(api_router(r, keys, wait_s=0, clock=clock))
    records = 0
    with TestClient(app) as client:
        # The app served in process: the same routes, the same checks, on the warm-up's clock.
        responder = Responder(client, staff, candidates, clock=clock, seed=staff_seed)
        for sim in sims:  # the simulators start at the history's start, with nothing before
            sim.backfill(start)
        minute = 0
        while clock.now < end:
            clock.now += STEP
            minute += 1
            for sim in sims:
                for body in sim.tick(clock.now, STEP.total_seconds()):
                    records += sink.write(r, FEEDS[sim.feed].parse(body, clock.now)).accepted
            _drain(engine)
            engine.sweep(clock.now)
            if minute % POLL_EVERY == 0:
                responder.poll()
                _drain(engine)
    summary = Summary(
        start, end, records, responder.done.get("pending", 0), time.monotonic() - began
    )
    log.info(summary.line())
    return summary


def _drain(engine: Engine) -> None:
    while engine.step(block_ms=None):
        pass
