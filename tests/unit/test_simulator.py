from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import shapely

from core.event import Event
from ingest.feeds.urban import ADAPTER
from ingest.sim.urban import UrbanFeed, UrbanSimulator
from layers.town import Town, default_town

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="module")
def events(town: Town) -> list[Event]:
    sim = UrbanSimulator(town.boundary, town.centre, seed=1)
    records = [sim.new_record(NOW) for _ in range(2000)]
    parsed = list(ADAPTER.parse(orjson.dumps(records), NOW))
    assert all(isinstance(e, Event) for e in parsed), "the simulator sends only valid records"
    return [e for e in parsed if isinstance(e, Event)]


def test_every_point_is_in_the_town_and_the_centre_is_denser(
    town: Town, events: list[Event]
) -> None:
    lon = [e.lon for e in events]
    lat = [e.lat for e in events]
    assert shapely.contains_xy(town.boundary.buffer(1e-6), lon, lat).all()
    near = sum(
        abs(e.lon - town.centre[0]) < 0.015 and abs(e.lat - town.centre[1]) < 0.012 for e in events
    )  # type: ignore[operator]
    box = (0.03 * 0.024) / ((town.bbox[2] - town.bbox[0]) * (town.bbox[3] - town.bbox[1]))
    assert near / len(events) > 3 * box, "the town centre should see several times its area share"


def test_category_frequencies_look_like_a_real_town(events: list[Event]) -> None:
    counts = Counter(e.category for e in events)
    top = {c for c, _ in counts.most_common(3)}
    assert top == {"parking", "street_vending", "exposed_garbage"}
    assert counts["manhole_cover"] < counts["parking"] / 20
    assert "other" not in counts


def test_a_realistic_share_of_gcj02(events: list[Event]) -> None:
    share = Counter(e.source_crs for e in events)["GCJ02"] / len(events)
    assert 0.15 < share < 0.5


def test_updates_follow_their_case(town: Town) -> None:
    sim = UrbanSimulator(town.boundary, town.centre, seed=2)
    record = sim.new_record(NOW)
    assert sim.due_updates(NOW) == []
    later = sim.due_updates(NOW + timedelta(hours=3))
    assert [u["zt"] for u in later] == ["已受理", "已结案"]
    assert {u["ajbh"] for u in later} == {record["ajbh"]}


def test_case_numbers_are_unique(town: Town) -> None:
    sim = UrbanSimulator(town.boundary, town.centre, seed=3, first_number=500)
    numbers = [sim.new_record(NOW)["ajbh"] for _ in range(100)]
    assert len(set(numbers)) == 100
    assert numbers[0] == "DCM-20261128-000500"


def test_the_feed_backfills_the_last_minutes_and_ticks_at_its_rate(town: Town) -> None:
    feed = UrbanFeed(UrbanSimulator(town.boundary, town.centre, seed=4), 2.0, timedelta(minutes=10))
    records = [r for body in feed.backfill(NOW) for r in orjson.loads(body)]
    new = [r for r in records if r["zt"] == "待受理"]
    assert 1000 < len(new) < 1400  # 2/s for 600 s
    assert any(r["zt"] == "已受理" for r in records), "updates due since are sent too"
    ticked = [r for _ in range(100) for body in feed.tick(NOW, 1.0) for r in orjson.loads(body)]
    assert 150 < len([r for r in ticked if r["zt"] == "待受理"]) < 250
