"""Drop folders, bulk replay, dead-letter replay and per-feed freshness, on a real Redis."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis

from ingest import coords, deadletters, freshness
from ingest.feeds import FEEDS
from ingest.files import Watcher, replay
from ingest.sink import RedisSink
from tests.support.urban import urban_record
from towncc.keys import Keys

pytestmark = pytest.mark.redis


def sink(keys: Keys) -> RedisSink:
    return RedisSink(keys, 10_000)


def aged(path: Path) -> Path:
    """Make a file look settled (written more than a second ago)."""
    past = path.stat().st_mtime - 5
    os.utime(path, (past, past))
    return path


def test_a_dropped_file_is_ingested_and_moved_with_its_reasons(
    r: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    watcher = Watcher(tmp_path, {"urban": FEEDS["urban"]}, sink(keys), r)
    good = tmp_path / "urban" / "batch.json"
    good.write_bytes(orjson.dumps([urban_record(1), {"ajbh": "X"}]))
    (tmp_path / "urban" / "half-written.json.part").write_text("[")
    assert watcher.sweep() == 0, "a file still being written is left alone"
    aged(good)
    aged(tmp_path / "urban" / "half-written.json.part")
    assert watcher.sweep() == 1
    [done] = (tmp_path / "urban" / "done").glob("*-batch.json")
    reason = Path(f"{done}.reason").read_text("utf-8")
    assert "1 accepted, 1 dead-lettered" in reason
    assert "missing required field" in reason
    assert r.xlen(keys.events) == 1
    assert r.xlen(keys.deadletter) == 1
    assert (tmp_path / "urban" / "half-written.json.part").exists()


def test_an_unreadable_file_goes_to_failed(r: redis.Redis, keys: Keys, tmp_path: Path) -> None:
    watcher = Watcher(tmp_path, {"urban": FEEDS["urban"]}, sink(keys), r)
    broken = tmp_path / "urban" / "broken.json"
    broken.write_text("{nope")
    aged(broken)
    watcher.sweep()
    [failed] = (tmp_path / "urban" / "failed").glob("*-broken.json")
    assert "malformed JSON" in Path(f"{failed}.reason").read_text("utf-8")
    [(_, dead)] = r.xrange(keys.deadletter)
    assert dead["raw"] == "{nope"


def test_redis_down_leaves_the_file_in_place(keys: Keys, tmp_path: Path) -> None:
    down = redis.Redis(port=1, socket_connect_timeout=0.2, retry=None)
    watcher = Watcher(tmp_path, {"urban": FEEDS["urban"]}, sink(keys), down)
    path = tmp_path / "urban" / "x.json"
    path.write_bytes(orjson.dumps(urban_record(1)))
    aged(path)
    assert watcher.sweep() == 0
    assert path.exists()


def test_bulk_replay_summarises(r: redis.Redis, keys: Keys, tmp_path: Path) -> None:
    files = []
    for n in range(3):
        path = tmp_path / f"{n}.json"
        path.write_bytes(orjson.dumps([urban_record(n), urban_record(n + 10)]))
        files.append(path)
    files[2].write_text("not json")
    summary = replay(files, dict.fromkeys(files, FEEDS["urban"]), sink(keys), r)
    assert (summary.files, summary.accepted, summary.deadlettered) == (3, 4, 1)
    assert len(summary.unreadable) == 1
    assert all(p.exists() for p in files), "replay never moves or deletes its inputs"


def test_dead_letters_replay_after_a_fix(
    r: redis.Redis, keys: Keys, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    body = orjson.dumps([urban_record(1, zbxt="Xian80"), urban_record(2)])
    sink(keys).write(r, FEEDS["urban"].parse(body, datetime.now(UTC)))
    [letter] = deadletters.recent(r, keys)
    assert letter["reason"].startswith("unknown coordinate system 'Xian80'")
    [count] = deadletters.counts(r, keys)
    assert (count["feed"], count["count"]) == ("urban", 1)
    still = deadletters.replay(r, keys, dict(FEEDS), feed="urban", maxlen=1000)
    assert (still.examined, still.replayed, still.still_failing) == (1, 0, 1)
    # The fix: the town learns that this source's "Xian80" label really means CGCS2000.
    monkeypatch.setitem(coords._ALIASES, "XIAN80", coords.CRS.CGCS2000)
    coords.parse_crs.cache_clear()
    request.addfinalizer(coords.parse_crs.cache_clear)  # forget the alias after the test
    fixed = deadletters.replay(r, keys, dict(FEEDS), feed="urban", maxlen=1000)
    assert (fixed.examined, fixed.replayed) == (1, 1)
    assert r.xlen(keys.deadletter) == 0
    assert r.xlen(keys.events) == 2


def test_freshness_counts_records_and_dead_letters(r: redis.Redis, keys: Keys) -> None:
    body = orjson.dumps([urban_record(1), {"x": 1}])
    sink(keys).write(r, FEEDS["urban"].parse(body, datetime.now(UTC)))
    rows = {row["feed"]: row for row in freshness.feeds_status(r, keys, ["urban", "water"])}
    assert rows["urban"]["status"] == "live"
    assert (rows["urban"]["records"], rows["urban"]["dead_letters"]) == (1, 1)
    assert rows["urban"]["rate_per_min"] == pytest.approx(1 / freshness.RATE_WINDOW_MIN)
    assert rows["water"]["status"] == "never"
