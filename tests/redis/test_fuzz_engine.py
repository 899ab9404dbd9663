"""Fuzzing the engine: arbitrary entries written straight into `events` and `commands`
(wrong shapes, missing fields, wrong types, huge numbers, bytes that are not UTF-8, Events
with extreme values) never stop it; each entry is applied, dead-lettered or quarantined,
exactly one of these (a transaction of the journal, or the quarantine), and none stays
pending."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import redis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from cases.engine import Engine
from cases.journal import BEGIN_ID, Step
from cases.lifecycle_events import COMMANDS
from cases.places import Geography
from cases.routing import village_kinds
from core.keys import ENGINE_GROUP, Keys
from core.replies import text
from core.settings import Settings
from layers.town import Town
from tests.support.urban import DEFAULT_POINT

pytestmark = pytest.mark.redis
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
CASE = "urban:F-0"  # a case each example starts with, for commands to act on
EXTREMES = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-12-06T01:00:00+08:00"]
_examples = itertools.count()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
junk = st.one_of(
    st.binary(max_size=40),  # mostly not UTF-8
    st.text(max_size=40).map(str.encode),
    json_values.map(lambda v: orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY)),
    st.integers().map(lambda n: str(n).encode()),
)
times = st.sampled_from(EXTREMES) | st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat)
# Mostly valid Events, so that most reach the engine's fold rather than its decoder.
rarely = st.integers(0, 9).map(lambda n: n == 0)
numbers = st.none() | st.floats() | st.integers(-(2**63), 2**63) | st.sampled_from([120.4, 31.78])


@st.composite
def event_entry(draw: st.DrawFn, n: int) -> dict[bytes, bytes]:
    """An Event as the sink writes it, with extreme values, a field missing or of a wrong type."""
    feed = draw(st.sampled_from(["urban", "water", "environment", "cap", "governance", "nope"]))
    body: dict[str, Any] = {
        "id": f"{feed}:F-{n}:h", "feed": feed,
        "kind": draw(st.sampled_from(["report", "report", "telemetry", "metric", "alert", "?"])),
        "source_id": f"F-{n}", "category": draw(st.sampled_from(["parking", "river_gauge", "?"])),
        "title": "t", "description": "d", "occurred_at": draw(times), "received_at": draw(times),
        "lon": draw(numbers), "lat": draw(numbers),
        "severity": draw(numbers if draw(rarely) else st.integers(1, 4)),
        "attrs": draw(st.dictionaries(st.text(max_size=12), json_values, max_size=4)), "raw": "{}",
    }  # fmt: skip
    if draw(rarely):
        del body[draw(st.sampled_from(sorted(body)))]
    if draw(rarely):
        body[draw(st.sampled_from(sorted(body)))] = draw(json_values | st.sampled_from(["", "x"]))
    e = draw(junk) if draw(rarely) else orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    return {b"id": str(body.get("id", "")).encode(), b"feed": feed.encode(), b"e": e}


@st.composite
def command_entry(draw: st.DrawFn) -> dict[bytes, bytes]:
    """An operator command on the example's case (or none), well-formed or not."""
    command = {
        "action": draw(st.sampled_from([*COMMANDS, "?"])), "actor": "u1", "at": draw(times),
        "reason": draw(st.text(max_size=8)), "department": "城管", "feedback": "ok",
        "passed": draw(st.booleans()), "new_deadline": draw(times), "approver": "l1",
        "parent_id": draw(st.sampled_from([CASE, "urban:none"])), "due": draw(times),
    }  # fmt: skip
    if draw(rarely):
        command[draw(st.sampled_from(sorted(command)))] = draw(json_values)
    c = draw(junk) if draw(rarely) else orjson.dumps(command)
    case = draw(st.sampled_from([CASE.encode(), b"", b"\xff\xfe"]))
    return {b"case_id": case, b"c": c}


