"""Operator actions through the HTTP API and a running engine: POST /api/cases/<id>/actions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases import store
from cases.engine import Engine
from core.keys import Keys
from core.settings import Settings
from dashboard.api import api_router
from tests.support.clock import Clock
from tests.support.pipeline import drain, push
from tests.support.urban import urban_record

pytestmark = pytest.mark.redis
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # the engine's frozen clock: no sweep fires
SBSJ = "2026-11-27 09:00:00"  # NOW in Beijing time
PARKING = "urban:T-000001"  # 乱停乱放 in 璜塘社区: dispatched to enforce-central on creation
UNMAPPED = "urban:T-000002"  # a category nobody routes: the duty officer's queue
LATER = "2026-12-01T09:00:00"


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
    return found


@pytest.fixture
def clock() -> Clock:
    """The running engine's clock (tests/redis/conftest.py `running`), stopped at NOW."""
    return Clock(NOW)


def client(r: redis.Redis, keys: Keys, wait_s: float) -> TestClient:
    app = FastAPI()
    app.include_router(api_router(r, keys, wait_s=wait_s))
    return TestClient(app)


@pytest.fixture
def api(r: redis.Redis, keys: Keys) -> Iterator[TestClient]:
    with client(r, keys, wait_s=10) as c:
        yield c


def seed(r: redis.Redis, keys: Keys) -> None:
    """The two cases of these tests, applied by the running engine."""
    push(r, keys, [urban_record(1, sbsj=SBSJ), urban_record(2, sbsj=SBSJ, xlbm="9999", xlmc="无")])
    wait_for(lambda: store.get_case(r, keys, UNMAPPED), "the engine to create the cases")


def act(api: TestClient, case_id: str, action: str, **body: Any) -> httpx.Response:
    return api.post(f"/api/cases/{case_id}/actions", json={"action": action, **body})


def snapshot(settings: Settings, keys: Keys) -> dict[str, Any]:
    """Every key of the test: streams by content (their consumers' seen-times tick), the rest
    byte for byte."""
    raw = redis.Redis.from_url(settings.redis_url or "")
    try:
        found: dict[str, Any] = {}
        for key in sorted(raw.scan_iter(match=f"{keys.prefix}*")):
            stream = raw.type(key) == b"stream"
            found[key.decode()] = raw.xrange(key) if stream else raw.dump(key)
        return found
    finally:
        raw.close()


def test_the_closed_loop_through_the_api(
    r: redis.Redis, keys: Keys, running: Engine, api: TestClient
) -> None:
    seed(r, keys)
    queued = store.get_case(r, keys, UNMAPPED)
    assert queued is not None and (queued["stage"], queued["queue"]) == ("reported", "duty-officer")
    duty, handler, inspector = "值班员李四", "执法队员王五", "督查员赵六"
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("register", {"actor": duty, "reason": "符合立案条件"}, "registered"),
        ("dispatch", {"actor": duty, "department": "enforce-central", "reason": "镇区街面"},
         "dispatched"),
        ("accept", {"actor": handler}, "accepted"),
        ("handle", {"actor": handler, "feedback": "已劝离并拖移车辆"}, "handled"),
        ("verify", {"actor": inspector, "passed": True, "reason": "现场复核已整改"}, "verified"),
        ("close", {"actor": duty, "reason": "结案"}, "closed"),
    ]  # fmt: skip
    for action, body, stage in steps:
        answer = act(api, UNMAPPED, action, **body)
        assert answer.status_code == 200, answer.text
        outcome = answer.json()
        assert (outcome["outcome"], outcome["stage"], outcome["case"]["stage"]) == (
            "applied",
            stage,
            stage,
        )
        assert api.get(f"/api/commands/{outcome['command_id']}").json()["outcome"] == "applied"
    case = api.get(f"/api/cases/{UNMAPPED}").json()
    assert (case["status"], case["queue"], case["department"]) == (
        "closed",
        None,
        "enforce-central",
    )
    assert case["responded_at"] and case["closed_at"] and case["closed_by"] == "值班员李四"
    history = case["history"]
    assert [h["type"] for h in history] == ["created", *[s for _, _, s in steps]]
    assert [h["actor"] for h in history[1:]] == [body["actor"] for _, body, _ in steps]
    assert history[2]["reason"] == "镇区街面" and history[2]["department"] == "enforce-central"
    audit = [f for _, f in r.xrange(keys.case_events) if f["case_id"] == UNMAPPED]
    assert [f["type"] for f in audit] == [h["type"] for h in history]
    assert all(f["at"] and f["command_id"] for f in audit[1:])
    assert store.open_case_ids(r, keys) == [PARKING]


