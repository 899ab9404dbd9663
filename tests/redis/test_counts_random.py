"""Random case histories through the real engine: whatever the source sends (new,
acknowledged, closed, reopened, another title), whatever operators do (register, dispatch,
accept, handle, verify, return, park, resume, extend, close, cancel, merge) and however the
clock moves (the sweeps escalate late cases), the engine's counters equal a recount of the
case records, now and at any later moment."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cases.engine import Engine
from cases.lifecycle_events import (
    Accept,
    Cancel,
    Close,
    Command,
    Dispatch,
    Extend,
    Handle,
    Merge,
    Park,
    Register,
    Resume,
    Return,
    Verify,
    command_to_dict,
)
from cases.places import Geography
from cases.routing import village_kinds
from core.keys import Keys
from layers.town import Town
from tests.support.clock import Clock
from tests.support.pipeline import drain_now
from tests.support.recount import counted, recount
from tests.support.reports import Report, write_events

pytestmark = pytest.mark.redis
START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # a Monday morning in Beijing
# The cases an example plays with: the feeds and categories the panels count.
# Few, so that one history often comes back to a case.
POOL = (
    ("urban", "parking"),  # a 15-minute first response
    ("safety", "enterprise_hazard"),
    ("safety", "enterprise_hazard"),
    ("labour", "wage_arrears"),
)
TITLES = ("甲厂", "乙厂", "")
_examples = itertools.count()


def command(action: str, at: datetime, n: int) -> Command:
    later = at + timedelta(days=2)
    made: dict[str, Command] = {
        "register": Register(actor="u1", at=at),
        "dispatch": Dispatch(actor="u1", at=at, department="城管"),
        "accept": Accept(actor="u1", at=at),
        "handle": Handle(actor="u1", at=at, feedback="done"),
        "verify": Verify(actor="i1", at=at, passed=n % 2 == 0, reason="not yet"),
        "return": Return(actor="u1", at=at, reason="wrong team"),
        "extend": Extend(actor="u1", at=at, new_deadline=later, approver="l1"),
        "park": Park(actor="u1", at=at, reason="waiting"),
        "resume": Resume(actor="u1", at=at),
        "close": Close(actor="u1", at=at),
        "cancel": Cancel(actor="u1", at=at, reason="duplicate"),
        "merge": Merge(actor="u1", at=at, parent_id=case_id((n + 1) % len(POOL))),
    }
    return made[action]


def case_id(n: int) -> str:
    return f"{POOL[n][0]}:R-{n:06d}"


steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("event"), st.integers(0, len(POOL) - 1),
            st.sampled_from(["new", "acknowledged", "closed"]), st.sampled_from(TITLES),
            st.integers(0, 600),  # reported this many minutes before the clock
        ),
        st.tuples(
            st.just("command"), st.integers(0, len(POOL) - 1),
            st.sampled_from(["register", "dispatch", "accept", "handle", "verify", "return",
                             "extend", "park", "resume", "close", "cancel", "merge"]),
        ),
        st.tuples(st.just("time"), st.integers(1, 3 * 24 * 60)),  # minutes pass, then a sweep
    ),
    min_size=2,
    max_size=14,
)  # fmt: skip


def play(engine: Engine, r: redis.Redis, keys: Keys, clock: Clock, history: list[Any]) -> None:
    versions = itertools.count()
    for step in history:
        if step[0] == "event":
            _, n, status, title, minutes = step
            feed, category = POOL[n]
            report = Report(
                n, feed, category, clock.now - timedelta(minutes=minutes), title, status
            )
            write_events(r, keys, [report.event(clock.now, next(versions))])
        elif step[0] == "command":
            _, n, action = step
            c = orjson.dumps(command_to_dict(command(action, clock.now, n)))
            r.xadd(keys.commands, {"case_id": case_id(n), "c": c, "reason": ""})
        else:
            clock.now += timedelta(minutes=step[1])
            engine.sweep()
        drain_now(engine)


def test_the_counters_equal_a_recount_after_any_history(
    r: redis.Redis, keys: Keys, geography: Geography, town: Town
) -> None:
    kinds = village_kinds(town)

    @hsettings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(history=steps, later=st.integers(0, 20 * 24 * 60))
    def check(history: list[Any], later: int) -> None:
        k = Keys(f"{keys.prefix}{next(_examples)}:")  # each example on its own keys
        clock = Clock(START)
        engine = Engine(r, k, geography, batch=3, clock=clock, kinds=kinds)
        engine.ensure_group()
        play(engine, r, k, clock, history)
        for at in (clock.now, clock.now + timedelta(minutes=later)):
            assert counted(r, k, at) == recount(r, k, at), at

    check()
