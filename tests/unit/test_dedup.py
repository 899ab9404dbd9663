"""The engine's duplicate decision over a batch: cases.dedup.Pool."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.dedup import Pool, as_report, near_point
from cases.duplicates import GEOD
from cases.model import Case, Place, Siting, apply
from core.event import Event

T0 = datetime(2026, 11, 28, 1, 12, tzinfo=UTC)
HERE = Siting(Place("XXK-01-01", "一网格", "XXK-01", "甲村"), 120.4, 31.78)
METRE = 1 / 111_320  # about a metre of longitude, of latitude rather less: fine for tests


def case(n: int, category: str = "parking", metres: float = 0.0, minutes: float = 0.0,
         feed: str = "urban") -> Case:  # fmt: skip
    values = {
        "id": f"{feed}:R{n}:x", "feed": feed, "kind": "report", "source_id": f"R{n}",
        "category": category, "title": "t", "description": "d",
        "occurred_at": T0 + timedelta(minutes=minutes), "received_at": T0,
        "lon": 120.4 + metres * METRE, "lat": 31.78, "raw": "{}",
    }  # fmt: skip
    event = Event.from_json(orjson.dumps(values))
    siting = replace(HERE, lon=event.lon, lat=event.lat)
    result = apply(None, event, siting, f"{n + 1}-0")
    assert result is not None
    return result[0]


def parents(new: list[Case], candidates: dict[str, Case]) -> dict[str, str]:
    """New case id → its parent's id, deciding in order as the engine does."""
    pool, current = Pool(), dict[str, Case | None](candidates)
    pool.offer(candidates.values())
    found = {}
    for case in new:
        if (parent := pool.parent_of(case, current)) is not None:
            found[case.id] = parent.id
        else:
            current[case.id] = case
            pool.offer([case])
    return found


def test_a_second_parking_report_nearby_joins_the_first() -> None:
    first, second = case(1), case(2, metres=10, minutes=5)
    assert parents([second], {first.id: first}) == {second.id: first.id}


def test_too_far_too_late_or_another_category_is_a_case_of_its_own() -> None:
    first = case(1)
    others = [case(2, metres=80), case(3, minutes=90), case(4, category="street_vending")]
    assert parents(others, {first.id: first}) == {}


def test_within_a_batch_the_first_is_the_parent_of_the_rest() -> None:
    batch = [case(1), case(2, metres=5), case(3, metres=8, minutes=1)]
    assert parents(batch, {}) == {batch[1].id: batch[0].id, batch[2].id: batch[0].id}


def test_closed_merged_alarm_and_never_merged_cases_are_no_parents() -> None:
    first = case(1)
    closed = replace(first, status="closed")
    merged = replace(first, parent="urban:R0")
    assert parents([case(2, metres=3)], {first.id: closed}) == {}
    assert parents([case(2, metres=3)], {first.id: merged}) == {}
    alarms = [case(5, category="river_gauge", feed="alarm"), case(6, "river_gauge", feed="alarm")]
    assert parents(alarms, {}) == {}
    disputes = [case(7, category="dispute"), case(8, category="dispute", metres=1)]
    assert parents(disputes, {}) == {}


def test_a_point_taken_from_the_grid_is_no_point_to_compare() -> None:
    first, second = case(1), case(2)
    centroid = replace(second, flags=("location_from_grid",))
    assert as_report(centroid) is None and near_point(centroid) is None
    assert parents([centroid], {first.id: first}) == {}
    assert near_point(first) == (first.lon, first.lat)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-80, 80),
    lon=st.floats(-179, 179),
    azimuth=st.floats(0, 360),
    share=st.floats(0.0, 0.995),
)
def test_a_report_within_the_radius_finds_its_parent_whatever_band_it_falls_in(
    lat: float, lon: float, azimuth: float, share: float
) -> None:
    first = replace(case(1), lon=lon, lat=lat)
    to_lon, to_lat, _ = GEOD.fwd(lon, lat, azimuth, 30.0 * share)  # parking: 30 m
    second = replace(case(2, minutes=5), lon=float(to_lon), lat=float(to_lat))
    assert parents([second], {first.id: first}) == {second.id: first.id}
    far_lon, far_lat, _ = GEOD.fwd(lon, lat, azimuth, 30.5)
    third = replace(case(3, minutes=5), lon=float(far_lon), lat=float(far_lat))
    assert parents([third], {first.id: first}) == {}
