"""/metrics' pure parts, the memory thresholds, and the wall's push instruments (no Redis)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from core.settings import Settings
from dashboard import live, metrics, redis_memory, rows_link
from dashboard.health import Notice
from dashboard.map_patch import MapTraces
from dashboard.meters import Meters
from dashboard.metrics import Engine, Snapshot, families, intake_label
from dashboard.push import Limits, Reads
from tests.support.aio import run_now
from tests.unit.test_dashboard_push import begin, case

GIB = 1024**3


def memory(used: int, maxmemory: int = 0, system: int = 0) -> redis_memory.Memory:
    return redis_memory.Memory(used, maxmemory, system, "noeviction")


@pytest.mark.parametrize(
    ("method", "path", "label"),
    [
        ("POST", "/api/ingest/urban", "urban"),
        ("POST", "/api/ingest/no-such-feed", "unknown"),
        ("POST", "/open311/v2/requests.json", "open311"),
        ("GET", "/open311/v2/requests.json", None),
        ("GET", "/api/ingest/urban", None),
        ("POST", "/api/cases/x/actions", None),
    ],
)
def test_only_intake_requests_are_timed_with_a_bounded_feed_label(
    method: str, path: str, label: str | None
) -> None:
    assert intake_label({"type": "http", "method": method, "path": path}) == label


@pytest.mark.parametrize(
    ("mem", "level"),
    [
        (memory(79, 100), None),
        (memory(80, 100), "warning"),
        (memory(94, 100), "warning"),
        (memory(95, 100), "critical"),
        (memory(120, 100), "critical"),
        (memory(90, 0, 100), "warning"),  # no maxmemory: the machine's memory is the limit
        (memory(90), None),  # no limit known at all
    ],
)
def test_memory_warns_at_80_and_is_critical_at_95_percent_of_the_limit(
    mem: redis_memory.Memory, level: str | None
) -> None:
    assert redis_memory.level(mem) == level


def test_info_memory_is_read_whether_decoded_or_not() -> None:
    info = {b"used_memory": b"1048576", b"maxmemory": b"2097152", b"maxmemory_policy": b"lru"}
    got = redis_memory.of_info(cast(dict[str, Any], info))
    assert (got.used, got.maxmemory, got.policy, got.evicts) == (1 << 20, 2 << 20, "lru", True)
    assert got.params() == {"used_mb": 1, "max_mb": 2}


def render(snap: Snapshot) -> dict[str, list[Any]]:
    class Fixed:
        def collect(self) -> Any:
            return families(snap)

    registry = CollectorRegistry()
    registry.register(cast(Any, Fixed()))
    text = generate_latest(registry).decode()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def test_a_snapshot_renders_as_parseable_prometheus_text() -> None:
    snap = Snapshot(
        feeds={"urban": {"records": "7", "dead_letters": "2"}, "water": {}},
        lengths={"events": 9, "quarantine": 1},
        engine={"events": Engine(pending=3, lag=4, lag_s=1.5)},
        memory=memory(GIB // 2, 2 * GIB),
        notices=[Notice("redis-memory", "warning", "near", {"used_mb": 1, "max_mb": 2})],
    )
    found = render(snap)
    records = {s.labels["feed"]: s.value for s in found["towncc_feed_records"]}
    assert records == {"urban": 7, "water": 0}
    assert [s.value for s in found["towncc_feed_dead_letters"]] == [2, 0]
    assert [(s.labels, s.value) for s in found["towncc_engine_lag_entries"]] == [
        ({"stream": "events"}, 4)
    ]
    assert found["towncc_engine_lag_seconds"][0].value == 1.5
    assert found["towncc_quarantined_entries"][0].value == 1
    assert found["towncc_redis_maxmemory_bytes"][0].value == 2 * GIB
    [notice] = found["towncc_notice"]
    assert (notice.labels, notice.value) == ({"code": "redis-memory", "level": "warning"}, 1)


def count(meters: Meters, name: str) -> float | None:
    return meters.registry.get_sample_value(name)


def test_a_step_that_sends_rows_observes_its_push_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    page = SimpleNamespace(is_shutdown=False)

    async def read(wall: Any, ws: Any, state: Any, acks: Any) -> Reads:
        page.is_shutdown = True  # one step
        return Reads(cursor="8-0", cases=[case(1)])

    async def send(messages: Any, socket: Any) -> bool:
        return True

    monkeypatch.setattr(live, "send", send)
    monkeypatch.setattr(live, "read", read)
    meters = Meters()
    state, _ = begin([])
    assert count(meters, "towncc_push_seconds_count") == 0
    wall = cast(Any, SimpleNamespace(meters=meters))
    run_now(live.run(wall, page, state, rows_link.PageLink(), rows_link.Acks()))
    assert count(meters, "towncc_push_seconds_count") == 1


def test_a_wall_counts_as_connected_while_its_push_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    meters = Meters()
    seen: list[float | None] = []

    async def run(wall: Any, ws: Any, state: Any, link: Any, acks: Any) -> None:
        seen.append(count(meters, "towncc_walls_connected"))

    monkeypatch.setattr(live, "run", run)
    monkeypatch.setattr(live, "ctx", SimpleNamespace(websocket=None))
    traces = MapTraces(0, 1, 2, ())
    wall = cast(Any, SimpleNamespace(meters=meters, limits=Limits(5, 5), traces=traces))
    run_now(live.run_push(wall, {"cursor": "0-0", "lang": "zh", "filter": {}, "fresh": True}))
    assert seen == [1] and count(meters, "towncc_walls_connected") == 0
    run_now(live.run_push(wall, None))  # /admin: no push, no wall
    assert seen == [1]


def test_two_apps_in_one_process_count_apart() -> None:
    one, two = Meters(), Meters()
    one.intake.labels("urban").observe(0.01)
    assert count(one, "towncc_intake_seconds_count") is None  # labelled: ask with labels
    labels = {"feed": "urban"}
    assert one.registry.get_sample_value("towncc_intake_seconds_count", labels) == 1
    assert two.registry.get_sample_value("towncc_intake_seconds_count", labels) is None
    assert metrics.PATH == "/metrics"


def test_the_embedded_redis_limit_takes_a_size(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().redis_maxmemory == 2 * GIB
    monkeypatch.setenv("TOWNCC_REDIS_MAXMEMORY", "512MiB")
    assert Settings().redis_maxmemory == 512 * 1024**2
