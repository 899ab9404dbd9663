"""Counts over every open case: the engine's counters (cases/tally.py) read through GET
/api/counts and the module panels, checked against an independent count of every open case
read through the public API, page by page (more cases than the wall's snapshot holds)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases.counts import read_counts
from cases.engine import Engine
from cases.view import case_view
from core.keys import Keys
from core.settings import Settings
from dashboard.api import api_router
from dashboard.modules import compute
from dashboard.modules.data import read_module_data
from layers.town import Town
from tests.support.clock import Clock
from tests.support.pipeline import drain_now
from tests.support.reports import Report, mixed_reports, write_events

pytestmark = pytest.mark.redis
NOW = datetime(2026, 12, 9, 3, 30, tzinfo=UTC)  # a Wednesday; the clock every part is given
MANY = 5_000


@pytest.fixture
def clock() -> Clock:
    """The one clock of the engine and the API, moved by the test."""
    return Clock(NOW)


@pytest.fixture
def engine(timed_engine: Engine) -> Engine:
    return timed_engine


@pytest.fixture
def api(r: redis.Redis, keys: Keys, clock: Clock) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(api_router(r, keys, clock=clock))
    with TestClient(app) as client:
        yield client


def apply(engine: Engine, r: redis.Redis, keys: Keys, reports: list[Report], at: datetime) -> None:
    write_events(r, keys, [rep.event(max(at, rep.occurred_at)) for rep in reports])
    drain_now(engine)


def every_open_case(api: TestClient, limit: int = 1000) -> list[dict[str, Any]]:
    """Every open case, following the `Link: rel="next"` headers from the first page."""
    found: list[dict[str, Any]] = []
    url: str | None = f"/api/cases?status=open&limit={limit}"
    while url is not None:
        page = api.get(url)
        assert page.status_code == 200, page.text
        found += page.json()
        url = page.links.get("next", {}).get("url")
    return found


def recount(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures counted from the case records alone (their view fields), not the counters."""
    hazards = [c for c in cases if c["feed"] == "safety"]
    return {
        "open_total": len(cases),
        "late": sum(1 for c in cases if c["late"]),
        "response_overdue": sum(1 for c in cases if c["overdue"]),
        "escalated": sum(1 for c in cases if c["level"] in ("village", "town")),
        "hazards": len(hazards),
        "hazard_enterprises": len({c["title"] for c in hazards}),
        "village_open": dict(Counter(c["village"] for c in cases if c["village"])),
    }


