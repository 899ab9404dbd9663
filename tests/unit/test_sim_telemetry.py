"""The telemetry simulators' rhythms: the air's day, the rain episode and its warning, the
silent gauge, the scenic spots' day."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from statistics import mean

import pytest
from shapely.geometry import Point, shape

from core.event import Event
from core.times import beijing
from ingest.feeds import FEEDS
from ingest.sim.cap import CapFeed
from ingest.sim.environment import AIR, WATER, EnvironmentFeed, aqi
from ingest.sim.fleet import drive
from ingest.sim.tourism import TourismFeed
from ingest.sim.water import GAUGES, WaterFeed
from layers.town import Town, default_town

MIDNIGHT = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # Thursday 00:00 in Beijing
START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)


def events(feed: str, bodies: list[bytes]) -> list[Event]:
    parsed = [r for body in bodies for r in FEEDS[feed].parse(body, START)]
    assert all(isinstance(r, Event) for r in parsed)
    return [r for r in parsed if isinstance(r, Event)]


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="module")
def environment_day(town: Town) -> list[Event]:
    return events("environment", drive(EnvironmentFeed(town, seed=0), MIDNIGHT, DAY, MINUTE))


def _hours(readings: list[Event], name: str, *spans: tuple[float, float]) -> float:
    def hour(e: Event) -> float:
        local = beijing(e.occurred_at)
        return local.hour + local.minute / 60

    return mean(
        float(e.attrs["values"][name]) for e in readings if any(a <= hour(e) < b for a, b in spans)
    )


def test_air_follows_the_rush_hours_and_ozone_the_afternoon(environment_day: list[Event]) -> None:
    air = [e for e in environment_day if e.attrs.get("station_type") == "air"]
    rush = _hours(air, "AQI", (7.5, 9.0), (17.5, 19.5))
    assert rush > _hours(air, "AQI", (13.0, 15.0)) + 20
    assert rush > _hours(air, "AQI", (3.0, 5.0)) + 20
    assert _hours(air, "O3", (14.0, 16.0)) > 2 * _hours(air, "O3", (3.0, 5.0))


def test_aqi_breaches_are_rare_episodes(environment_day: list[Event]) -> None:
    runs, breached, total = 0, 0, 0
    for station in AIR:
        readings = sorted(
            (e for e in environment_day if e.source_id == station), key=lambda e: e.occurred_at
        )
        assert len(readings) == 24 * 60, "one reading per station per interval"
        over = [e.attrs["values"]["AQI"] > 150 for e in readings]
        runs += sum(1 for i, o in enumerate(over) if o and (i == 0 or not over[i - 1]))
        breached, total = breached + sum(over), total + len(over)
    assert 1 <= runs <= 10, "a few breaches a day"
    assert breached / total < 0.05


def test_aqi_is_computed_from_the_pollutants() -> None:
    assert aqi({"PM2.5": 115, "PM10": 50, "O3": 20}) == 150
    assert aqi({"PM2.5": 20, "PM10": 250, "O3": 20}) == 150
    assert aqi({"PM2.5": 10, "PM10": 10, "O3": 10}) < 50


def test_water_quality_sits_near_class_iii_with_rare_breaches(
    environment_day: list[Event],
) -> None:
    water = [e.attrs["values"] for e in environment_day if e.attrs.get("station_type") == "water"]
    assert len(water) == len(WATER) * 24 * 60
    breaches = [v for v in water if v["COD"] > 20 or v["NH3N"] > 1.0 or v["DO"] < 5]
    assert 0 < len(breaches) < 0.1 * len(water)
    assert 15 < mean(v["COD"] for v in water) < 20
    assert all(6 <= v["pH"] <= 9 for v in water)


def test_stations_stay_put_and_complaints_come_now_and_then(
    environment_day: list[Event], town: Town
) -> None:
    points = defaultdict(set)
    for e in environment_day:
        if e.kind == "telemetry":
            points[e.source_id].add((e.lon, e.lat))
    assert sorted(points) == sorted(AIR + WATER)
    assert all(len(p) == 1 for p in points.values())
    complaints = [e for e in environment_day if e.kind == "report"]
    assert 3 <= len(complaints) <= 30
    assert any(e.lon is None for e in complaints), "some are taken by phone, without a point"


@pytest.fixture(scope="module")
def flood() -> list[Event]:
    sim = WaterFeed(seed=1, backfill_span=timedelta(minutes=30))
    return events("water", drive(sim, START, timedelta(hours=2), MINUTE))


def test_the_rain_episode_lifts_a_river_past_its_warning_level_then_it_recedes(
    flood: list[Event],
) -> None:
    rain_starts, rain_ends = START + timedelta(minutes=5), START + timedelta(minutes=35)
    gate = sorted((e for e in flood if e.source_id == GAUGES[0].stcd), key=lambda e: e.occurred_at)
    z = [e.attrs["z"] for e in gate]
    wrz, grz = gate[0].attrs["wrz"], gate[0].attrs["grz"]
    assert all(e.attrs["z"] < wrz for e in gate if e.occurred_at <= rain_starts)
    peak = max(range(len(z)), key=z.__getitem__)
    assert wrz <= z[peak] < grz
    assert rain_starts < gate[peak].occurred_at <= rain_ends + timedelta(minutes=10)
    assert z[-1] < wrz and z[-1] < z[peak] - 0.4, "the river recedes after the rain"
    rain = [e.attrs["drp"] for e in gate if rain_starts < e.occurred_at <= rain_ends]
    assert min(rain) >= 0 and sum(rain) > 40
    assert all(e.attrs["drp"] == 0 for e in gate if not rain_starts < e.occurred_at <= rain_ends)


def test_one_gauge_falls_silent_for_a_stretch(flood: list[Event]) -> None:
    def gaps(stcd: str) -> list[timedelta]:
        times = sorted(e.occurred_at for e in flood if e.source_id == stcd)
        return [b - a for a, b in pairwise(times) if b - a > MINUTE]

    silent = GAUGES[2].stcd
    assert gaps(silent) == [timedelta(minutes=21)], "silent from minute 15 to 35"
    assert gaps(silent)[0] > 3 * MINUTE, "long enough to read as no data"
    assert all(gaps(g.stcd) == [] for g in GAUGES if g.stcd != silent)


def test_the_rainstorm_warning_is_issued_upgraded_and_lifted(town: Town) -> None:
    sim = CapFeed(town)
    bodies = drive(sim, START, timedelta(hours=1), MINUTE)
    alerts = events("cap", bodies)
    assert [a.attrs["msgType"] for a in alerts] == ["Alert", "Update", "Cancel"]
    assert [beijing(a.occurred_at).strftime("%H:%M") for a in alerts] == ["09:05", "09:20", "09:35"]
    assert [a.severity for a in alerts] == [2, 3, 1]
    first, update, cancel = alerts
    assert [r["identifier"] for r in update.attrs["references"]] == [first.attrs["identifier"]]
    assert len(cancel.attrs["references"]) == 2
    assert first.attrs["gb35965"]["region"] == "320281"
    area = shape(first.attrs["geometry"])
    assert area.contains(Point(town.centre)) and area.contains(town.boundary)
    assert b"<polygon>31." in bodies[0], "CAP writes latitude first"


def test_scenic_spots_fill_by_day_and_empty_at_night(town: Town) -> None:
    counts = events("tourism", drive(TourismFeed(town, seed=2), MIDNIGHT, DAY, MINUTE))
    by_hour: dict[int, list[int]] = defaultdict(list)
    for e in counts:
        by_hour[beijing(e.occurred_at).hour].append(e.attrs["in_park"])
        assert e.attrs["in_park"] <= e.attrs["arrivals_today"]
    assert all(max(by_hour[h]) == 0 for h in (*range(0, 8), *range(18, 24)))
    busiest = max(range(24), key=lambda h: mean(by_hour[h]))
    assert 10 <= busiest <= 15
    assert all("in_park_above_arrivals" not in e.attrs for e in counts)
