"""The simulated staff through the whole server with access control on, as in the demo: each
person's own token passes the guard for the work of their role — a return and a dispatch by
the duty officer, an extension by the leader on duty, a failed and a passed verification by
the grid's 监督员 — and nothing is refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from fastapi.testclient import TestClient

from cases import store
from cases.engine import Engine
from cases.routing import table, village_kinds
from core.keys import Keys
from core.settings import Settings
from layers.town import default_town
from responders.plan import Profile
from responders.run import Responder, Tokens
from responders.staff import load_staff
from tests.redis.test_actions import wait_for
from tests.support.access import LOCAL
from tests.support.pipeline import push
from tests.support.urban import lattice_point, reported_now, urban_record
from towncc.server import build

pytestmark = pytest.mark.redis
EVERY_PATH = Profile(return_share=1.0, extend_share=1.0, rework_share=1.0)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The engine runs on the real clock, as the server does."""
    return lambda: datetime.now(UTC)


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    guarded = settings.model_copy(update={"access_control": True})
    with TestClient(build(guarded).server, base_url=LOCAL) as client:
        yield client


def test_each_person_passes_the_guard_for_the_work_of_their_role(
    r: redis.Redis, keys: Keys, running: Engine, web: TestClient
) -> None:
    town = default_town()
    kinds = village_kinds(town)
    staff = load_staff(town, table())
    ids = [f"urban:T-{n:06d}" for n in (1, 2)]
    push(r, keys, [urban_record(n, *lattice_point(n), sbsj=reported_now()) for n in (1, 2)])
    wait_for(lambda: all(store.get_case(r, keys, i) for i in ids), "the engine to make the cases")

    def candidates(category: str, village: str | None) -> list[str]:
        return table().candidates(category, village, kinds.get(village or ""))

    # The staff's clock runs days ahead, so each step is due at once; the server stamps it.
    ahead = Responder(
        web, staff, candidates, Tokens(r, keys, staff.everyone()), EVERY_PATH,
        clock=lambda: datetime.now(UTC) + timedelta(days=30),
    )  # fmt: skip
    for _ in range(30):
        if all(store.get_case(r, keys, i)["status"] == "closed" for i in ids):  # type: ignore[index]
            break
        ahead.poll()
    assert ahead.done.get("refused", 0) == 0 and ahead.done.get("limited", 0) == 0, ahead.done
    kinds_done: Counter[str] = Counter()
    for case_id in ids:
        reader = ahead.headers(staff.duty_officer(0))
        history = web.get(f"/api/cases/{case_id}", headers=reader).json()["history"]
        done = [(h["type"], h["actor"]) for h in history if h.get("command_id")]
        kinds_done.update(kind for kind, _ in done)
        assert done[-1][0] == "closed"
    assert {"returned", "dispatched", "accepted", "extended", "rework", "handled", "verified",
            "closed"} <= set(kinds_done)  # fmt: skip
