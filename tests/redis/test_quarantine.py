"""One bad entry never stops the engine: it is quarantined with its error and delivery count,
acknowledged, and the rest of its batch is applied exactly once; replayed after a fix."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis
import redis.asyncio as aredis
from dash import html, no_update

from cases import quarantine, store
from cases.engine import Engine
from cases.group import Pending
from cases.journal import BEGIN_ID, Step
from cases.model import Siting
from cases.places import Geography
from cases.recovery import runs
from core.event import Event
from core.keys import ENGINE_GROUP, Keys
from core.settings import Settings
from dashboard.components.admin_tables import quarantine_columns, quarantine_detail
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from dashboard.pages.admin import QuarantineData, plan_quarantine, read_quarantine
from ingest.feeds.urban import ADAPTER as URBAN
from layers.town import Town
from tests.support.aio import run_apart
from tests.support.pipeline import drain, push
from tests.support.poison_engine import KILLED
from tests.support.urban import lattice_point, urban_record
from towncc import processes

pytestmark = pytest.mark.redis
MARKUP = "<script>alert(1)</script>"


@dataclass
class FaultySiter:
    """The real geography, except that it raises for a batch holding a poisoned source id."""

    real: Geography
    poisoned: set[str] = field(default_factory=set)

    def site(self, events: Sequence[Event]) -> list[Siting]:
        if any(e.source_id in self.poisoned for e in events):
            raise RuntimeError("injected fault")
        return self.real.site(events)


def records(numbers: range) -> list[dict[str, object]]:
    return [urban_record(n, *lattice_point(n)) for n in numbers]


def entry_of(r: redis.Redis, keys: Keys, source_id: str) -> str:
    return next(i for i, f in r.xrange(keys.events) if f"urban:{source_id}:" in f["id"])


def created(r: redis.Redis, keys: Keys) -> list[str]:
    return [f["case_id"] for _, f in r.xrange(keys.case_events) if f["type"] == "created"]


def journaled(r: redis.Redis, keys: Keys) -> list[str]:
    steps = [Step.parse(f) for e, f in r.xrange(keys.journal) if e != BEGIN_ID]
    return [i for s in steps if s.op == "events" for i in s.ids]


def pending(r: redis.Redis, stream: str) -> int:
    return int(r.xpending(stream, ENGINE_GROUP)["pending"])


@pytest.fixture
def siter(geography: Geography) -> FaultySiter:
    return FaultySiter(geography)


@pytest.fixture
def faulty(r: redis.Redis, keys: Keys, siter: FaultySiter) -> Engine:
    engine = Engine(r, keys, siter, batch=200)
    engine.ensure_group()
    return engine


def test_an_entry_that_raises_is_quarantined_and_its_batch_applied_once(
    r: redis.Redis, keys: Keys, faulty: Engine, siter: FaultySiter
) -> None:
    siter.poisoned = {"T-000007"}
    push(r, keys, records(range(1, 21)))
    poison = entry_of(r, keys, "T-000007")

    assert drain(faulty) == 20

    [record] = quarantine.recent(r, keys)
    assert (record["source"], record["entry"], record["deliveries"]) == ("events", poison, "1")
    assert record["error"].startswith("RuntimeError: injected fault (at redis/test_quarantine.py:")
    assert "T-000007" in record["raw"] and int(record["raw_bytes"]) == len(record["raw"].encode())
    others = sorted(f"urban:T-{n:06d}" for n in range(1, 21) if n != 7)
    assert sorted(created(r, keys)) == others  # each once: nothing applied twice or lost
    assert store.all_case_ids(r, keys) == sorted(others, key=store.all_case_ids(r, keys).index)
    assert pending(r, keys.events) == 0
    assert poison not in journaled(r, keys)  # a rebuild never applies what live never did
    assert sorted(journaled(r, keys)) == sorted(set(journaled(r, keys)))
    assert quarantine.count(r, keys) == 1 and quarantine.totals(r, keys) == {"events": 1}

    push(r, keys, records(range(21, 23)))  # the engine goes on
    assert drain(faulty) == 2
    assert len(created(r, keys)) == 21


def test_a_record_dated_9999_is_quarantined_instead_of_killing_the_engine(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    # Written straight into `events`, past the intake's plausible-time check (as an intake
    # without one did, or a writer of the stream that is not the intake).
    body = orjson.dumps([urban_record(1, sbsj="9999-12-31 23:59:59"), urban_record(2)])
    for event in URBAN.parse(body, datetime.now(UTC)):
        assert isinstance(event, Event)
        r.xadd(keys.events, {"id": event.id, "feed": event.feed, "e": event.to_json()})
    drain(engine)
    [record] = quarantine.recent(r, keys)
    # The clock refuses it with its domain error (it was an OverflowError before).
    assert record["error"].startswith("ClockRangeError")
    assert "9999-12-31" in record["raw"]
    assert created(r, keys) == ["urban:T-000002"]
    assert pending(r, keys.events) == 0


def test_a_command_of_garbage_is_quarantined_and_the_next_one_applied(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [urban_record(1)])
    drain(engine)
    garbage = r.xadd(keys.commands, {"case_id": "urban:T-000001", "c": "[]"})
    accept = {"action": "accept", "actor": "u1", "at": datetime.now(UTC).isoformat()}
    good = r.xadd(keys.commands, {"case_id": "urban:T-000001", "c": orjson.dumps(accept)})
    drain(engine)
    [record] = quarantine.recent(r, keys)
    assert (record["source"], record["entry"]) == ("commands", garbage)
    assert record["error"].startswith("AttributeError")
    assert orjson.loads(r.get(keys.command(good)) or b"{}")["command_id"] == good
    assert pending(r, keys.commands) == 0
    assert quarantine.totals(r, keys) == {"commands": 1}


def test_a_replayed_entry_is_applied_once_its_fault_is_fixed(
    r: redis.Redis, keys: Keys, faulty: Engine, siter: FaultySiter
) -> None:
    siter.poisoned = {"T-000002"}
    push(r, keys, records(range(1, 4)))
    drain(faulty)
    [record] = quarantine.recent(r, keys)
    siter.poisoned = set()  # the fix

    report = quarantine.replay(r, keys, record=record["id"])

    assert (report.examined, report.replayed, report.lost) == (1, 1, 0)
    assert quarantine.count(r, keys) == 0
    assert drain(faulty) == 1
    assert sorted(created(r, keys)) == [f"urban:T-{n:06d}" for n in range(1, 4)]
    assert quarantine.totals(r, keys) == {"events": 1}  # counted when it happened


def test_a_case_whose_sweep_raises_leaves_the_due_set_and_the_others_escalate(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [urban_record(1, *lattice_point(1)), urban_record(2, *lattice_point(2))])
    drain(engine)
    r.set(keys.case("urban:T-000002"), "{corrupt")  # a projection nobody could read
    r.zadd(keys.response_due, {"urban:T-000002": 1, "urban:T-000001": 1})

    engine.sweep(datetime.now(UTC))

    [record] = quarantine.recent(r, keys)
    assert (record["source"], record["entry"]) == ("sweep", "urban:T-000002")
    assert r.zscore(keys.response_due, "urban:T-000002") is None
    history = store.case_history(r, keys, "urban:T-000001")
    assert "escalated" in [h["type"] for h in history]  # escalated all the same
    engine.sweep(datetime.now(UTC))  # and the next sweep does not meet it again
    assert quarantine.count(r, keys) == 1

    quarantine.replay(r, keys)
    assert r.zscore(keys.response_due, "urban:T-000002") == 1


def test_redis_out_of_memory_quarantines_nothing_and_counts_no_delivery(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    engine.recover()  # this process's first recovery is done: the next ones follow outages
    push(r, keys, [urban_record(1), urban_record(2)])
    limit = r.config_get("maxmemory")["maxmemory"]
    r.config_set("maxmemory", 1)
    try:
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            engine.step(block_ms=None)
        for _ in range(4):  # the engine's loop retries after each failure
            with pytest.raises(redis.exceptions.OutOfMemoryError):
                engine.recover()
    finally:
        r.config_set("maxmemory", limit)
    assert quarantine.count(r, keys) == 0
    rows = r.xpending_range(keys.events, ENGINE_GROUP, "-", "+", 10)
    assert [row["times_delivered"] for row in rows] == [1, 1]
    assert engine.recover() == 2
    assert sorted(created(r, keys)) == ["urban:T-000001", "urban:T-000002"]
    assert quarantine.count(r, keys) == 0 and pending(r, keys.events) == 0


def test_quarantined_entries_are_listed_on_admin_as_text(
    r: redis.Redis, keys: Keys, faulty: Engine, siter: FaultySiter, settings: Settings, town: Town
) -> None:
    siter.poisoned = {"T-000001"}
    push(r, keys, [urban_record(1, wtms=MARKUP)])
    drain(faulty)
    poison = entry_of(r, keys, "T-000001")

    async def refresh() -> tuple[QuarantineData, QuarantineData, dict[str, str] | None]:
        ar = aredis.Redis.from_url(settings.redis_url or "")
        try:
            wall = WallContext(settings, keys, town, map_traces(town), r, ar)
            data = await read_quarantine(wall, None)
            again = await read_quarantine(wall, data.probe)
            record = await quarantine.aget(ar, keys, (data.records or [{}])[0]["id"])
        finally:
            await ar.aclose()
        return data, again, record

    data, again, record = run_apart(refresh())
    rows, count, sent = plan_quarantine(data, "zh", None)
    [row] = rows
    assert (row["entry"], row["source"], row["deliveries"]) == (poison, "事件", 1)
    assert row["error"].startswith("RuntimeError: injected fault") and MARKUP in row["raw"]
    assert count == "（现存 1 条）"
    assert again.records is None  # nothing came or went: the records are not read again
    assert plan_quarantine(data, "zh", sent)[0] is no_update  # nor sent again
    columns = quarantine_columns("en")
    assert not any("cellRenderer" in c or "tooltipComponent" in c for c in columns)
    detail = quarantine_detail(record, "en")
    [pre] = [c for c in detail if isinstance(c, html.Pre)]
    assert isinstance(pre.children, str) and MARKUP in pre.children  # text, never markup
    assert "Quarantined entry" in [getattr(c, "children", None) for c in detail]


def test_the_record_keeps_a_bounded_raw_and_no_secret() -> None:
    fields = {"e": '{"token": "s3cret", "x": "' + "x" * 100_000 + '"}', "auth": "Bearer abc.def"}
    poison = quarantine.Poison("events", "1-0", fields, "ValueError: password=hunter2")
    record = poison.record(datetime(2026, 12, 6, tzinfo=UTC))
    raw = str(record["raw"])
    assert len(raw.encode()) <= quarantine.RAW_MAX and record["truncated"] == "1"
    assert int(str(record["raw_bytes"])) > 100_000 and len(str(record["raw_sha256"])) == 64
    assert "s3cret" not in raw and "abc.def" not in raw
    assert "hunter2" not in quarantine.error_text(ValueError("password=hunter2"))


def test_an_entry_that_kills_the_engine_is_quarantined_after_n_deliveries(
    r: redis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    push(r, keys, records(range(1, 11)))  # one batch, read at the engine's first start
    poison = entry_of(r, keys, "T-000005")
    env = {**os.environ, "REDIS_URL": settings.redis_url or ""}
    env |= {"TOWNCC_KEY_PREFIX": keys.prefix, "TOWNCC_ENGINE_MAX_DELIVERIES": "3"}
    command = [sys.executable, "-m", "tests.support.poison_engine", "T-000005"]
    started: list[subprocess.Popen[bytes]] = []
    with (tmp_path / "engine.log").open("wb") as log:
        try:
            while len(started) <= 3:  # what a supervisor does: start it again after each death
                engine = subprocess.Popen(command, env=env, stdout=log, stderr=log)
                started.append(engine)
                wait_for(lambda e=engine: e.poll() is not None or quarantine.count(r, keys) > 0)
                if engine.poll() is None:
                    break
                assert engine.returncode == KILLED
            # One death per delivery: the first, its batch's retry, then the poison alone.
            assert [e.returncode for e in started] == [KILLED] * 3 + [None]
            [record] = quarantine.recent(r, keys)
            assert (record["entry"], record["deliveries"]) == (poison, "3")
            assert "never acknowledged" in record["error"]
            wait_for(lambda: len(created(r, keys)) == 9)
            push(r, keys, records(range(11, 12)))  # and the engine runs on
            wait_for(lambda: len(created(r, keys)) == 10)
            assert sorted(created(r, keys)) == [f"urban:T-{n:06d}" for n in range(1, 12) if n != 5]
            assert pending(r, keys.events) == 0 and engine.poll() is None
        finally:
            for process in started:
                processes.stop(process)
    assert all(process.poll() is not None for process in started)


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s")
        time.sleep(0.05)


def test_suspects_are_retried_alone_in_stream_order_and_spent_ones_not_at_all() -> None:
    counts = {"1-0": 1, "2-0": 1, "3-0": 2, "4-0": 1, "5-0": 3, "6-0": 2}
    pending = [Pending(entry, "engine-1", n) for entry, n in counts.items()]
    assert runs(pending, max_deliveries=3) == [["1-0", "2-0"], ["3-0"], ["4-0"], ["6-0"]]
