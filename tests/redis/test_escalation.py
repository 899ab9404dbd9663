"""The 15-minute first response fires on time with no event arriving: an unanswered
乱停乱放 case is escalated from its grid to its village, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases import store
from cases.engine import Engine
from cases.escalation import Handover
from cases.lifecycle_events import Accept, Command, Extend, Handle, command_to_dict
from cases.routing import Escalation, Leader, table
from core.event import Event
from core.keys import Keys
from dashboard.api import api_router, list_cases
from dashboard.queues_api import queues_router
from ingest.sink import RedisSink
from layers.town import default_town
from tests.support.clock import Clock
from tests.support.pipeline import drain, push
from tests.support.urban import DEFAULT_POINT, around, urban_record

pytestmark = pytest.mark.redis
REPORTED = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 Beijing


@pytest.fixture
def clock() -> Clock:
    return Clock(REPORTED)


def record(n: int, **fields: str) -> dict[str, object]:
    # Around one point, apart: reports at one spot and time would be duplicates of one case.
    return urban_record(n, *around(*DEFAULT_POINT, n), sbsj="2026-11-28 09:00:00", **fields)


def test_an_unanswered_parking_case_goes_to_its_village_after_15_minutes(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    push(r, keys, [record(1), record(2), record(3, xlbm="0102", xlmc="暴露垃圾")])
    drain(timed_engine)
    push(r, keys, [record(2, zt="已受理")])  # answered in time
    clock.now = REPORTED + timedelta(minutes=14, seconds=59)
    drain(timed_engine)
    assert timed_engine.sweep() == 0
    clock.now = REPORTED + timedelta(minutes=15, seconds=1)
    assert timed_engine.sweep() == 1
    cases = {c["source_id"]: c for c in store.open_cases(r, keys)}
    assert cases["T-000001"]["level"] == "village"
    assert cases["T-000002"]["level"] == "grid", "answered in time"
    assert cases["T-000003"]["level"] == "grid", "暴露垃圾 has no 15-minute clock"
    [escalated] = [
        h for h in store.case_history(r, keys, "urban:T-000001") if h["type"] == "escalated"
    ]
    assert (escalated["actor"], "village" in escalated["reason"]) == ("engine", True)
    clock.now += timedelta(hours=1)
    assert timed_engine.sweep() == 0, "escalated once"
    assert r.zcard(keys.response_due) == 0


def test_an_escalated_case_keeps_its_level_through_later_updates(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    push(r, keys, [record(1)])
    drain(timed_engine)
    clock.now = REPORTED + timedelta(minutes=20)
    timed_engine.sweep()
    push(r, keys, [record(1, zt="已受理")])
    drain(timed_engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    assert (case["level"], case["overdue"]) == ("village", False)
    assert orjson.loads(r.get(keys.case("urban:T-000001")) or "{}")["responded_at"]


# ---- the handling deadline and severity: grid → village → town -----------------------------

FRIDAY_9 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Friday 27 Nov 2026, 09:00 Beijing


def command(r: redis.Redis, keys: Keys, case: str, c: Command, reason: str = "") -> str:
    """A command as the API queues it (the API's own tests go through HTTP)."""
    fields = {"case_id": case, "c": orjson.dumps(command_to_dict(c)), "reason": reason}
    return str(r.xadd(keys.commands, fields))


def history_types(r: redis.Redis, keys: Keys, case: str) -> list[str]:
    return [h["type"] for h in store.case_history(r, keys, case)]


def test_a_breached_handling_deadline_takes_a_village_case_to_the_town(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    push(r, keys, [urban_record(1, sbsj="2026-11-27 09:00:00")])
    drain(timed_engine)
    clock.now = FRIDAY_9 + timedelta(minutes=16)
    assert timed_engine.sweep() == 1
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None and case["level"] == "village"
    assert case["handling_due"] == (FRIDAY_9 + timedelta(hours=2)).isoformat()
    clock.now = FRIDAY_9 + timedelta(hours=2)
    assert timed_engine.sweep() == 0, "due at 11:00, not yet past"
    clock.now += timedelta(seconds=1)
    assert timed_engine.sweep() == 1
    [listed] = list_cases(r, keys, "open", 10)
    assert (listed["level"], listed["handling_overdue"]) == ("town", True)
    assert listed["escalations"] == ["first-response", f"handling@{listed['handling_due']}"]
    escalated = [
        h for h in store.case_history(r, keys, "urban:T-000001") if h["type"] == "escalated"
    ]
    assert [(h["level"], h["actor"]) for h in escalated] == [
        ("village", "engine"),
        ("town", "engine"),
    ]
    assert "handling deadline" in escalated[1]["reason"] and "to town" in escalated[1]["reason"]
    assert escalated[1]["at"] == clock.now.isoformat()
    clock.now += timedelta(days=3)
    assert timed_engine.sweep() == 0, "the town is the top"
    assert r.zcard(keys.handling_due) == r.zcard(keys.response_due) == 0


def test_an_extension_re_arms_the_handling_clock(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    # 暴露垃圾: 4 working hours, no first-response clock; 09:00 → 12:00 and 13:30 → 14:30.
    push(r, keys, [urban_record(1, sbsj="2026-11-27 09:00:00", xlbm="0102", xlmc="暴露垃圾")])
    drain(timed_engine)
    due = FRIDAY_9 + timedelta(hours=5, minutes=30)
    clock.now = due + timedelta(seconds=1)
    assert timed_engine.sweep() == 1
    new_deadline = due + timedelta(days=1)
    extend = Extend(actor="值班长", at=clock.now, new_deadline=new_deadline, approver="副镇长")
    command(r, keys, "urban:T-000001", extend, "需协调环卫车辆")
    drain(timed_engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    assert (case["level"], case["extension_count"]) == ("village", 1)
    assert case["handling_due"] == new_deadline.isoformat()
    assert timed_engine.sweep() == 0
    clock.now = new_deadline + timedelta(seconds=1)
    assert timed_engine.sweep() == 1
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None and case["level"] == "town"
    assert history_types(r, keys, "urban:T-000001") == [
        "created",
        "escalated",
        "extended",
        "escalated",
    ]


def test_handled_work_is_not_escalated_for_its_deadline(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    push(r, keys, [urban_record(1, sbsj="2026-11-27 09:00:00", xlbm="0102", xlmc="暴露垃圾")])
    drain(timed_engine)
    for c in (
        Accept(actor="环卫所", at=FRIDAY_9 + timedelta(minutes=5)),
        Handle(actor="环卫所", at=FRIDAY_9 + timedelta(hours=1), feedback="已清运"),
    ):
        command(r, keys, "urban:T-000001", c)
    drain(timed_engine)
    clock.now = FRIDAY_9 + timedelta(days=2)
    assert timed_engine.sweep() == 0
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None and (case["stage"], case["level"]) == ("handled", "grid")
    assert r.zcard(keys.handling_due) == 0


def hazard(n: int, severity: int, rev: int = 1) -> Event:
    return Event(
        id=f"safety:S-{n}:{rev}", feed="safety", kind="report", source_id=f"S-{n}",
        category="major_hazard", title=f"隐患{rev}", description="", occurred_at=FRIDAY_9,
        received_at=FRIDAY_9, lon=120.397, lat=31.7835, severity=severity, raw="{}",
    )  # fmt: skip


def test_a_high_severity_case_starts_one_level_up(
    r: redis.Redis, keys: Keys, timed_engine: Engine
) -> None:
    reports = [hazard(n, severity) for n, severity in ((1, 1), (2, 3), (3, 4))]
    RedisSink(keys, 1000).write(r, reports)
    drain(timed_engine)
    levels = {c["source_id"]: c["level"] for c in store.open_cases(r, keys)}
    assert levels == {"S-1": "grid", "S-2": "village", "S-3": "village"}
    [escalated] = [h for h in store.case_history(r, keys, "safety:S-2") if h["type"] == "escalated"]
    assert "severity 3" in escalated["reason"] and escalated["actor"] == "engine"
    RedisSink(keys, 1000).write(r, [hazard(2, 3, rev=2)])
    drain(timed_engine)
    assert history_types(r, keys, "safety:S-2") == ["created", "escalated", "updated"], "once"


# ---- escalation that acts: the level's queue, its person, a notification ------------------


def test_a_case_escalated_to_its_village_is_in_that_villages_queue_with_its_person(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    """小事不出格、大事不出村: the unanswered parking case lands in its village's queue, handed
    to the village's leader named in the routing table, and a phone gateway is told."""
    push(r, keys, [record(1), record(2)])
    drain(timed_engine)
    push(r, keys, [record(2, zt="已受理")])  # answered in time: stays with its grid
    drain(timed_engine)
    clock.now = REPORTED + timedelta(minutes=16)
    assert timed_engine.sweep() == 1
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None and case["level"] == "village"
    leader = table().escalation.villages[case["village"]]
    assert case["responsible"] == {
        "level": "village", "name": leader.name, "phone": leader.phone,
        "role_name": table().escalation.village_role}  # fmt: skip

    app = FastAPI()
    app.include_router(queues_router(r, keys, default_town(), clock=lambda: clock.now))
    with TestClient(app) as api:
        queue = api.get(f"/api/queues/village/{case['village']}").json()
        assert [c["id"] for c in queue["cases"]] == ["urban:T-000001"]
        assert queue["leader"]["name"] == leader.name
        assert queue["cases"][0]["responsible"]["name"] == leader.name
        assert api.get("/api/queues/town").json()["cases"] == []
        assert api.get("/api/queues/village/XXK-99").status_code == 404

    [(_, told)] = r.xrange(keys.notifications)
    assert (told["case_id"], told["level"], told["to"], told["phone"]) == (
        "urban:T-000001", "village", leader.name, leader.phone)  # fmt: skip
    assert "first response overdue" in told["reason"]
    assert case["title"] in told["text"] and "升级至村（社区）" in told["text"]


def test_a_village_without_a_named_leader_hands_the_case_to_the_grids_chief() -> None:
    """The roster's 网格长 of the case's grid; the town's leader on duty changes each day."""
    town = default_town()
    grid = next(iter(town.roster))
    handover = Handover(Escalation(villages={}, rota=(Leader("甲", "1"), Leader("乙", "2"))),
                        town.roster)  # fmt: skip
    chief = next(p for p in town.roster[grid] if p.role == "chief")
    found = handover.leader("village", "XXK-01", grid, REPORTED)
    assert found is not None and (found.name, found.role_name) == (chief.name, "网格长")
    days = {handover.leader("town", None, None, REPORTED + timedelta(days=d)).name  # type: ignore[union-attr]
            for d in range(4)}  # fmt: skip
    assert days == {"甲", "乙"}
    assert handover.leader("grid", "XXK-01", grid, REPORTED) is None


def test_duty_or_a_leader_escalates_by_hand_and_the_town_is_told(
    r: redis.Redis, keys: Keys, timed_engine: Engine, clock: Clock
) -> None:
    """升级 by hand, one level each time; no level above the town; the handler may not."""
    push(r, keys, [record(1, xlbm="0102", xlmc="暴露垃圾")])
    drain(timed_engine)
    app = FastAPI()
    app.include_router(api_router(r, keys, wait_s=0.05, clock=lambda: clock.now))
    with TestClient(app) as api:
        url = "/api/cases/urban:T-000001/actions"
        for actor in ("值班员 李娜", "分管领导 陈静"):
            queued = api.post(
                url, json={"action": "escalate", "actor": actor, "reason": "跨村纠纷"}
            )
            assert queued.status_code in (200, 202), queued.text
            drain(timed_engine)
        case = store.get_case(r, keys, "urban:T-000001")
        assert case is not None and case["level"] == "town"
        on_duty = table().escalation.on_duty(REPORTED.date())  # 09:00 Beijing: the same day
        assert on_duty is not None and case["responsible"]["name"] == on_duty.name
        assert case["escalations"][-2:] == [f"manual@{clock.now.isoformat()}"] * 2
        refused = api.post(url, json={"action": "escalate", "actor": "值班员", "reason": "再升"})
        assert refused.status_code == 409
        assert refused.json()["reason_zh"] == "案件已在镇级，不能再升级"
        missing = api.post(url, json={"action": "escalate", "actor": "值班员"})
        assert missing.status_code == 422  # a reason is required
    told = [f for _, f in r.xrange(keys.notifications)]
    assert [(t["level"], t["reason"]) for t in told] == [
        ("village", "跨村纠纷"), ("town", "跨村纠纷")]  # fmt: skip
    assert told[-1]["to"] == on_duty.name
    history = store.case_history(r, keys, "urban:T-000001")
    assert [h["actor"] for h in history if h["type"] == "escalated"] == [
        "值班员 李娜",
        "分管领导 陈静",
    ]