@st.composite
def entries(draw: st.DrawFn) -> list[tuple[str, dict[bytes, bytes]]]:
    found: list[tuple[str, dict[bytes, bytes]]] = []
    for n in range(1, draw(st.integers(1, 10)) + 1):
        kind = draw(st.sampled_from(["events", "commands", "junk"]))
        if kind == "events":
            found.append(("events", draw(event_entry(n))))
        elif kind == "commands":
            found.append(("commands", draw(command_entry())))
        else:
            names = st.sampled_from([b"id", b"feed", b"e", b"case_id", b"c"]) | st.binary(
                min_size=1, max_size=6
            )
            stream = draw(st.sampled_from(["events", "commands"]))
            found.append((stream, draw(st.dictionaries(names, junk, min_size=1, max_size=4))))
    return found


@pytest.fixture
def raw(settings: Settings) -> Iterator[redis.Redis]:
    """A client as the engine runs with: replies as bytes, decoded by the engine itself."""
    client = redis.Redis.from_url(settings.redis_url or "")
    yield client
    client.close()


def seed_case(r: redis.Redis, keys: Keys, engine: Engine) -> None:
    from tests.support.pipeline import drain, push
    from tests.support.urban import urban_record

    push(r, keys, [urban_record(0, *DEFAULT_POINT, ajbh="F-0")])
    drain(engine)


Handled = tuple[str, str]  # (source stream: `events` or `commands`, entry id)


def fates(r: redis.Redis, keys: Keys) -> tuple[list[Handled], list[Handled], list[Handled]]:
    """The entries the journal applied (or dead-lettered), those quarantined, those
    dead-lettered (the two streams' entry ids may coincide: each goes with its stream)."""
    steps = [Step.parse({text(k): text(v) for k, v in f.items()}) for e, f in r.xrange(keys.journal)
             if text(e) != BEGIN_ID]  # fmt: skip
    applied = [(s.op, i) for s in steps if s.op in ("events", "commands") for i in s.ids]
    records = [f for _, f in r.xrange(keys.quarantine)]
    quarantined = [(text(f[b"source"]), text(f[b"entry"])) for f in records]
    dead = [("events", text(f[b"entry"])) for _, f in r.xrange(keys.deadletter) if b"entry" in f]
    return applied, quarantined, dead


def settled(r: redis.Redis, keys: Keys) -> None:
    for stream in (keys.events, keys.commands):
        [group] = [g for g in r.xinfo_groups(stream) if text(g["name"]) == ENGINE_GROUP]
        last = r.xinfo_stream(stream)["last-generated-id"]
        assert group["pending"] == 0
        assert text(group["last-delivered-id"]) == text(last)


def test_no_entry_stops_the_engine_or_stays_pending(
    raw: redis.Redis, keys: Keys, geography: Geography, town: Town
) -> None:
    kinds = village_kinds(town)

    @hsettings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        written=entries(),
        batch=st.sampled_from([1, 3, 500]),
        died=st.booleans(),
    )
    def check(written: list[tuple[str, dict[bytes, bytes]]], batch: int, died: bool) -> None:
        k = Keys(f"{keys.prefix}{next(_examples)}:")  # each example on its own keys
        engine = Engine(raw, k, geography, batch=batch, clock=lambda: NOW, kinds=kinds)
        engine.ensure_group()
        engine.recover()  # as a started engine does: its later recoveries count no delivery
        seed_case(raw, k, engine)
        ids = [(stream, text(raw.xadd(getattr(k, stream), fields))) for stream, fields in written]
        if died:  # an engine read them and died before applying them; a new one recovers
            raw.xreadgroup(ENGINE_GROUP, "engine-1", {k.events: ">", k.commands: ">"})
            engine = Engine(raw, k, geography, batch=batch, clock=lambda: NOW, kinds=kinds)
            engine.recover()
        while engine.step(block_ms=None):
            pass
        engine.sweep(NOW)

        settled(raw, k)
        applied, quarantined, dead = fates(raw, k)
        assert len(applied) == len(set(applied))
        assert set(dead) <= set(applied)  # a dead letter is written by a journaled transaction
        for entry in ids:
            assert (entry in applied) != (entry in quarantined), entry

    check()
