"""What the web process measures of itself, for /metrics (dashboard/metrics.py).

One registry per app, not prometheus-client's global one: two apps in one process (tests,
benches) must not count into each other. These series are per process; everything the
intake and the engine count across processes is read from Redis at each scrape instead.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram

# Seconds: an intake answer or a push is expected within milliseconds; the top buckets catch
# the stalls that matter (a body parsed on the event loop, a Redis that hangs).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Meters:
    """The in-process instruments of one web app, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.intake = Histogram(
            "towncc_intake_seconds",
            "Time from an intake request (POST /api/ingest/<feed>, Open311 POST) to its answer.",
            ["feed"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.push = Histogram(
            "towncc_push_seconds",
            "Time from reading a batch of case changes to sending it to a wall.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.walls = Gauge(
            "towncc_walls_connected",
            "Wall pages whose push loop runs in this process.",
            registry=self.registry,
        )
