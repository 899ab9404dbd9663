"""One contract for every adapter (like Singer's tap tests), run over its recorded fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.event import DeadLetter, Event
from ingest.feeds import FEEDS
from tests.support.fixtures import expected_reason, fixture_feeds, fixtures

T1 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)


def test_every_adapter_has_fixtures_and_every_fixture_an_adapter() -> None:
    assert sorted(FEEDS) == fixture_feeds()
    for feed in FEEDS:
        assert any(f == feed for f, _ in fixtures("good")), f"{feed}: no good fixture"
        assert any(f == feed for f, _ in fixtures("bad")), f"{feed}: no bad fixture"


@pytest.mark.parametrize(
    ("feed", "path"), fixtures("good"), ids=lambda v: str(getattr(v, "name", v))
)
def test_good_fixtures_become_events_with_stable_ids(feed: str, path: Path) -> None:
    body = path.read_bytes()
    first = list(FEEDS[feed].parse(body, T1))
    again = list(FEEDS[feed].parse(body, T2))
    dead = [r for r in first if isinstance(r, DeadLetter)]
    assert dead == [], f"{path.name}: {[d.reason for d in dead]}"
    assert first, f"{path.name}: no event"
    assert [e.id for e in first] == [e.id for e in again], "ids must not depend on arrival time"
    for event in first:
        assert isinstance(event, Event)
        assert event.feed == feed
        assert event.id.startswith(f"{feed}:")
        assert Event.from_json(event.to_json()) == event
        assert event.raw


@pytest.mark.parametrize(
    ("feed", "path"), fixtures("bad"), ids=lambda v: str(getattr(v, "name", v))
)
def test_bad_fixtures_are_dead_lettered_with_a_reason(feed: str, path: Path) -> None:
    results = list(FEEDS[feed].parse(path.read_bytes(), T1))
    dead = [r for r in results if isinstance(r, DeadLetter)]
    assert dead, f"{path.name}: nothing dead-lettered"
    for letter in dead:
        assert letter.feed == feed
        assert letter.reason.strip()
        assert letter.raw
    reason = expected_reason(path)
    if reason is not None:
        assert any(reason in d.reason for d in dead), [d.reason for d in dead]
