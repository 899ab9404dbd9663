"""GET /metrics: the centre in Prometheus's text format (prometheus-client).

Two sources. The web process's own instruments (`dashboard/meters.py`: intake latency, push
latency, connected walls), per process. And, read from Redis at each scrape by a custom
collector, what every process counts there: records accepted and dead-lettered per feed (the
intake's `feed:<feed>` hashes, so they hold across processes and restarts), the engine's lag
and pending entries, quarantined entries, stream lengths, Redis's memory, and every health
notice (`dashboard/health.py`). With Redis down the page still answers, with `towncc_redis_up 0`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import redis
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Receive, Scope, Send

from core.keys import ENGINE_GROUP, Keys
from core.replies import text
from core.settings import Settings
from dashboard import health, redis_memory
from dashboard.context import WallContext
from dashboard.meters import Meters
from ingest.feeds import FEEDS

log = logging.getLogger(__name__)
PATH = "/metrics"
INGEST = re.compile(r"/api/ingest/([^/]+)$")
OPEN311_POST = "/open311/v2/requests.json"
# Redis before 7 does not count a group's lag: count the undelivered entries, up to this.
LAG_COUNT_MAX = 1000


@dataclass(frozen=True, slots=True)
class Engine:
    """The engine group on one stream."""

    pending: int
    lag: int
    lag_s: float  # age of the oldest entry not yet delivered (0: none)


@dataclass(frozen=True, slots=True)
class Snapshot:
    feeds: dict[str, dict[str, str]]
    lengths: dict[str, int]
    engine: dict[str, Engine]
    memory: redis_memory.Memory
    notices: list[health.Notice] = field(default_factory=list)


def read(r: redis.Redis, keys: Keys, feeds: Iterable[str]) -> Snapshot:
    """Everything the collector reports from Redis, in two pipelined round trips."""
    names, labels = list(feeds), keys.streams
    pipe = r.pipeline(transaction=False)
    for feed in names:
        pipe.hgetall(keys.feed_stats(feed))
    for key in labels.values():
        pipe.xlen(key)
    for stream in ("events", "commands"):
        pipe.xinfo_groups(labels[stream])
    pipe.info("memory")
    pipe.time()
    replies = pipe.execute(raise_on_error=False)  # a missing stream's XINFO is no failure
    stats, rest = replies[: len(names)], replies[len(names) :]
    lengths = dict(zip(labels, rest[: len(labels)], strict=True))
    groups = dict(zip(("events", "commands"), rest[len(labels) : len(labels) + 2], strict=True))
    memory, (seconds, micros) = rest[-2:]
    now_ms = int(seconds) * 1000 + int(micros) // 1000
    return Snapshot(
        feeds={
            f: {text(k): text(v) for k, v in s.items()} for f, s in zip(names, stats, strict=True)
        },
        lengths={label: int(n) for label, n in lengths.items()},
        engine=_engine(r, labels, groups, now_ms),
        memory=redis_memory.of_info(memory),
    )


def _engine(
    r: redis.Redis, labels: dict[str, str], groups: dict[str, Any], now_ms: int
) -> dict[str, Engine]:
    found: dict[str, Engine] = {}
    for stream, reply in groups.items():
        if isinstance(reply, Exception):  # no such stream yet
            continue
        group = next((g for g in reply if text(g["name"]) == ENGINE_GROUP), None)
        if group is None:
            continue
        after = f"({text(group['last-delivered-id'])}"
        first: Any = r.xrange(labels[stream], after, "+", count=1)
        lag_s = max(0.0, (now_ms - int(text(first[0][0]).split("-")[0])) / 1000) if first else 0.0
        lag = group.get("lag")
        if lag is None:  # Redis 6, or a lag Redis 7 cannot tell after a deletion
            undelivered: Any = r.xrange(labels[stream], after, "+", count=LAG_COUNT_MAX)
            lag = len(undelivered)
        found[stream] = Engine(int(group["pending"]), int(lag), lag_s)
    return found


def families(snap: Snapshot) -> Iterator[Metric]:
    """The Redis-backed metric families of one snapshot."""
    accepted = CounterMetricFamily(
        "towncc_feed_records", "Records accepted by the intake, per feed.", labels=["feed"]
    )
    dead = CounterMetricFamily(
        "towncc_feed_dead_letters",
        "Records dead-lettered by the intake, per feed.",
        labels=["feed"],
    )
    for feed, stats in snap.feeds.items():
        accepted.add_metric([feed], int(stats.get("records", 0)))
        dead.add_metric([feed], int(stats.get("dead_letters", 0)))
    yield accepted
    yield dead
    yield _per_stream(
        "towncc_stream_entries", "Entries in each stream (XLEN).", snap.lengths.items()
    )
    engine = snap.engine.items()
    yield _per_stream(
        "towncc_engine_pending_entries",
        "Entries read by the engine and not yet acknowledged.",
        ((s, e.pending) for s, e in engine),
    )
    yield _per_stream(
        "towncc_engine_lag_entries",
        f"Entries not yet delivered to the engine (counted up to {LAG_COUNT_MAX} on Redis 6).",
        ((s, e.lag) for s, e in engine),
    )
    yield _per_stream(
        "towncc_engine_lag_seconds",
        "Age of the oldest entry not yet delivered to the engine (0: none).",
        ((s, e.lag_s) for s, e in engine),
    )
    yield from _gauges(snap)


def _per_stream(name: str, doc: str, values: Iterable[tuple[str, float]]) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=["stream"])
    for stream, value in values:
        family.add_metric([stream], value)
    return family


def _gauges(snap: Snapshot) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "towncc_quarantined_entries",
        "Entries the engine could not apply, kept in the quarantine stream.",
        value=snap.lengths["quarantine"],
    )
    memory = snap.memory
    yield GaugeMetricFamily(
        "towncc_redis_memory_used_bytes", "Redis used_memory.", value=memory.used
    )
    yield GaugeMetricFamily(
        "towncc_redis_maxmemory_bytes", "Redis maxmemory (0: no limit).", value=memory.maxmemory
    )
    notices = GaugeMetricFamily(
        "towncc_notice", "Health notices in force (1 each).", labels=["code", "level"]
    )
    for notice in snap.notices:
        notices.add_metric([notice.code, notice.level], 1)
    yield notices


def redis_up(up: bool) -> Metric:
    return GaugeMetricFamily("towncc_redis_up", "1 while Redis answers, else 0.", value=int(up))


class RedisCollector(Collector):
    """Reads Redis at each scrape; with Redis down, says so and nothing else."""

    def __init__(
        self,
        r: redis.Redis,
        keys: Keys,
        settings: Settings,
        feeds: Iterable[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.r, self.keys, self.settings, self.feeds = r, keys, settings, tuple(feeds)
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            snap = read(self.r, self.keys, self.feeds)
            found = health.notices(self.r, self.keys, self.settings, self.clock())
        except redis.RedisError as exc:
            if not isinstance(exc, redis.ConnectionError | redis.TimeoutError):
                log.warning("metrics: Redis refused a read (%s)", type(exc).__name__)
            yield redis_up(False)
            return
        yield redis_up(True)
        yield from families(replace(snap, notices=found))


def intake_label(scope: Scope) -> str | None:
    """The `feed` label of an intake request; None for every other request."""
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    path: str = scope.get("path", "")
    if path.endswith(OPEN311_POST):
        return "open311"
    if match := INGEST.search(path):
        return match[1] if match[1] in FEEDS else "unknown"  # a label per request would grow
    return None


class IntakeTimer:
    """ASGI middleware: times intake requests from arrival to the end of their answer."""

    def __init__(self, app: ASGIApp, meters: Meters) -> None:
        self.app, self.meters = app, meters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        feed = intake_label(scope)
        if feed is None:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.meters.intake.labels(feed).observe(time.perf_counter() - start)


def mount_metrics(server: FastAPI, wall: WallContext) -> None:
    """GET /metrics and the intake timer on the app's FastAPI server."""
    meters = wall.meters
    meters.registry.register(
        RedisCollector(wall.r, wall.keys, wall.settings, wall.feeds, wall.clock)
    )

    def metrics() -> Response:
        return Response(generate_latest(meters.registry), media_type=CONTENT_TYPE_LATEST)

    server.add_api_route(
        PATH,
        metrics,
        methods=["GET"],
        summary="Prometheus metrics (text format)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    server.add_middleware(IntakeTimer, meters=meters)
