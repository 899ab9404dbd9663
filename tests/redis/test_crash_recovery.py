"""SIGKILL the engine in the middle of a burst: after a restart, exactly one case per record,
and each applied entry once in the journal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from cases import store
from cases.journal import BEGIN_ID, Step
from core.keys import ENGINE_GROUP, Keys
from core.settings import Settings
from tests.support.pipeline import push
from tests.support.urban import reported_now, urban_record
from towncc import processes

pytestmark = pytest.mark.redis
RECORDS = 10_000
CHUNK = 500
REPEAT = 97 * 89  # the points of _records repeat after this many records


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def start_engine(
    settings: Settings, tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "REDIS_URL": settings.redis_url or "",
        "TOWNCC_KEY_PREFIX": settings.key_prefix,
    }

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"engine-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "towncc", "engine"], env=env, stdout=log, stderr=log
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        processes.stop(process)


def _records(start: int, stop: int, reported: str) -> list[dict[str, object]]:
    # Points spread over the centre so many grids are touched; every 10th record is sent twice.
    # The points repeat from record REPEAT on: those records are duplicates of the first ones.
    # Reported at `reported`, near the real clock the engine runs on: no deadline passes.
    out = []
    for n in range(start, stop):
        # 暴露垃圾 has no first-response clock: the only changes are the records' own.
        record = urban_record(
            n,
            120.37 + (n % 97) * 0.0006,
            31.76 + (n % 89) * 0.0005,
            xlbm="0102",
            xlmc="暴露垃圾",
            sbsj=reported,
        )
        out += [record, record] if n % 10 == 0 else [record]
    return out


def test_sigkill_mid_burst_leaves_exactly_one_case_per_record(
    r: redis.Redis, keys: Keys, start_engine: Callable[[], subprocess.Popen[bytes]]
) -> None:
    engine = start_engine()
    reported = reported_now()
    wait_for(lambda: r.exists(keys.events) and _has_group(r, keys), 30, "the engine's group")
    half = RECORDS // 2
    for first in range(0, half, CHUNK):
        push(r, keys, _records(first, first + CHUNK, reported))
    wait_for(lambda: r.zcard(keys.all_cases) > 500, 60, "the engine to apply some cases")
    engine.send_signal(signal.SIGKILL)
    engine.wait()
    applied_at_kill = r.zcard(keys.all_cases)
    for first in range(half, RECORDS, CHUNK):
        push(r, keys, _records(first, first + CHUNK, reported))
    assert applied_at_kill < RECORDS, "the kill came too late to test anything"

    start_engine()
    wait_for(lambda: _all_applied(r, keys), 120, "the restarted engine to apply every entry")

    assert r.zcard(keys.all_cases) == RECORDS
    assert r.xlen(keys.case_events) == RECORDS  # one 'created' per record, nothing applied twice
    cases = store.get_cases(r, keys, store.all_case_ids(r, keys))
    assert {c["version"] for c in cases} == {1}
    assert sorted(c["source_id"] for c in cases) == [f"T-{n:06d}" for n in range(RECORDS)]
    merged = {c["source_id"]: c["parent"] for c in cases if c["stage"] == "merged"}
    assert merged == {f"T-{n:06d}": f"urban:T-{n - REPEAT:06d}" for n in range(REPEAT, RECORDS)}
    per_grid = store.grid_open_counts(r, keys)
    assert sum(per_grid.values()) == sum(1 for c in cases if c["grid"] and c["status"] == "open")
    # The journal names each applied entry once: what a rebuild replays is what was applied.
    journaled = [i for s in journal_steps(r, keys) if s.op == "events" for i in s.ids]
    assert len(journaled) == len(set(journaled)) >= RECORDS
    assert set(journaled) <= {e for e, _ in r.xrange(keys.events)}


def journal_steps(r: redis.Redis, keys: Keys) -> list[Step]:
    return [Step.parse(f) for e, f in r.xrange(keys.journal) if e != BEGIN_ID]


def _has_group(r: redis.Redis, keys: Keys) -> bool:
    return any(g["name"] == ENGINE_GROUP for g in r.xinfo_groups(keys.events))


def _all_applied(r: redis.Redis, keys: Keys) -> bool:
    # compare the last delivered id (redis 6.2 had no consumer-group lag)
    [group] = [g for g in r.xinfo_groups(keys.events) if g["name"] == ENGINE_GROUP]
    last = r.xinfo_stream(keys.events)["last-generated-id"]
    return group["pending"] == 0 and group["last-delivered-id"] == last