def seed(engine: Engine, r: redis.Redis, keys: Keys, count: int) -> list[Report]:
    """``count`` open cases through the real engine, then a tenth of them closed by their
    source, and the late ones escalated."""
    reports = mixed_reports(count + count // 10, NOW)
    apply(engine, r, keys, reports, NOW)
    closed = [
        Report(rep.n, rep.feed, rep.category, rep.occurred_at, rep.title, "closed")
        for rep in reports[::11]
    ]
    write_events(r, keys, [rep.event(NOW, version=1) for rep in closed])
    drain_now(engine)
    engine.sweep()  # the deadlines passed escalate their cases
    return reports


@pytest.fixture
def seeded(engine: Engine, r: redis.Redis, keys: Keys) -> list[Report]:
    return seed(engine, r, keys, MANY)


@pytest.fixture
def some(engine: Engine, r: redis.Redis, keys: Keys) -> list[Report]:
    return seed(engine, r, keys, 600)


def test_counts_api_equals_a_count_over_every_open_case_read_page_by_page(
    seeded: list[Report], api: TestClient, settings: Settings
) -> None:
    cases = every_open_case(api)
    snapshot_size = max(settings.wall_max_rows, settings.wall_max_points)  # dashboard/context
    assert len(cases) == len({c["id"] for c in cases}) >= MANY > snapshot_size
    assert all(c["status"] == "open" for c in cases)
    counts = api.get("/api/counts").json()
    expected = recount(cases)
    assert {k: counts[k] for k in expected} == expected
    assert expected["late"] > expected["response_overdue"] > 0  # both clocks run in the mix
    assert 0 < expected["escalated"] < len(cases)
    by = counts["open_by"]
    for feed in ("urban", "labour", "safety", "governance"):
        mine = [c for c in cases if c["feed"] == feed]
        assert by[f"feed={feed}"] == len(mine)
        for level, n in Counter(c["level"] for c in mine).items():
            assert by[f"feed={feed}|level={level}"] == n
    wage = [c for c in cases if c["category"] == "wage_arrears"]
    assert by["feed=labour|category=wage_arrears"] == by["category=wage_arrears"] == len(wage)


def test_every_module_figure_equals_a_count_over_all_open_cases_through_the_api(
    seeded: list[Report], api: TestClient, r: redis.Redis, keys: Keys, town: Town
) -> None:
    cases = every_open_case(api)
    assert len(cases) >= MANY
    data = read_module_data(r, keys, 100, NOW, town)  # the map's marks get 100: none counted
    counted = {  # the figures counted over the open cases (not today's, nor the town's own)
        ("command", "在办"), ("command", "超时"), ("command", "已升级"),
        ("enforcement", "中队在办"), ("enterprise", "有隐患企业"), ("enterprise", "未整改隐患"),
        ("labour", "欠薪预警"), ("grid", "网格员上报在办 / 格内"),
    }  # fmt: skip
    shown = {
        (module.id, figure.label.zh): figure.value
        for module, figures in compute(data)
        for figure in figures
        if (module.id, figure.label.zh) in counted
    }
    hazards = [c for c in cases if c["feed"] == "safety"]
    grid = [c for c in cases if c["feed"] == "governance"]
    expected = {
        ("command", "在办"): len(cases),
        ("command", "超时"): sum(1 for c in cases if c["overdue"] or c["handling_overdue"]),
        ("command", "已升级"): sum(1 for c in cases if c["level"] != "grid"),
        ("enforcement", "中队在办"): sum(
            1 for c in cases if (c["department"] or "").startswith("enforce-")
        ),
        ("enterprise", "有隐患企业"): len({c["title"] for c in hazards}),
        ("enterprise", "未整改隐患"): len(hazards),
        ("labour", "欠薪预警"): sum(1 for c in cases if c["category"] == "wage_arrears"),
    }
    expected_shown = {k: f"{v:,}" for k, v in expected.items()}
    in_grid = sum(1 for c in grid if c["level"] == "grid")
    expected_shown["grid", "网格员上报在办 / 格内"] = f"{len(grid):,} / {in_grid:,}"
    assert shown == expected_shown
    assert all(v > 0 for v in expected.values())


def test_a_late_count_moves_when_only_time_passes(
    engine: Engine, r: redis.Redis, keys: Keys, api: TestClient, clock: Clock
) -> None:
    reports = [Report(n, "urban", "parking", NOW - timedelta(minutes=n)) for n in range(10)]
    apply(engine, r, keys, reports, NOW)
    before = api.get("/api/counts").json()
    assert before["response_overdue"] == before["late"] == 0
    writes = r.xlen(keys.case_events)
    clock.now = NOW + timedelta(minutes=10, seconds=30)  # 15-minute first response: 5 late
    after = api.get("/api/counts").json()
    assert after["response_overdue"] == after["late"] == 5
    assert r.xlen(keys.case_events) == writes  # nothing was written: only time passed
    assert recount(every_open_case(api))["late"] == 5


def test_two_thousand_unanswered_cases_are_counted_whole_and_apart_from_handling_late(
    engine: Engine, r: redis.Redis, keys: Keys, api: TestClient, settings: Settings
) -> None:
    """More cases late on their first response than the queue's rows: the API counts them
    all, and 超时未响应 leaves out the cases late on their handling only."""
    assert settings.wall_max_rows < 2_000
    unanswered = [
        Report(n, "urban", "parking", NOW - timedelta(minutes=20 + n % 60)) for n in range(2_000)
    ]
    handling_late = [
        Report(n, "urban", "dispute", NOW - timedelta(days=10)) for n in range(2_000, 2_300)
    ]
    apply(engine, r, keys, unanswered + handling_late, NOW)
    engine.sweep()  # escalates them: a late case is still late, wherever it is handled
    counts = api.get("/api/counts").json()
    cases = every_open_case(api)
    assert counts["response_overdue"] == sum(c["overdue"] for c in cases) == 2_000
    assert counts["late"] == sum(c["late"] for c in cases) == 2_300


def test_late_in_the_counts_is_the_case_views_late_at_any_moment(
    engine: Engine, r: redis.Redis, keys: Keys, api: TestClient, clock: Clock
) -> None:
    reports = mixed_reports(300, NOW)
    apply(engine, r, keys, reports, NOW)
    cases = every_open_case(api)
    moments = sorted(
        {case_view(c, NOW).response_due for c in cases} - {None}
        | {case_view(c, NOW).handling_due for c in cases} - {None}
    )
    probes = [NOW - timedelta(days=30), NOW + timedelta(days=60)]
    for due in moments[:: max(1, len(moments) // 20)]:
        assert due is not None
        probes += [due - timedelta(microseconds=1), due, due + timedelta(microseconds=1)]
    for at in probes:
        counts = read_counts(r, keys, at)
        views = [case_view(c, at) for c in cases]
        assert counts.late == sum(v.late for v in views), at
        assert counts.response_overdue == sum(v.overdue for v in views), at


@pytest.mark.parametrize("status", ["open", "all", "closed"])
def test_pages_follow_one_another_without_gap_or_repeat(
    some: list[Report], api: TestClient, status: str
) -> None:
    whole = api.get(f"/api/cases?status={status}&limit=1000").json()
    assert len(whole) > 17 * 2
    seen: list[str] = []
    url: str | None = f"/api/cases?status={status}&limit=17"
    while url is not None:
        page = api.get(url)
        seen += [c["id"] for c in page.json()]
        url = page.links.get("next", {}).get("url")
        if len(seen) >= len(whole):
            break
    assert seen[: len(whole)] == [c["id"] for c in whole]


def test_the_last_page_has_no_next_link(some: list[Report], api: TestClient) -> None:
    total = api.get("/api/counts").json()["open_total"]
    last = api.get(f"/api/cases?limit=100&offset={total - total % 100}")
    assert len(last.json()) == total % 100
    assert "next" not in last.links
    beyond = api.get(f"/api/cases?limit=100&offset={total + 5}")
    assert beyond.json() == [] and "next" not in beyond.links


def test_a_case_record_carries_its_view(some: list[Report], api: TestClient) -> None:
    [case] = api.get("/api/cases?limit=1").json()
    view = case_view(case, NOW).fields()
    assert {k: case[k] for k in view} == view


def test_the_filters_give_every_open_case_that_matches_and_count_them_all(
    some: list[Report], api: TestClient, clock: Clock
) -> None:
    """The console's and the tablet's filters (cases/facets.py) over every open case: each
    combination gives exactly the cases a filter over all of them gives, newest first, in
    pages, and `X-Total-Count` counts them all."""
    clock.now = NOW + timedelta(hours=3)  # first responses and some handling deadlines late
    cases = every_open_case(api)
    assert sum(c["late"] for c in cases) > 0 and sum(not c["late"] for c in cases) > 0

    def common(name: str) -> str:
        [(value, _)] = Counter(c[name] for c in cases if c[name]).most_common(1)
        return str(value)

    village, category = common("village"), common("category")
    grid = Counter(c["grid"] for c in cases if c["village"] == village).most_common(1)[0][0]
    combos: list[dict[str, Any]] = [
        {}, {"village": village}, {"category": category}, {"stage": common("stage")},
        {"department": common("department")}, {"level": "village"}, {"late": True},
        {"village": village, "late": False}, {"grid": grid, "category": category},
        {"village": village, "level": "grid", "stage": common("stage")},
    ]  # fmt: skip
    for combo in combos:
        expected = {
            c["id"] for c in cases
            if all(c[k] == v for k, v in combo.items())
        }  # fmt: skip
        found: list[dict[str, Any]] = []
        query = "&".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                         for k, v in combo.items())  # fmt: skip
        url: str | None = f"/api/cases?limit=97&{query}"
        total = None
        while url is not None:
            page = api.get(url)
            assert page.status_code == 200, page.text
            total = total if total is not None else int(page.headers["X-Total-Count"])
            found += page.json()
            url = page.links.get("next", {}).get("url")
        assert {c["id"] for c in found} == expected, combo
        assert total == len(found) == len(expected), combo
        times = [c["reported_at"] for c in found]
        assert times == sorted(times, reverse=True), combo
    assert len({c["id"] for c in cases if c["level"] == "village"}) > 0  # the sweeps ran
    refused = api.get("/api/cases?status=closed&village=" + village)
    assert refused.status_code == 400
