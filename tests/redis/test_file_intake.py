"""Drop folders, bulk replay, dead-letter replay and per-feed freshness, on a real Redis."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis

from core.keys import Keys
from ingest import coords, deadletters, freshness
from ingest.feeds import FEEDS
from ingest.files import NotRegularError, Watcher, read_regular, replay
from ingest.sink import RedisSink
from tests.support.urban import urban_record

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


def test_what_the_watcher_keeps_is_its_owners_only_whatever_the_file_was(
    r: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    """Dropped records may name their reporters (the governance export's 上报人)."""
    watcher = Watcher(tmp_path, {"urban": FEEDS["urban"]}, sink(keys), r)
    shared = tmp_path / "urban" / "batch.json"
    shared.write_bytes(orjson.dumps([urban_record(1), {"ajbh": "X"}]))
    shared.chmod(0o644)  # as an upstream system may write it
    broken = tmp_path / "urban" / "broken.json"
    broken.write_text("{nope")
    broken.chmod(0o666)
    aged(shared)
    aged(broken)
    was = os.umask(0o022)  # not the CLI's: the watcher itself keeps them private
    try:
        assert watcher.sweep() == 2
    finally:
        os.umask(was)
    kept = [p for p in (tmp_path / "urban").rglob("*") if p.parent.name in ("done", "failed")]
    assert len(kept) == 4, kept  # two records and their reasons
    for path in kept:
        assert path.stat().st_mode & 0o777 == 0o600, path
    for folder in ("done", "failed"):
        assert (tmp_path / "urban" / folder).stat().st_mode & 0o777 == 0o700


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


def test_a_symlink_in_a_drop_folder_is_refused_and_its_target_never_read(
    r: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    watcher = Watcher(tmp_path / "drop", {"urban": FEEDS["urban"]}, sink(keys), r)
    outside = tmp_path / "outside.json"
    outside.write_bytes(orjson.dumps([urban_record(1, wtms="the secret content outside")]))
    link = tmp_path / "drop" / "urban" / "link.json"
    link.symlink_to(outside)
    assert watcher.sweep() == 1
    [moved] = (tmp_path / "drop" / "urban" / "failed").glob("*-link.json")
    assert moved.is_symlink(), "the link itself is moved, not its target"
    assert "refused: a symbolic link" in Path(f"{moved}.reason").read_text("utf-8")
    assert outside.exists()
    assert (r.xlen(keys.events), r.xlen(keys.deadletter)) == (0, 0), "the target is never read"
    assert watcher.sweep() == 0, "refused once"


def test_a_fifo_a_folder_and_a_dangling_link_are_refused_without_blocking(
    r: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    watcher = Watcher(tmp_path, {"urban": FEEDS["urban"]}, sink(keys), r)
    folder = tmp_path / "urban"
    os.mkfifo(folder / "pipe.json")
    (folder / "sub").mkdir()
    (folder / "dangling.json").symlink_to(tmp_path / "nowhere")
    good = folder / "good.json"
    good.write_bytes(orjson.dumps(urban_record(1)))
    aged(good)
    done = threading.Event()
    sweeper = threading.Thread(target=lambda: (watcher.sweep(), done.set()), daemon=True)
    sweeper.start()
    assert done.wait(10), "a FIFO must never block the watcher"
    reasons = {
        p.name.split("-", 1)[1]: p.read_text("utf-8") for p in (folder / "failed").glob("*.reason")
    }
    assert "a FIFO" in reasons["pipe.json.reason"]
    assert "a directory" in reasons["sub.reason"]
    assert "a symbolic link" in reasons["dangling.json.reason"]
    assert r.xlen(keys.events) == 1, "the regular file beside them is ingested"


def test_a_file_swapped_for_a_fifo_after_the_scan_is_refused(tmp_path: Path) -> None:
    pipe = tmp_path / "p.json"
    os.mkfifo(pipe)
    with pytest.raises(NotRegularError, match="FIFO"):
        read_regular(pipe)
    link = tmp_path / "l.json"
    link.symlink_to(tmp_path / "p.json")
    with pytest.raises(NotRegularError, match="symbolic link"):
        read_regular(link)


def test_a_truncated_dead_letter_is_never_replayed(r: redis.Redis, keys: Keys) -> None:
    big = orjson.dumps([urban_record(n, wtms="长" * 1000, zbxt="Xian80") for n in range(10)])
    sink(keys).write(r, FEEDS["urban"].parse(big[:-1], datetime.now(UTC)))  # malformed: one letter
    [(_, letter)] = r.xrange(keys.deadletter)
    assert letter["truncated"] == "1"
    report = deadletters.replay(r, keys, dict(FEEDS), feed="urban", maxlen=1000)
    assert (report.examined, report.truncated, report.replayed) == (1, 1, 0)
    assert r.xlen(keys.deadletter) == 1


def test_a_replayed_letter_still_out_of_the_time_window_stays(r: redis.Redis, keys: Keys) -> None:
    body = orjson.dumps([urban_record(1, sbsj="9999-12-31 23:59:59")])
    sink(keys).write(r, FEEDS["urban"].parse(body, datetime.now(UTC)))
    [letter] = deadletters.recent(r, keys)
    assert letter["reason"].startswith("time out of range: occurred_at 9999-12-31T15:59:59Z")
    report = deadletters.replay(r, keys, dict(FEEDS), feed="urban", maxlen=1000)
    assert (report.still_failing, r.xlen(keys.events)) == (1, 0)
