"""Every simulated feed, an hour of it: everything it sends passes its adapter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.event import DeadLetter, Event
from ingest.feeds import FEEDS
from ingest.sim.fleet import FEEDS as SIMULATED
from ingest.sim.fleet import Options, build, drive
from layers.town import Town, default_town

START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # a Thursday, 09:00 in Beijing
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
OPTIONS = Options(seed=7, first_number=100, backfill=timedelta(minutes=30))


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.mark.parametrize("feed", SIMULATED)
def test_an_hour_of_every_feed_passes_its_adapter(town: Town, feed: str) -> None:
    [sim] = build(town, OPTIONS, [feed])
    bodies = drive(sim, START, HOUR, MINUTE)
    results = [r for body in bodies for r in FEEDS[feed].parse(body, START + HOUR)]
    dead = [r for r in results if isinstance(r, DeadLetter)]
    assert dead == [], f"{feed}: {[d.reason for d in dead][:3]}"
    assert results, f"{feed} sent nothing in an hour"
    assert all(isinstance(r, Event) and r.feed == feed for r in results)


def test_every_feed_has_a_simulator_and_all_are_built_by_default(town: Town) -> None:
    assert set(SIMULATED) == set(FEEDS)
    assert [s.feed for s in build(town, OPTIONS)] == list(SIMULATED)


def test_a_seed_replays_the_same_bodies(town: Town) -> None:
    def run(seed: int) -> list[bytes]:
        sims = build(town, Options(seed=seed, backfill=timedelta(minutes=10)))
        return [b for sim in sims for b in drive(sim, START, timedelta(minutes=20), MINUTE)]

    first, again, other = run(3), run(3), run(4)
    assert first == again
    assert first != other


def test_simulators_never_read_the_clock() -> None:
    """Time is passed in, so a test can run a day in milliseconds (the runner reads it)."""
    package = Path(__file__).resolve().parents[2] / "ingest" / "sim"
    clock = re.compile(r"datetime\.now|\.today\(|time\.time|monotonic|utcnow")
    readers = [p.name for p in package.glob("*.py") if clock.search(p.read_text("utf-8"))]
    assert readers == ["runner.py"]


def test_unknown_feeds_and_bad_options_are_refused(town: Town) -> None:
    with pytest.raises(ValueError, match="unknown feed"):
        build(town, OPTIONS, ["urban", "weather"])
    with pytest.raises(ValueError, match="interval"):
        Options(interval=timedelta(0))