def test_an_illegal_action_is_409_and_changes_nothing(
    r: redis.Redis, keys: Keys, settings: Settings, running: Engine, api: TestClient
) -> None:
    seed(r, keys)
    before = snapshot(settings, keys)
    refused = act(api, PARKING, "close", actor="值班员李四", reason="想直接结案")
    assert refused.status_code == 409
    body = refused.json()
    assert (body["outcome"], body["stage"], body["command_id"]) == ("refused", "dispatched", None)
    assert "cannot close a case in stage dispatched" in body["reason"]
    assert body["reason_zh"] == "案件处于派遣阶段，不能结案"
    assert "accept" in body["allowed"] and "close" not in body["allowed"]
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for action, extra in [
        ("verify", {"passed": True}),
        ("register", {}),
        ("dispatch", {"department": "water"}),
        ("merge", {"parent": PARKING}),  # into itself
        ("merge", {"parent": "urban:no-such-case"}),
        ("extend", {"new_deadline": "2026-11-27T01:00:00+00:00", "approver": "副镇长"}),  # earlier
        ("resume", {"due": later}),
    ]:
        answer = act(api, PARKING, action, actor="值班员李四", **extra)
        assert answer.status_code == 409, (action, answer.text)
        assert answer.json()["reason"]
    assert snapshot(settings, keys) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"actor": "李四"}, "action"),
        ({"action": "approve", "actor": "李四"}, "approve"),
        ({"action": "accept"}, "actor"),
        ({"action": "accept", "actor": "  "}, "actor"),
        ({"action": "dispatch", "actor": "李四"}, "department"),
        ({"action": "dispatch", "actor": "李四", "department": "police"}, "unknown department"),
        ({"action": "verify", "actor": "李四"}, "passed"),
        ({"action": "verify", "actor": "李四", "passed": False}, "needs a reason"),
        ({"action": "return", "actor": "李四"}, "reason"),
        ({"action": "extend", "actor": "李四", "new_deadline": f"{LATER}+08:00"}, "approver"),
        ({"action": "extend", "actor": "李四", "approver": "王", "new_deadline": LATER}, "zone"),
        ({"action": "merge", "actor": "李四"}, "parent"),
        ({"action": "accept", "actor": "李四", "colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_a_malformed_body_is_422_with_what_is_wrong(
    r: redis.Redis, keys: Keys, engine: Engine, api: TestClient, body: dict[str, Any], message: str
) -> None:
    push(r, keys, [urban_record(1, sbsj=SBSJ)])
    drain(engine)
    answer = api.post(f"/api/cases/{PARKING}/actions", json=body)
    assert answer.status_code == 422
    assert message in answer.text
    assert r.xlen(keys.commands) == 0


def test_an_unknown_case_is_404_and_bad_json_is_422(api: TestClient) -> None:
    answer = act(api, "urban:nothing", "accept", actor="李四")
    assert answer.status_code == 404 and "urban:nothing" in answer.json()["detail"]
    bad = api.post(
        f"/api/cases/{PARKING}/actions",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert bad.status_code == 422 and "JSON" in bad.text
    assert api.get("/api/commands/1-0").status_code == 404


def test_a_failed_verification_is_rework(
    r: redis.Redis, keys: Keys, running: Engine, api: TestClient
) -> None:
    seed(r, keys)
    for action, body in [("accept", {}), ("handle", {"reason": "已处理"})]:
        assert act(api, PARKING, action, actor="执法一中队", **body).status_code == 200
    failed = act(api, PARKING, "verify", actor="监督员", passed=False, reason="车辆仍在")
    assert failed.status_code == 200, failed.text
    case = failed.json()["case"]
    assert (case["stage"], case["rework_count"]) == ("accepted", 1)
    history = store.case_history(r, keys, PARKING)
    assert (history[-1]["type"], history[-1]["reason"]) == ("rework", "车辆仍在")
    assert act(api, PARKING, "handle", actor="执法一中队", feedback="已拖移").status_code == 200
    assert act(api, PARKING, "verify", actor="监督员", passed=True).status_code == 200
    closed = act(api, PARKING, "close", actor="监督员")
    assert closed.json()["case"]["status"] == "closed"


def test_extend_moves_the_handling_deadline(
    r: redis.Redis, keys: Keys, running: Engine, api: TestClient
) -> None:
    seed(r, keys)
    case = store.get_case(r, keys, PARKING)
    assert case is not None
    due = datetime.fromisoformat(case["handling_due"])
    new_deadline = max(due, datetime.now(UTC)) + timedelta(days=2)
    answer = act(
        api, PARKING, "extend", actor="执法一中队", approver="副镇长",
        new_deadline=new_deadline.isoformat(), reason="需协调车主",
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    extended = answer.json()["case"]
    assert datetime.fromisoformat(extended["handling_due"]) == new_deadline
    assert (extended["extension_count"], extended["stage"]) == (1, "dispatched")
    assert r.zscore(keys.handling_due, PARKING) == int(new_deadline.timestamp() * 1000)
    [entry] = [h for h in store.case_history(r, keys, PARKING) if h["type"] == "extended"]
    assert (entry["actor"], entry["reason"]) == ("执法一中队", "需协调车主")
    again = act(
        api, PARKING, "extend", actor="执法一中队", approver="副镇长",
        new_deadline=(new_deadline - timedelta(hours=1)).isoformat(),
    )  # fmt: skip
    assert again.status_code == 409 and "later than the current one" in again.json()["reason"]


def test_return_and_merge(r: redis.Redis, keys: Keys, running: Engine, api: TestClient) -> None:
    seed(r, keys)
    returned = act(api, PARKING, "return", actor="执法一中队", reason="不属于本中队")
    assert returned.status_code == 200
    case = returned.json()["case"]
    assert (case["stage"], case["department"], case["queue"]) == (
        "registered",
        None,
        "duty-officer",
    )
    merged = act(api, UNMAPPED, "merge", actor="值班员", parent=PARKING, reason="同一辆车")
    assert merged.status_code == 200
    child = merged.json()["case"]
    assert (child["stage"], child["status"], child["parent"]) == ("merged", "closed", PARKING)
    refused = act(api, PARKING, "merge", actor="值班员", parent=UNMAPPED)
    assert refused.status_code == 409 and "merged" in refused.json()["reason"]


def test_a_command_the_state_outran_is_refused_by_the_engine_and_changes_nothing(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    """Two accepts pass the API's check while the engine is busy; the engine applies one."""
    push(r, keys, [urban_record(1, sbsj=SBSJ)])
    drain(engine)
    with client(r, keys, wait_s=0) as api:
        first = act(api, PARKING, "accept", actor="执法一中队")
        second = act(api, PARKING, "accept", actor="执法二中队")
        assert (first.status_code, second.status_code) == (202, 202)
        status_url = second.json()["status_url"]
        assert second.headers["location"] == status_url
        assert api.get(status_url).json()["outcome"] == "pending"
        drain(engine)
        applied = api.get(first.json()["status_url"]).json()
        refused = api.get(status_url).json()
    assert (applied["outcome"], applied["stage"]) == ("applied", "accepted")
    assert refused["outcome"] == "refused"
    assert "cannot accept a case in stage accepted" in refused["reason"]
    case = store.get_case(r, keys, PARKING)
    assert case is not None and (case["version"], case["stage"]) == (2, "accepted")
    history = store.case_history(r, keys, PARKING)
    assert [(h["type"], h["actor"]) for h in history] == [
        ("created", "feed:urban"),
        ("accepted", "执法一中队"),
        ("refused", "执法二中队"),
    ]
    assert r.xpending(keys.commands, "engine")["pending"] == 0
