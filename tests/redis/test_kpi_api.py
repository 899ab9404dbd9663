"""GET /api/kpi over cases the real engine wrote: reports pushed through the urban adapter,
operator commands applied by the engine, figures checked against an independent count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from redis.backoff import NoBackoff
from redis.retry import Retry

from cases import store
from cases.engine import Engine
from cases.kpi_store import read_facts
from cases.lifecycle_events import (
    Accept,
    Cancel,
    Close,
    Command,
    Extend,
    Handle,
    Merge,
    Park,
    Verify,
    command_to_dict,
)
from cases.periods import Period
from core.keys import Keys
from core.settings import Settings
from dashboard.app import create_app
from dashboard.kpi_api import kpi_router
from layers.town import Town
from tests.support.access import LOCAL, signed
from tests.support.pipeline import drain, push
from tests.support.urban import around, urban_record

pytestmark = pytest.mark.redis
BJ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # November is over; December runs
NOV_START, NOV_END = datetime(2026, 10, 31, 16, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC)
# Three grids in two villages: 璜塘社区 (enforcement squad 1) and 东湖村 (squad 3).
A, B, C = (120.39961, 31.78212), (120.3981, 31.7957), (120.41516, 31.76969)


def bj(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=BJ)


def sbsj(moment: datetime) -> str:
    return moment.astimezone(BJ).strftime("%Y-%m-%d %H:%M:%S")


def command(r: redis.Redis, keys: Keys, n: int, c: Command) -> None:
    """A command as the API queues it, stamped with the time we choose."""
    fields = {"case_id": f"urban:T-{n:06d}", "c": orjson.dumps(command_to_dict(c)), "reason": ""}
    r.xadd(keys.commands, fields)


def step(action: str, at: datetime) -> Command:
    who = "执法队员"
    if action == "accept":
        return Accept(actor=who, at=at)
    if action == "handle":
        return Handle(actor=who, at=at, feedback="已处置")
    if action in ("verify", "rework"):
        failed = action == "rework"
        return Verify(actor="监督员", at=at, passed=not failed, reason="仍有车辆" if failed else "")
    if action == "close":
        return Close(actor="值班员", at=at)
    if action == "cancel":
        return Cancel(actor="值班员", at=at, reason="无效上报")
    assert action == "park"
    return Park(actor=who, at=at, reason="需长期整治")


def work(r: redis.Redis, keys: Keys, n: int, *steps: tuple[str, datetime]) -> None:
    """The closed loop for case n: each step an action at a Beijing time."""
    for action, at in steps:
        command(r, keys, n, step(action, at))


@pytest.fixture
def seeded(r: redis.Redis, keys: Keys, engine: Engine) -> None:
    """A November of 乱停乱放 cases (2 working hours to handle), written by the engine."""
    monday = bj(2, 9)  # 2 Nov 2026, due 11:00
    reports = [
        urban_record(n, *around(*A, n), sbsj=sbsj(monday)) for n in range(1, 8)
    ]  # 1–7 in grid A
    reports += [
        urban_record(
            8, *around(*B, 8), sbsj=sbsj(bj(30, 23, 30))
        ),  # closed a second before December
        urban_record(
            9, *around(*B, 9), sbsj=sbsj(bj(30, 23, 30))
        ),  # closed at December's first second
        urban_record(
            10, *around(*C, 10), sbsj=sbsj(monday), xlbm="9999", xlmc="无"
        ),  # nobody's: queued
        urban_record(11, *around(*C, 11), sbsj=sbsj(bj(20, 9, month=10))),  # October, never handled
        urban_record(12, *around(*C, 12), sbsj=sbsj(monday)),  # parked
        urban_record(
            13, *around(*C, 13), sbsj=sbsj(monday)
        ),  # closed on time, in another department
    ]
    push(r, keys, reports)
    drain(engine)
    work(r, keys, 1, ("accept", bj(2, 9, 5)), ("handle", bj(2, 10)), ("verify", bj(2, 10, 30)),
         ("close", bj(2, 10, 45)))  # fmt: skip
    work(r, keys, 2, ("accept", bj(2, 9, 20)), ("handle", bj(2, 12)), ("verify", bj(2, 12, 30)),
         ("close", bj(2, 13)))  # fmt: skip
    work(r, keys, 3, ("accept", bj(2, 9, 10)), ("handle", bj(2, 10)), ("rework", bj(2, 10, 20)),
         ("handle", bj(2, 10, 40)), ("verify", bj(2, 10, 50)),
         ("close", bj(2, 10, 55)))  # fmt: skip
    work(r, keys, 4, ("accept", bj(2, 9, 30)))
    command(
        r, keys, 4, Extend(actor="队长", at=bj(2, 10), new_deadline=bj(3, 17), approver="副镇长")
    )
    work(r, keys, 4, ("handle", bj(3, 9)), ("verify", bj(3, 9, 30)), ("close", bj(3, 10)))
    work(r, keys, 5, ("accept", bj(2, 9, 40)))  # and nothing more: overdue
    work(r, keys, 6, ("cancel", bj(2, 9, 30)))
    command(r, keys, 7, Merge(actor="值班员", at=bj(2, 9, 30), parent_id="urban:T-000001"))
    for n, second in ((8, bj(30, 23, 59, 59)), (9, bj(1, 0, month=12))):
        work(r, keys, n, ("accept", bj(30, 23, 35)), ("handle", bj(30, 23, 50)),
             ("verify", bj(30, 23, 55)), ("close", second))  # fmt: skip
    work(r, keys, 12, ("accept", bj(2, 9, 2)), ("park", bj(2, 9, 30)))
    work(r, keys, 13, ("accept", bj(2, 9, 1)), ("handle", bj(2, 9, 30)),
         ("verify", bj(2, 9, 40)), ("close", bj(2, 9, 50)))  # fmt: skip
    drain(engine)
    refused = [e for e in r.xrange(keys.case_events) if e[1]["type"] == "refused"]
    assert not refused, refused


@pytest.fixture
def api(r: redis.Redis, keys: Keys, town: Town) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(kpi_router(r, keys, town, clock=lambda: NOW))
    with TestClient(app) as client:
        yield client


# ---- the independent count: plain loops over the projections, none of cases.kpi -------------


def _t(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def count(cases: list[dict[str, Any]], start: datetime, end: datetime) -> dict[str, Any]:
    due = closed = on_time = reworked = extended = still_open = overdue = 0
    minutes: list[float] = []
    for case in cases:
        if case["stage"] in ("merged", "cancelled", "parked"):
            continue
        reported, deadline = _t(case["reported_at"]), _t(case["handling_due"])
        shut = _t(case["closed_at"]) if case["status"] == "closed" else None
        assert reported is not None
        if (shut is None or shut >= start) and (
            (shut is not None and start <= shut < end)
            or (deadline is not None and start <= deadline < end)
        ):
            due += 1
            if shut is not None and shut < end:
                closed += 1
                on_time += deadline is None or shut <= deadline
            reworked += case["rework_count"] > 0
            extended += case["extension_count"] > 0
        if reported < end and (shut is None or shut >= end):
            still_open += 1
            overdue += deadline is not None and deadline < end
        if start <= reported < end and case["responded_at"]:
            answered = _t(case["responded_at"])
            assert answered is not None
            minutes.append((answered - reported).total_seconds() / 60)
    return {
        "due": due, "closed": closed, "on_time": on_time, "reworked": reworked,
        "extended": extended, "open": still_open, "overdue": overdue, "minutes": minutes,
    }  # fmt: skip


def check(figures: dict[str, Any], expected: dict[str, Any]) -> None:
    due = expected["due"]
    assert figures["due_to_close"] == due
    pairs = {
        "closure_rate": (expected["closed"], due),
        "on_time_rate": (expected["on_time"], due),
        "rework_rate": (expected["reworked"], due),
        "extension_rate": (expected["extended"], due),
        "open_overdue": (expected["overdue"], expected["open"]),
    }
    for name, (numerator, denominator) in pairs.items():
        figure = figures[name]
        assert (figure["numerator"], figure["denominator"]) == (numerator, denominator), name
        if denominator:
            assert figure["percent"] == round(100 * numerator / denominator + 1e-9, 2), name
            assert figure["text"] == f"{100 * numerator / denominator + 1e-9:.2f}%", name
        else:
            assert figure["percent"] is figure["text"] is None
    minutes = sorted(expected["minutes"])
    mean, p90 = figures["first_response_mean"], figures["first_response_p90"]
    assert mean["denominator"] == p90["denominator"] == len(minutes)
    if minutes:
        assert mean["minutes"] == pytest.approx(sum(minutes) / len(minutes), abs=0.005)
        assert p90["minutes"] == pytest.approx(minutes[-(len(minutes) // 10) - 1], abs=0.005)


def every_case(r: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    return store.get_cases(r, keys, store.all_case_ids(r, keys))


# ---- the tests -----------------------------------------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_november_by_grid_village_and_department_matches_an_independent_count(
    r: redis.Redis, keys: Keys, api: TestClient
) -> None:
    cases = every_case(r, keys)
    for by, attr in (("grid", "grid"), ("village", "village"), ("department", "department")):
        response = api.get("/api/kpi", params={"period": "2026-11", "by": by})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["by"] == by
        check(body["town"], count(cases, NOV_START, NOV_END))
        seen = {c[attr] for c in cases}
        for row in body["groups"]:
            mine = [c for c in cases if c[attr] == row["key"]]
            check(row, count(mine, NOV_START, NOV_END))
            seen.discard(row["key"])
        assert not seen, f"units with cases missing from by={by}: {seen}"


@pytest.mark.usefixtures("seeded")
def test_november_in_figures_a_person_can_check(api: TestClient) -> None:
    body = api.get("/api/kpi", params={"period": "2026-11", "by": "village"}).json()
    assert body["period"] == {
        "label": "2026-11", "timezone": "Asia/Shanghai", "start": "2026-10-31T16:00:00+00:00",
        "end": "2026-11-30T16:00:00+00:00", "as_of": "2026-11-30T16:00:00+00:00",
        "complete": True,
    }  # fmt: skip
    town = body["town"]
    # Due: 1–5 and 13 (deadline 2 Nov), 8 (closed in November), 10 (deadline 2 Nov, queued).
    # Not: 6 cancelled, 7 merged, 12 parked, 9 (due and closed in December), 11 (October).
    assert town["due_to_close"] == 8
    assert (town["closure_rate"]["numerator"], town["closure_rate"]["text"]) == (6, "75.00%")
    assert town["on_time_rate"]["numerator"] == 5, "1, 3, 4 (extended), 8 and 13; 2 was late"
    assert (town["rework_rate"]["numerator"], town["extension_rate"]["numerator"]) == (1, 1)
    # Open on 30 Nov at midnight: 5, 9, 10, 11; past their deadline: 5, 10, 11.
    assert town["open_overdue"] | {"percent": None} == {
        "numerator": 3, "denominator": 4, "percent": None, "text": "75.00%",
    }  # fmt: skip
    first = {g["key"]: g for g in body["groups"]}
    assert first["XXK-01"]["name"] == "璜塘社区"
    assert first["XXK-02"]["due_to_close"] == 0, "a quiet village is listed, with zeros"
    assert first["XXK-02"]["closure_rate"]["percent"] is None


@pytest.mark.usefixtures("seeded")
def test_the_month_turns_at_16_00_utc(api: TestClient) -> None:
    def closed(period: str) -> int:
        body = api.get("/api/kpi", params={"period": period, "by": "grid"}).json()
        return sum(
            g["closure_rate"]["numerator"] for g in body["groups"] if g["key"] == "XXK-01-01"
        )

    # Case 8 closed at 23:59:59 on 30 Nov (15:59:59 UTC), case 9 at 00:00 on 1 Dec (16:00 UTC).
    assert (closed("2026-11"), closed("2026-12"), closed("2026-11-30"), closed("2026-12-01")) == (
        1,
        1,
        1,
        1,
    )
    december = api.get("/api/kpi", params={"period": "2026-12"}).json()
    assert december["period"]["as_of"] == NOW.isoformat() and not december["period"]["complete"]


@pytest.mark.usefixtures("seeded")
def test_from_to_and_the_default_month(api: TestClient) -> None:
    spelled = api.get("/api/kpi", params={"from": "2026-11-01", "to": "2026-11-30"}).json()
    named = api.get("/api/kpi", params={"period": "2026-11"}).json()
    assert spelled["town"] == named["town"]
    assert spelled["period"]["label"] == "2026-11-01/2026-11-30"
    default = api.get("/api/kpi").json()
    assert (default["by"], default["period"]["label"]) == ("grid", "2026-12")


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"by": "team"}, "grid"),
        ({"period": "2026-13"}, "month must be in 1..12"),
        ({"period": "November"}, "YYYY-MM"),
        ({"period": "2027-01"}, "has not begun"),
        ({"period": "2026-11", "from": "2026-11-01", "to": "2026-11-02"}, "not both"),
        ({"from": "2026-11-01"}, "go together"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "before from"),
    ],
)
def test_a_bad_query_is_answered_422_with_the_reason(
    api: TestClient, params: dict[str, str], why: str
) -> None:
    response = api.get("/api/kpi", params=params)
    assert response.status_code == 422
    assert why in response.text


def test_the_web_app_serves_the_figures(settings: Settings) -> None:
    with TestClient(create_app(settings).server, base_url=LOCAL) as client:
        assert client.get("/api/kpi", params={"period": "2026-11"}).status_code == 401
        response = signed(client, settings, "leader").get(
            "/api/kpi", params={"period": "2026-11", "by": "department"}
        )
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert "enforce-central" in {g["key"] for g in groups}
    assert all(g["due_to_close"] == 0 for g in groups), "no cases under this prefix"


def test_the_recount_leaves_an_unreadable_projection_out(
    r: redis.Redis, keys: Keys, engine: Engine, api: TestClient
) -> None:
    push(
        r,
        keys,
        [
            urban_record(1, *around(*A, 1), sbsj=sbsj(bj(2, 9))),
            urban_record(2, *around(*A, 2), sbsj=sbsj(bj(2, 9))),
        ],
    )
    drain(engine)
    r.set(keys.case("urban:T-000002"), b"{not json")
    november = Period(NOV_START, NOV_END)
    assert [f.id for f in read_facts(r, keys, november)] == ["urban:T-000001"]
    # The buckets were written by the engine from the case itself, not from its JSON.
    body = api.get("/api/kpi", params={"period": "2026-11"}).json()
    assert body["town"]["due_to_close"] == 2


def test_redis_down_is_503(keys: Keys, town: Town) -> None:
    dead = redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    app = FastAPI()
    app.include_router(kpi_router(dead, keys, town, clock=lambda: NOW))
    with TestClient(app) as client:
        response = client.get("/api/kpi", params={"period": "2026-11"})
    assert response.status_code == 503
