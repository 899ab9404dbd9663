"""Streams trimmed by age on the real Redis: old entries go, never one a reader still needs."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.engine import Engine
from cases.journal import BEGIN_ID, begin
from cases.retention import Retention, trim
from core.keys import ENGINE_GROUP, Keys

pytestmark = pytest.mark.redis

# Entry ids are milliseconds since the epoch: the tests write theirs at fixed old times, and
# trim "before" a time computed from them, so nothing depends on today's date.
T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(days=365)
_runs = itertools.count()


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def fill(r: redis.Redis, stream: str, n: int, start: datetime = T0) -> list[str]:
    """``n`` entries a second apart from ``start``; their ids."""
    return [str(r.xadd(stream, {"n": i}, id=f"{ms(start) + 1000 * i}-0")) for i in range(n)]


def ids(r: redis.Redis, stream: str) -> list[str]:
    return [str(entry) for entry, _ in r.xrange(stream)]


def consume(r: redis.Redis, stream: str, read: int, acked: int) -> list[str]:
    """The engine's group reads ``read`` entries and acknowledges the first ``acked``."""
    r.xgroup_create(stream, ENGINE_GROUP, id="0", mkstream=True)
    if not read:
        return []
    [(_, rows)] = r.xreadgroup(ENGINE_GROUP, "engine-1", {stream: ">"}, count=read)
    got = [str(entry) for entry, _ in rows]
    if acked:
        r.xack(stream, ENGINE_GROUP, *got[:acked])
    return got


def test_old_acknowledged_entries_go_pending_and_undelivered_ones_stay(
    r: redis.Redis, keys: Keys
) -> None:
    written = fill(r, keys.events, 10)
    consume(r, keys.events, read=6, acked=3)
    removed = trim(r, keys, LATER, approximate=False)
    assert removed == 3
    assert ids(r, keys.events) == written[3:]  # 3 pending, 4 never delivered


def test_streams_without_a_group_go_by_age_and_the_engines_need_its_group(
    r: redis.Redis, keys: Keys
) -> None:
    dead = fill(r, keys.deadletter, 4) + fill(r, keys.deadletter, 2, start=LATER)
    events = fill(r, keys.events, 4)  # the engine has never joined: all of it waits for it
    trim(r, keys, LATER - timedelta(days=1), approximate=False)
    assert ids(r, keys.deadletter) == dead[4:]
    assert ids(r, keys.events) == events


def test_a_stream_trims_by_the_oldest_need_of_any_of_its_groups(r: redis.Redis, keys: Keys) -> None:
    written = fill(r, keys.case_events, 6)
    r.xgroup_create(keys.case_events, "notifier", id=written[1])  # has seen the first two
    trim(r, keys, LATER, approximate=False)
    assert ids(r, keys.case_events) == written[1:]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_no_undelivered_or_pending_entry_is_ever_trimmed(
    r: redis.Redis, data: st.DataObject
) -> None:
    keys = Keys(f"ret{next(_runs)}:")
    n = data.draw(st.integers(0, 30), label="entries")
    read = data.draw(st.integers(0, n), label="read")
    acked = data.draw(st.integers(0, read), label="acked")
    age = data.draw(st.integers(0, 40), label="seconds after the first entry")
    written = fill(r, keys.commands, n)
    got = consume(r, keys.commands, read, acked)
    trim(r, keys, T0 + timedelta(seconds=age), approximate=data.draw(st.booleans()))
    kept = set(ids(r, keys.commands))
    assert set(got[acked:]) <= kept  # pending
    assert set(written[read:]) <= kept  # never delivered
    assert kept >= {e for e in written if int(e.split("-")[0]) >= ms(T0) + 1000 * age}
    r.delete(keys.commands)


def test_approximate_trimming_removes_whole_old_nodes(r: redis.Redis, keys: Keys) -> None:
    written = fill(r, keys.events, 1000)
    consume(r, keys.events, read=1000, acked=1000)
    removed = trim(r, keys, LATER)
    kept = ids(r, keys.events)
    assert removed >= 800 and len(kept) == 1000 - removed
    assert kept[-1] == written[-1]  # the last delivered entry stays


def test_retention_is_off_at_age_0_and_runs_at_most_once_per_interval(
    r: redis.Redis, keys: Keys
) -> None:
    fill(r, keys.deadletter, 3)
    assert Retention(timedelta(0), approximate=False)(r, keys, LATER) == 0
    every_minute = Retention(timedelta(days=1), approximate=False)
    assert every_minute(r, keys, LATER) == 3
    fill(r, keys.deadletter, 3, start=T0 + timedelta(days=1))
    assert every_minute(r, keys, LATER) == 0  # not due yet
    assert len(ids(r, keys.deadletter)) == 3


def test_the_engine_loop_calls_its_trim_with_its_clock(engine: Engine, keys: Keys) -> None:
    stop = threading.Event()
    calls: list[tuple[Keys, datetime]] = []

    def trim_spy(client: redis.Redis, k: Keys, now: datetime) -> int:
        calls.append((k, now))
        stop.set()
        return 0

    engine.trim, engine.clock = trim_spy, lambda: LATER
    worker = threading.Thread(target=engine.run, args=(stop,))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert calls == [(keys, LATER)]


def test_the_journal_keeps_its_beginning_until_a_step_is_old_enough_to_go(
    r: redis.Redis, keys: Keys
) -> None:
    # A young centre: the journal's first entry `0-1` is "older" than any cutoff, but trimming
    # it would only make a rebuild impossible (it needs the whole journal), losing nothing.
    begin(r, keys)
    steps = fill(r, keys.journal, 3, start=LATER)
    trim(r, keys, LATER - timedelta(days=30), approximate=False)
    assert ids(r, keys.journal) == [BEGIN_ID, *steps]
    # Once a real step is older than the cutoff, history goes, beginning and all.
    trim(r, keys, LATER + timedelta(seconds=1.5), approximate=False)
    assert ids(r, keys.journal) == steps[2:]
