"""`towncc engine --rebuild`: after a simulated week of 100,000 events, with operator actions
and deadline sweeps on a simulated clock, rebuilding from the streams and the journal gives
projections identical to the live ones — also when the engine was killed with SIGKILL five
times during the week. And a rebuild refuses to run where it would be wrong.

`make test` runs the live rebuild on two days of 20,000 events (every path of the week is in
them: the rain and its CAP updates on the second day, the silent stations after the last
event); TOWNCC_LONG_TESTS=1 runs both on the whole week, the five SIGKILLs too (seven minutes
on two cores). The suite keeps its SIGKILLs in tests/redis/test_crash_recovery.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
import redis

from cases import group
from cases.engine import Engine
from cases.kpi import kpi_row
from cases.kpi_read import read_kpis
from cases.kpi_store import read_facts
from cases.model import entry_key
from cases.periods import parse_period
from cases.places import Geography
from cases.rebuild import RebuildError, Summary, rebuild
from cases.routing import village_kinds
from core.keys import ENGINE_GROUP, Keys, glob_escape
from core.settings import Settings
from layers.town import Town
from tests.support.clock import Clock
from tests.support.pipeline import all_applied, drain_now
from tests.support.recount import counted, recount
from tests.support.week import RAIN, START, TICKS, Operator, set_clock, week, write
from towncc import processes

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
KILLS = 5
LONG = bool(os.environ.get("TOWNCC_LONG_TESTS"))
EVENTS, DAYS = (100_000, 7) if LONG else (20_000, 2)
RAIN_AT = RAIN if LONG else replace(RAIN, after=timedelta(days=1, hours=3))  # before the last
SCALE = EVENTS / 100_000  # the week's figures below are for 100,000 events
WEEK_TICKS = DAYS * TICKS // 7
LAG = 6  # ticks: an hour
CHUNK = 1000


def snapshot(r: redis.Redis, keys: Keys) -> dict[str, Any]:
    """Every key under the prefix by its type and content, but the streams (the engine's
    input and its audit log) and the one-shot command replies (a request waiting now)."""
    replies = keys.command_reply("")
    names = sorted(
        name
        for name in r.scan_iter(match=f"{glob_escape(keys.prefix)}*", count=CHUNK)
        if not name.startswith(replies)
    )
    found: dict[str, Any] = {}
    for first in range(0, len(names), CHUNK):
        chunk = names[first : first + CHUNK]
        pipe = r.pipeline(transaction=False)
        for name in chunk:
            pipe.type(name)
        kinds = pipe.execute()
        pipe = r.pipeline(transaction=False)
        read = _readers(pipe)
        kept = [(name, kind) for name, kind in zip(chunk, kinds, strict=True) if kind != "stream"]
        for name, kind in kept:
            read[kind](name)
        for (name, kind), value in zip(kept, pipe.execute(), strict=True):
            found[name] = (kind, value)
    return found


def _readers(pipe: Any) -> dict[str, Callable[[str], Any]]:
    return {
        "string": pipe.get,
        "hash": pipe.hgetall,
        "list": lambda k: pipe.lrange(k, 0, -1),
        "set": pipe.smembers,
        "zset": lambda k: pipe.zrange(k, 0, -1, withscores=True),
    }


def expiries(r: redis.Redis, keys: Keys) -> dict[str, int]:
    """When each command outcome expires (ms since the epoch, by Redis's clock), to within
    the time the pipeline takes."""
    names = sorted(r.scan_iter(match=f"{glob_escape(keys.command(''))}*", count=CHUNK))
    pipe = r.pipeline(transaction=False)
    pipe.time()
    for name in names:
        pipe.pttl(name)
    (seconds, micros), *left = pipe.execute()
    now_ms = seconds * 1000 + micros // 1000
    return {name: now_ms + ttl for name, ttl in zip(names, left, strict=True)}


def types_in_histories(state: dict[str, Any], keys: Keys) -> Counter[str]:
    """Audit entries by type, escalations by their cause (first response, handling, severity)."""
    found: Counter[str] = Counter()
    for name, (_, value) in state.items():
        if name.startswith(keys.history("")):
            for entry in map(orjson.loads, value):
                found[entry["type"]] += 1
                if entry["type"] == "escalated":
                    found[entry["reason"].split(" ")[0]] += 1
    return found


def assert_a_full_week(state: dict[str, Any], keys: Keys) -> None:
    """The week went through every path a rebuild has to reproduce."""
    types = types_in_histories(state, keys)
    assert types["created"] > 25_000 * SCALE and types["closed"] > 20_000 * SCALE
    for kind in ("escalated", "refused", "dispatched", "accepted", "handled", "verified"):
        assert types[kind] > 10 * SCALE, (kind, types)
    for kind in ("first", "handling", "severity"):  # what the sweeps and the engine escalate
        assert types[kind] > 0, (kind, types)
    for kind in ("merged", "cancelled", "extended", "parked", "returned", "rework"):
        assert types[kind] > 0, (kind, types)
    assert sum(1 for name in state if name.startswith(keys.command(""))) > 1000 * SCALE
    alerts = state[keys.latest("alert")][1]
    assert any(orjson.loads(a)["retired"] for a in alerts.values()), "an Update or Cancel"
    assert len(state[keys.latest("telemetry")][1]) >= 5, "river gauges and air stations"
    assert any(name.startswith(keys.duplicates("")) for name in state), "duplicates merged"
    cases = [name for name in state if name.startswith(keys.case("alarm:"))]
    assert any(":no-data:" in name for name in cases), "a silent station's alarm, swept"
    kpi = {state[name][0] for name in state if name.startswith(keys.kpi(""))}
    assert kpi == {"hash", "zset", "set"}, f"the KPI buckets: {kpi}"


def vandalise(r: redis.Redis, keys: Keys) -> None:
    """Break the live projections a little, so that the rebuild has something to mend."""
    some = sorted(r.zrange(keys.all_cases, 0, 99))
    gone = [*(keys.case(c) for c in some[:50]), *(keys.history(c) for c in some[50:])]
    assert r.delete(*gone, keys.latest("telemetry")) == len(gone) + 1
    r.hset(keys.grid_open, "nowhere", 7)
    r.zadd(keys.response_due, {"urban:ghost": 1})
    r.set(keys.case("urban:ghost"), "{}")
    r.hincrby(keys.tally, "open", 3)
    r.hset(keys.hazard_enterprises, "ghost works", 2)
    r.zadd(keys.late_at, {"urban:ghost": 1})
    r.zrem(keys.response_late_at, *r.zrange(keys.response_late_at, 0, 9))
    buckets = sorted(r.scan_iter(match=f"{glob_escape(keys.kpi(''))}*", count=CHUNK))
    r.delete(*buckets[::2])
    r.hincrby(keys.kpi("flow", "town", "m2026-11"), "|c", 5)


@pytest.fixture
def engine_processes(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Start `python -m tests.support.engine_process`; every one is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url or "",
        "TOWNCC_KEY_PREFIX": settings.key_prefix,
    }

    def start() -> subprocess.Popen[bytes]:
        with (tmp_path / f"engine-{len(started)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.engine_process"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        processes.stop(process)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@pytest.mark.skipif(not LONG, reason="set TOWNCC_LONG_TESTS=1")
def test_rebuilding_a_week_with_five_sigkills_gives_the_live_projections(
    r: redis.Redis,
    keys: Keys,
    settings: Settings,
    town: Town,
    tmp_path: Path,
    engine_processes: Callable[[], subprocess.Popen[bytes]],
) -> None:
    """The engine runs as its own process, beside this one writing the week; from five
    random ticks on, it is killed the first time it is seen in the middle of a batch (read,
    not yet committed), and started again each time."""
    set_clock(r, keys, START)
    engine = engine_processes()
    picks = np.random.default_rng(2026).choice(range(50, WEEK_TICKS - 50), KILLS, replace=False)
    armed, restarts, kills = 0, 0, {int(n) for n in picks}
    operator = Operator(seed=6)
    written: list[str] = []
    for n, tick in enumerate(week(town, EVENTS, days=DAYS, rain=RAIN_AT)):
        if n >= LAG:  # keep the engine within an hour of the writer, as it would be live
            wait_for(lambda n=n: delivered(r, keys, written[n - LAG]), 60, "the engine")
        set_clock(r, keys, tick.at)
        write(r, keys, tick)
        written.append(last_entry(r, keys.events))
        operator.act(r, keys, tick.at)
        armed += n in kills
        if armed:  # not while it starts: the dead one's pending entries would count
            log = tmp_path / f"engine-{restarts}.log"
            wait_for(lambda log=log: "running;" in log.read_text(), 60, "the engine to start")
        if armed and mid_batch(r, keys, written[-1]):
            engine.send_signal(signal.SIGKILL)
            engine.wait()
            engine = engine_processes()
            armed, restarts = armed - 1, restarts + 1
    assert armed == 0, "every kill happened"
    wait_for(lambda: all_applied(r, keys), 120, "the engine to apply the whole week")
    engine.send_signal(signal.SIGTERM)
    assert engine.wait(timeout=30) == 0
    assert r.xlen(keys.events) == EVENTS
    live = snapshot(r, keys)
    assert_a_full_week(live, keys)
    recovered = [
        int(m) for log in sorted(tmp_path.glob("engine-*.log"))
        for m in re.findall(r"(\d+) pending entries re-applied", log.read_text())
    ]  # fmt: skip
    assert len(recovered) == KILLS + 1 and sum(recovered) > 0, "a kill landed mid-batch"

    started = time.perf_counter()
    env = {**os.environ, "REDIS_URL": settings.redis_url or "", "TOWNCC_KEY_PREFIX": keys.prefix}
    done = subprocess.run(
        [sys.executable, "-m", "towncc", "engine", "--rebuild"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rebuilt" in done.stdout and "wrote another number" not in done.stdout, done.stdout
    assert snapshot(r, keys) == live
    print(f"\npending entries re-applied by each start: {recovered}")
    print(f"`towncc engine --rebuild` {time.perf_counter() - started:.1f} s:\n{done.stdout}")


def mid_batch(r: redis.Redis, keys: Keys, last: str) -> bool:
    """Watch the engine until it holds entries read but not committed (True), or has read
    everything up to ``last`` and holds none (False: it is idle)."""
    while True:
        held = sum(
            r.xpending(stream, ENGINE_GROUP)["pending"] for stream in (keys.events, keys.commands)
        )
        if held:
            return True
        if delivered(r, keys, last):
            return False


def delivered(r: redis.Redis, keys: Keys, entry: str) -> bool:
    """Whether the engine has read up to this entry of `events` (False before it starts)."""
    found = [g for g in r.xinfo_groups(keys.events) if g["name"] == ENGINE_GROUP]
    return bool(found) and entry_key(found[0]["last-delivered-id"]) >= entry_key(entry)


def last_entry(r: redis.Redis, stream: str) -> str:
    found = r.xrevrange(stream, count=1)
    return str(found[0][0]) if found else "0-0"


def live_week(r: redis.Redis, keys: Keys, engine: Engine, clock: Clock, town: Town) -> int:
    """The week through the engine in this process: each tick's records and actions, then a
    sweep at the tick's time. The number of actions queued."""
    operator = Operator(seed=5)
    for tick in week(town, EVENTS, days=DAYS, rain=RAIN_AT):
        clock.now = tick.at
        write(r, keys, tick)
        operator.act(r, keys, tick.at)
        drain_now(engine)
        engine.sweep()
    return operator.queued


def test_rebuilding_a_week_gives_the_live_projections(
    r: redis.Redis, keys: Keys, geography: Geography, town: Town
) -> None:
    clock = Clock(START)
    engine = Engine(r, keys, geography, clock=clock, kinds=village_kinds(town))
    engine.ensure_group()
    started = time.perf_counter()
    queued = live_week(r, keys, engine, clock, town)
    group.leave(r, keys, engine.consumer)  # as a stopped engine does
    lived = time.perf_counter() - started
    assert r.xlen(keys.events) == EVENTS
    live, expiring = snapshot(r, keys), expiries(r, keys)
    assert_a_full_week(live, keys)
    assert counted(r, keys, clock.now) == recount(r, keys, clock.now)
    vandalise(r, keys)

    lines: list[str] = []
    summary = rebuild(engine, out=lines.append)

    assert snapshot(r, keys) == live
    november = parse_period("2026-11").until(clock.now)
    facts = read_facts(r, keys, november)
    assert read_kpis(r, keys, november, "village")[0] == kpi_row(None, facts, november)
    rebuilt = expiries(r, keys)
    assert rebuilt.keys() == expiring.keys()
    late = max(abs(rebuilt[k] - expiring[k]) for k in rebuilt)
    assert late < 1000, f"the same expiry, not 30 days from the rebuild: {late} ms"
    assert summary.diverged == []
    assert summary.written == r.xlen(keys.case_events)
    assert 0.95 * (EVENTS + queued) <= summary.entries <= EVENTS + queued
    print(f"\nlive week {lived:.1f} s; " + "; ".join(summary.lines()))


# ---- refusals, on a small week ---------------------------------------------------------------

SMALL = 3_000


@pytest.fixture
def small_week(r: redis.Redis, keys: Keys, geography: Geography, town: Town) -> Engine:
    """A week of 3,000 events applied in this process, the engine stopped afterwards.

    Tests that are not about telling a live engine pass ``idle_ms=0`` to the rebuild: this
    engine read moments ago, and how long ago depends on the machine's load.
    """
    clock = Clock(START)
    engine = Engine(r, keys, geography, clock=clock, kinds=village_kinds(town))
    engine.ensure_group()
    operator = Operator(seed=7)
    for tick in week(town, SMALL, days=1):
        clock.now = tick.at
        write(r, keys, tick)
        operator.act(r, keys, tick.at)
        drain_now(engine)
        engine.sweep()
    group.leave(r, keys, engine.consumer)
    return engine


def test_a_rebuild_is_idempotent(r: redis.Redis, keys: Keys, small_week: Engine) -> None:
    live = snapshot(r, keys)
    for _ in range(2):
        summary: Summary = rebuild(small_week, out=lambda line: None, idle_ms=0)
        assert snapshot(r, keys) == live
        assert summary.diverged == [] and summary.entries >= SMALL * 0.9
    assert not r.exists(keys.rebuild_lock)
    assert not list(r.scan_iter(match=f"{glob_escape(keys.prefix)}rebuild:*"))


def test_a_rebuild_writes_the_counters_data_from_before_them_lacks(
    r: redis.Redis, keys: Keys, small_week: Engine
) -> None:
    """Projections written by an engine that kept no counters (an upgrade) get them from
    `towncc engine --rebuild`, equal to a recount and to what a live engine keeps."""
    live = snapshot(r, keys)
    counters = (keys.tally, keys.hazard_enterprises, keys.late_at, keys.response_late_at)
    assert all(name in live for name in counters)
    r.delete(*counters)
    rebuild(small_week, out=lambda line: None, idle_ms=0)
    assert snapshot(r, keys) == live
    now = small_week.clock()
    assert counted(r, keys, now) == recount(r, keys, now)
    assert counted(r, keys, now)["open_total"] > 0


def test_a_rebuild_refuses_while_an_engine_is_live(
    r: redis.Redis, keys: Keys, small_week: Engine
) -> None:
    live = snapshot(r, keys)
    stop = threading.Event()
    running = threading.Thread(target=replace(small_week, consumer="engine-2").run, args=(stop,))
    running.start()
    try:
        wait_for(lambda: bool(r.exists(keys.heartbeat("engine-2"))), 30, "the engine to run")
        with pytest.raises(RebuildError, match=r"an engine is running: engine-2 \(process \d+@"):
            rebuild(small_week, out=lambda line: None)
        assert not r.exists(keys.rebuild_lock)
    finally:
        stop.set()
        running.join(timeout=30)
    assert not r.exists(keys.heartbeat("engine-2")), "a stopped engine says so"
    rebuild(small_week, out=lambda line: None, idle_ms=0)
    assert snapshot(r, keys) == live


def test_a_crashed_engine_that_read_lately_counts_as_live(
    r: redis.Redis, keys: Keys, small_week: Engine
) -> None:
    r.xadd(keys.commands, {"case_id": "urban:nothing", "c": "{}"})
    assert r.xreadgroup("engine", "engine-9", {keys.commands: ">"}, count=1)  # then it died
    # A window wide enough for a loaded machine: a busy Redis (freeing the week of a test
    # before) can put seconds between the read and the check.
    with pytest.raises(RebuildError, match=r"engine-9 \(read \d+\.\d s ago\)"):
        rebuild(small_week, out=lambda line: None, idle_ms=60_000)


def test_a_rebuild_refuses_while_another_runs(
    r: redis.Redis, keys: Keys, small_week: Engine
) -> None:
    r.set(keys.rebuild_lock, "someone")
    with pytest.raises(RebuildError, match="another rebuild is running"):
        rebuild(small_week, out=lambda line: None, idle_ms=0)
    assert r.get(keys.rebuild_lock) == "someone"


def test_a_trimmed_stream_is_a_clear_error_and_changes_nothing(
    r: redis.Redis, keys: Keys, small_week: Engine
) -> None:
    live = snapshot(r, keys)
    first = r.xrange(keys.events, count=1)[0][0]
    r.xtrim(keys.events, minid=f"{int(first.split('-')[0]) + 1}-0", approximate=False)
    with pytest.raises(RebuildError, match=r"entry \S+ of \S+events, applied by the engine, is no"):
        rebuild(small_week, out=lambda line: None, idle_ms=0)
    assert snapshot(r, keys) == live


def test_an_entry_deleted_from_the_middle_is_a_clear_error_and_changes_nothing(
    r: redis.Redis, keys: Keys, small_week: Engine
) -> None:
    live = snapshot(r, keys)
    middle = r.xrange(keys.events)[SMALL // 2][0]
    r.xdel(keys.events, middle)
    with pytest.raises(RebuildError, match=f"entry {middle} of .*trimmed or deleted"):
        rebuild(small_week, out=lambda line: None, idle_ms=0)
    assert snapshot(r, keys) == live
    assert not list(r.scan_iter(match=f"{glob_escape(keys.prefix)}rebuild:*"))


def test_a_trimmed_journal_cannot_rebuild(r: redis.Redis, keys: Keys, small_week: Engine) -> None:
    r.xdel(keys.journal, "0-1")
    with pytest.raises(RebuildError, match="the journal was trimmed"):
        rebuild(small_week, out=lambda line: None, idle_ms=0)


def test_projections_from_before_the_journal_cannot_be_rebuilt(
    r: redis.Redis, keys: Keys, geography: Geography, town: Town
) -> None:
    r.zadd(keys.all_cases, {"urban:old": 1})  # written by an engine that kept no journal
    engine = Engine(r, keys, geography, kinds=village_kinds(town))
    engine.ensure_group()
    group.leave(r, keys, engine.consumer)
    with pytest.raises(RebuildError, match="projections already existed"):
        rebuild(engine, out=lambda line: None)
    assert r.zrange(keys.all_cases, 0, -1) == ["urban:old"]
