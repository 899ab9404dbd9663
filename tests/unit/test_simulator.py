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


def test_the_source_voids_a_few_reports_and_leaves_the_rest_to_the_centre(town: Town) -> None:
    sim = UrbanSimulator(town.boundary, town.centre, seed=2)
    records = [sim.new_record(NOW) for _ in range(2000)]
    assert sim.due_updates(NOW) == []
    later = sim.due_updates(NOW + timedelta(hours=1))
    assert {u["zt"] for u in later} == {"已作废"}  # the staff accept, handle and close the rest
    assert 0.015 < len(later) / len(records) < 0.05
    assert {u["ajbh"] for u in later} <= {r["ajbh"] for r in records}


def test_case_numbers_are_unique(town: Town) -> None:
    sim = UrbanSimulator(town.boundary, town.centre, seed=3, first_number=500)
    numbers = [sim.new_record(NOW)["ajbh"] for _ in range(100)]
    assert len(set(numbers)) == 100
    assert numbers[0] == "DCM-20261128-000500"


def test_the_feed_backfills_the_last_minutes_and_ticks_at_its_rate(town: Town) -> None:
    sim = UrbanSimulator(town.boundary, town.centre, seed=4)
    feed = UrbanFeed(sim, backfill_span=timedelta(minutes=10), rate=2.0)
    records = [r for body in feed.backfill(NOW) for r in orjson.loads(body)]
    new = [r for r in records if r["zt"] == "待受理"]
    assert 1000 < len(new) < 1400  # 2/s for 600 s
    assert any(r["zt"] == "已作废" for r in records), "updates due since are sent too"
    ticked = [r for _ in range(100) for body in feed.tick(NOW, 1.0) for r in orjson.loads(body)]
    assert 150 < len([r for r in ticked if r["zt"] == "待受理"]) < 250


def test_by_default_the_feed_follows_a_towns_day_and_week(town: Town) -> None:
    """A few hundred reports a day, most in the day shifts, fewer at the weekend."""
    feed = UrbanFeed(UrbanSimulator(town.boundary, town.centre, seed=5))
    monday = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Beijing midnight, Monday 1 December

    def reports(start: datetime, hours: float) -> list[datetime]:
        bodies = feed.tick(start + timedelta(hours=hours), hours * 3600)
        new = [r for b in bodies for r in orjson.loads(b) if r["zt"] == "待受理"]
        return [datetime.fromisoformat(r["sbsj"]) for r in new]

    weekday = reports(monday, 24)
    saturday = reports(monday + timedelta(days=5), 24)
    assert 250 < len(weekday) < 400
    assert len(saturday) < 0.9 * len(weekday)
    day_shift = sum(7 <= t.hour < 19 for t in weekday)
    assert day_shift > 0.75 * len(weekday)
    assert sorted(weekday) == weekday, "a body's reports are in the order they were made"
