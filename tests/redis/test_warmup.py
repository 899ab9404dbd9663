"""The demo's history: hours of a working day through the real pipeline on a fast clock — the
feeds' records as the intake writes them, the engine, the simulated staff through the API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis

from cases import store
from cases.engine import Engine
from cases.places import Geography
from cases.routing import table, village_kinds
from core.keys import Keys
from ingest.sim.fleet import Options
from layers.town import Town
from responders.staff import load_staff
from towncc.warmup import is_empty, warm_up

pytestmark = pytest.mark.redis
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # a Friday, 16:00 in Beijing: a working day
HOURS = 6


def test_the_history_is_a_working_day_made_by_the_pipeline_and_the_staff(
    r: redis.Redis, keys: Keys, town: Town, geography: Geography
) -> None:
    kinds = village_kinds(town)
    staff = load_staff(town, table())
    clocks: list[Callable[[], datetime]] = []

    def make_engine(clock: Callable[[], datetime]) -> Engine:
        clocks.append(clock)
        return Engine(r, keys, geography, batch=200, clock=clock, kinds=kinds)

    def candidates(category: str, village: str | None) -> list[str]:
        return table().candidates(category, village, kinds.get(village or ""))

    assert is_empty(r, keys)
    summary = warm_up(
        r, keys, town, make_engine, staff, candidates,
        hours=HOURS, options=Options(seed=7), maxlen=1_000_000, now=NOW,
    )  # fmt: skip
    assert not is_empty(r, keys)
    assert clocks and clocks[0]() == NOW, "the engine ran on the history's clock, to its end"
    assert summary.records > 100 and summary.actions > 50
    cases = [c for i in store.all_case_ids(r, keys) if (c := store.get_case(r, keys, i))]
    people = {p.display for p in staff.everyone()}
    closed = [c for c in cases if c["status"] == "closed"]
    assert closed, "the staff closed cases in those hours"
    by_staff = [c for c in closed if c.get("closed_by") in people]
    assert len(by_staff) > len(closed) / 2
    for case in by_staff[:20]:
        history = store.case_history(r, keys, case["id"])
        done = [h["type"] for h in history if h.get("command_id")]
        assert {"accepted", "handled", "verified", "closed"} <= set(done)
        assert all(h["actor"] in people for h in history if h.get("command_id"))
        # Every step happened within the history's hours, in order.
        times = [datetime.fromisoformat(h["at"]) for h in history]
        assert times == sorted(times) and times[-1] <= NOW
    stages = Counter(c["stage"] for c in cases if c["status"] == "open")
    assert stages["accepted"] and stages["dispatched"] < sum(stages.values()) / 2, stages
