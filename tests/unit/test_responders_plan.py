"""What the simulated staff decide: fixed per case and stage, in the shares of their profile,
by the people of the roster and the roles the work needs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cases.routing import table
from layers.town import default_town
from responders.plan import Profile, next_step
from responders.staff import STAFF_FILE, Staff, StaffError, load_staff

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
N = 4000


@pytest.fixture(scope="module")
def staff() -> Staff:
    return load_staff(default_town(), table())


def nobody(category: str, village: str | None) -> list[str]:
    return []


def case(n: int, stage: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"urban:T-{n:06d}", "status": "open", "stage": stage, "category": "parking",
        "department": "enforce-central", "grid": "XXK-01-01", "village": "XXK-01",
        "updated_at": NOW.isoformat(), "version": 3, **fields,
    }  # fmt: skip


def test_a_cases_next_step_is_the_same_every_time_it_is_asked(staff: Staff) -> None:
    one = case(1, "dispatched", response_due=(NOW + timedelta(minutes=15)).isoformat())
    assert next_step(one, staff, nobody) == next_step(dict(one), staff, nobody)
    assert next_step({**one, "status": "closed"}, staff, nobody) is None
    assert next_step({**one, "stage": "parked"}, staff, nobody) is None


def test_first_responses_fall_within_the_15_minutes_in_the_profiles_share(staff: Staff) -> None:
    due = NOW + timedelta(minutes=15)
    for share in (0.92, 0.6):
        profile = Profile(response_in_time=share, return_share=0.0)
        steps = [
            next_step(case(n, "dispatched", response_due=due.isoformat()), staff, nobody, profile)
            for n in range(N)
        ]
        assert all(s is not None and s.action == "accept" for s in steps)
        in_time = sum(s.at <= due for s in steps if s is not None) / N
        assert abs(in_time - share) < 0.03, (share, in_time)
        # A team member of the case's team signs: a handler of enforce-central.
        assert {s.person.team for s in steps if s is not None} == {"enforce-central"}


def test_work_is_done_within_its_deadline_in_the_profiles_share(staff: Staff) -> None:
    due = NOW + timedelta(hours=2)
    profile = Profile(handle_in_time=0.8, extend_share=0.0)
    steps = [
        next_step(case(n, "accepted", handling_due=due.isoformat()), staff, nobody, profile)
        for n in range(N)
    ]
    assert all(s is not None and s.action == "handle" for s in steps)
    in_time = sum(s.at <= due for s in steps if s is not None) / N
    assert abs(in_time - 0.8) < 0.03


def test_returns_extensions_and_rework_happen_once_a_case_at_most(staff: Staff) -> None:
    always = Profile(return_share=1.0, extend_share=1.0, rework_share=1.0)
    due = (NOW + timedelta(hours=2)).isoformat()
    first = next_step(case(1, "dispatched"), staff, nobody, always)
    again = next_step(case(1, "dispatched", returns=1), staff, nobody, always)
    assert first is not None and first.action == "return" and first.person.role == "duty"
    assert again is not None and again.action == "accept"
    extend = next_step(case(2, "accepted", handling_due=due), staff, nobody, always)
    assert extend is not None and extend.action == "extend"
    assert datetime.fromisoformat(extend.body["new_deadline"]) > datetime.fromisoformat(due)
    assert extend.person.role == "leader" and extend.body["approver"] == extend.person.name
    after = next_step(
        case(2, "accepted", handling_due=due, extension_count=1), staff, nobody, always
    )
    assert after is not None and after.action == "handle"
    failed = next_step(case(3, "handled"), staff, nobody, always)
    passed = next_step(case(3, "handled", rework_count=1), staff, nobody, always)
    assert failed is not None and failed.body["passed"] is False and failed.body["reason"]
    assert passed is not None and passed.body["passed"] is True


def test_each_step_is_done_by_the_role_it_needs(staff: Staff) -> None:
    village = case(1, "accepted", department="village", grid="XXK-03-02")
    handler = next_step(village, staff, nobody, Profile(extend_share=0.0))
    assert handler is not None and handler.person == staff.grid_handlers["XXK-03-02"]
    verify = next_step(case(1, "handled", grid="XXK-03-02"), staff, nobody)
    assert verify is not None and verify.person == staff.grid_inspectors["XXK-03-02"]
    assert verify.person.role == "inspector"
    close = next_step(case(1, "verified"), staff, nobody)
    assert close is not None and close.action == "close" and close.person.role == "duty"
    outside = next_step(case(1, "reported", outside_town=True), staff, nobody)
    assert outside is not None and outside.action == "cancel" and outside.body["reason"]
    inside = next_step(case(1, "reported"), staff, nobody)
    assert inside is not None and inside.action == "register"


def test_the_duty_officer_dispatches_to_a_team_the_routing_table_names(staff: Staff) -> None:
    def two(category: str, village: str | None) -> list[str]:
        return ["safety", "stability"]

    teams = {
        step.body["department"]
        for n in range(200)
        if (step := next_step(case(n, "registered"), staff, two)) is not None
    }
    assert teams == {"safety", "stability"}
    fallback = next_step(case(1, "registered"), staff, nobody)
    assert fallback is not None and fallback.body["department"] == "village"


def test_a_staff_file_that_misses_a_team_or_names_an_unknown_one_is_refused(
    tmp_path: Path,
) -> None:
    good = json.loads(STAFF_FILE.read_text(encoding="utf-8"))
    missing = {**good, "teams": {k: v for k, v in good["teams"].items() if k != "water"}}
    unknown = {**good, "teams": {**good["teams"], "navy": [{"name": "某人"}]}}
    nameless = {**good, "duty": [{"phone": "10005100000"}]}
    for data, said in ((missing, "water"), (unknown, "navy"), (nameless, "name")):
        path = tmp_path / f"{said}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(StaffError, match=said):
            load_staff(default_town(), table(), path)


def test_every_team_of_the_routing_table_has_people_and_every_grid_its_two(staff: Staff) -> None:
    assert set(staff.teams) | {"village"} == set(table().teams)
    assert set(staff.grid_handlers) == set(staff.grid_inspectors) == set(default_town().l2.index)
    names = [p.display for p in staff.everyone()]
    assert len(names) == len(set(names)), "each person's token is named by their post and name"


def test_a_case_the_staff_cannot_read_is_skipped_and_the_rest_acted_on(staff: Staff) -> None:
    """A stand-in API: one case with a broken time, one due; the due one is acted on, once."""
    import httpx

    from responders.run import Responder

    odd = case(1, "verified", updated_at="yesterday")
    due = case(2, "verified")
    posted: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[odd, due])
        posted.append(request.url.path)
        return httpx.Response(200, json={"outcome": "applied"})

    client = httpx.Client(transport=httpx.MockTransport(answer), base_url="http://centre")
    responder = Responder(client, staff, nobody, clock=lambda: NOW + timedelta(hours=1))
    assert responder.poll() == 1
    assert responder.poll() == 0  # not again until the case changes
    assert posted == ["/api/cases/urban:T-000002/actions"]


def test_a_case_nobody_of_its_team_can_take_goes_back_to_a_team_that_can(staff: Staff) -> None:
    """A village team's case on no grid (a request with no place): the duty officer takes it
    back and sends it where someone signs, never again to the village."""
    lost = case(1, "dispatched", department="village", grid=None, village=None, group="order")
    back = next_step(lost, staff, nobody)
    assert back is not None and back.action == "return" and back.person.role == "duty"
    again = next_step({**lost, "stage": "registered", "returns": 1}, staff, nobody)
    assert again is not None and again.body["department"] == "enforce-central"
    other = {**lost, "stage": "registered", "group": "governance"}
    assert next_step(other, staff, nobody).body["department"] == "stability"  # type: ignore[union-attr]
    stuck = next_step({**lost, "returns": 3}, staff, nobody)
    assert stuck is None  # taken back three times: left to a person


def test_work_past_its_deadline_is_finished_within_hours_not_days(staff: Staff) -> None:
    """Escalated at its deadline (which moves `updated_at`), late work still ends soon."""
    late = case(1, "accepted", handling_due=(NOW - timedelta(minutes=1)).isoformat())
    step = next_step(late, staff, nobody, Profile(extend_share=0.0))
    assert step is not None and step.action == "handle"
    assert step.at - NOW <= timedelta(hours=2)
