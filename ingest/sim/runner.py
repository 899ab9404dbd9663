"""POST every simulator's bodies to the intake, retrying what fails, until stopped."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime

import httpx

from ingest.adapter import media_types
from ingest.feeds import FEEDS
from ingest.freshness import SIMULATED_HEADER
from ingest.sim import FeedSimulator

log = logging.getLogger(__name__)
TICK_S = 0.2
MAX_BACKLOG = 10_000  # bodies per feed kept while the intake is unreachable


def run(
    sims: Sequence[FeedSimulator],
    base_url: str,
    stop: threading.Event,
    tokens: Mapping[str, str] | None = None,
) -> int:
    """Send until ``stop`` is set; the number of bodies the intake accepted. ``tokens``: each
    feed's token, sent as `Authorization: Bearer`."""
    backlog: dict[str, deque[bytes]] = {s.feed: deque(maxlen=MAX_BACKLOG) for s in sims}
    sent = 0
    now = datetime.now().astimezone()
    for sim in sims:
        backlog[sim.feed].extend(sim.backfill(now))
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while True:
            for sim in sims:
                sent += _flush(client, sim.feed, backlog[sim.feed], (tokens or {}).get(sim.feed))
            if stop.wait(TICK_S):
                return sent
            # Tick by the time that really passed: a stalled POST must not thin the feeds out.
            previous, now = now, datetime.now().astimezone()
            elapsed = (now - previous).total_seconds()
            for sim in sims:
                backlog[sim.feed].extend(sim.tick(now, elapsed))


def _flush(client: httpx.Client, feed: str, queue: deque[bytes], token: str | None) -> int:
    sent = 0
    # What the feed reads; and made up here: the screens then say 演示数据 (ingest/freshness.py).
    kind = {"Content-Type": media_types(FEEDS[feed])[0], SIMULATED_HEADER: "1"}
    if token:
        kind["Authorization"] = f"Bearer {token}"
    while queue:
        try:
            client.post(f"/api/ingest/{feed}", content=queue[0], headers=kind).raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("simulator %s: POST failed (%s); %d bodies kept", feed, exc, len(queue))
            return sent
        queue.popleft()
        sent += 1
    return sent
