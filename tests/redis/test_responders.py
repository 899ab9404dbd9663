"""The simulated staff act through the real actions API on a running engine: cases go through
their whole lifecycle under the roster's identities, with returns, extensions and rework."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from access.tokens import create_token, list_tokens, token_principal
from cases import store
from cases.engine import Engine
from cases.routing import table, village_kinds
from core.keys import Keys
from core.times import beijing
from dashboard.api import api_router
from layers.town import default_town
from responders.plan import Profile
from responders.run import Responder, Tokens
from responders.staff import Staff, load_staff
from tests.redis.test_actions import wait_for
from tests.support.clock import Clock
from tests.support.pipeline import push
from tests.support.urban import lattice_point, urban_record

pytestmark = pytest.mark.redis
NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # a Friday, 09:00 in Beijing: a working day
CASES = 12
# Every path taken often enough that twelve cases show each of them.
BUSY = Profile(return_share=0.3, extend_share=0.3, rework_share=0.4, response_in_time=0.7)


@pytest.fixture
def clock() -> Clock:
    """The engine's, the API's and the staff's clock (tests/redis/conftest.py `running`)."""
    return Clock(NOW)


@pytest.fixture
def staff() -> Staff:
    return load_staff(default_town(), table())


@pytest.fixture
def api(r: redis.Redis, keys: Keys, clock: Clock) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(api_router(r, keys, wait_s=10, clock=clock))
    with TestClient(app) as client:
        yield client


def candidates(category: str, village: str | None) -> list[str]:
    kinds = village_kinds(default_town())
    return table().candidates(category, village, kinds.get(village or ""))


def test_the_staff_take_cases_through_their_whole_lifecycle(
    r: redis.Redis, keys: Keys, clock: Clock, running: Engine, api: TestClient, staff: Staff
) -> None:
    sbsj = beijing(NOW).strftime("%Y-%m-%d %H:%M:%S")
    push(r, keys, [urban_record(n, *lattice_point(n), sbsj=sbsj) for n in range(1, CASES + 1)], NOW)
    ids = [f"urban:T-{n:06d}" for n in range(1, CASES + 1)]
    wait_for(lambda: all(store.get_case(r, keys, i) for i in ids), "the engine to make the cases")
    responder = Responder(api, staff, candidates, profile=BUSY, clock=clock)
    while any(store.get_case(r, keys, i)["status"] == "open" for i in ids):  # type: ignore[index]
        assert clock.now < NOW + timedelta(days=3), "the staff never finished"
        responder.poll()
        clock.now += timedelta(minutes=2)

    people = {p.display for p in staff.everyone()}
    actions: Counter[str] = Counter()
    for case_id in ids:
        case = api.get(f"/api/cases/{case_id}").json()
        assert case["status"] == "closed" and case["closed_by"] in people
        done = [(h["type"], h["actor"]) for h in case["history"] if h.get("command_id")]
        assert [kind for kind, _ in done][-3:] == ["handled", "verified", "closed"]
        assert "accepted" in {kind for kind, _ in done}
        for kind, actor in done:
            actions[kind] += 1
            assert actor in people, f"{kind} by {actor}, not one of the staff"
        workers = {actor for kind, actor in done if kind in ("accepted", "handled")}
        inspectors = {actor for kind, actor in done if kind in ("verified", "rework")}
        assert len(workers) == 1 and inspectors and not workers & inspectors  # 核查 independent
    assert {"returned", "dispatched", "extended", "rework"} <= set(actions), actions
    assert responder.done.get("applied", 0) == sum(actions.values())


def test_each_person_acts_under_a_token_of_their_own_role_and_team(
    r: redis.Redis, keys: Keys, staff: Staff
) -> None:
    squad = staff.teams["enforce-central"][0]
    grid = next(iter(staff.grid_handlers.values()))
    create_token(r, keys, role="handler", name=squad.display, team="enforce-central", now=0)
    tokens = Tokens(r, keys, staff.everyone())  # an earlier run's token of the squad member goes
    assert squad.display not in {t.name for t in list_tokens(r, keys)}
    expected = (
        (squad, "handler", "enforce-central"), (grid, "handler", "village"),
        (staff.duty[0], "duty", None), (staff.inspectors[0], "inspector", None),
        (staff.leaders[0], "leader", None),
    )  # fmt: skip
    for person, role, team in expected:
        principal = token_principal(r, keys, tokens.of(person))
        assert principal is not None
        assert (principal.name, principal.role, principal.team) == (person.display, role, team)
    assert tokens.of(squad) == tokens.of(squad)  # made once
