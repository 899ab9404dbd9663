from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from core.event import DeadLetter, Event
from tests.support import adapters

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)
AIR: dict[str, Any] = {
    "station": "AQ-03", "type": "air", "ts": "2026-11-28T09:00:00+08:00", "lon": 120.381,
    "lat": 31.792, "values": {"PM2.5": 78, "PM10": 120, "O3": 45, "AQI": 105},
}  # fmt: skip
WATER: dict[str, Any] = {
    "station": "WQ-01", "type": "water", "ts": "2026-11-28T09:00:00+08:00", "lon": 120.402,
    "lat": 31.770, "values": {"COD": 18.2, "NH3N": 0.9, "pH": 7.4, "DO": 5.1},
}  # fmt: skip
COMPLAINT: dict[str, Any] = {
    "tsbh": "12369-320281-20261128-0017", "tslx": "噪声",
    "nr": "星岸社区旁工地夜间22点后仍在打桩", "dz": "星岸社区星岸路18号东侧工地",
    "lon": 120.4302, "lat": 31.7994, "tssj": "2026-11-28 08:40:00",
}  # fmt: skip


def parse(payload: Any, at: datetime = NOW) -> list[Event | DeadLetter]:
    return adapters.parse("environment", payload, at)


def one_event(payload: Any) -> Event:
    return adapters.one_event("environment", payload)


def one_dead(payload: Any) -> DeadLetter:
    [dead] = parse(payload)
    assert isinstance(dead, DeadLetter), dead
    return dead


def test_air_telemetry() -> None:
    event = one_event(AIR)
    assert (event.kind, event.category, event.source_id) == ("telemetry", "air_quality", "AQ-03")
    assert event.attrs == {
        "station": "AQ-03",
        "station_type": "air",
        "values": {"PM2.5": 78.0, "PM10": 120.0, "O3": 45.0, "AQI": 105.0},
    }
    assert event.occurred_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert (event.lon, event.lat, event.source_crs) == (120.381, 31.792, "WGS84")
    assert event.description == "PM2.5 78, PM10 120, O3 45, AQI 105"
    assert event.severity == 1  # thresholds are the engine's, not the adapter's


def test_water_telemetry_keeps_unknown_value_names() -> None:
    event = one_event({**WATER, "type": "Water", "values": {**WATER["values"], "水温": 11.8}})
    assert event.category == "water_quality"
    assert event.attrs["station_type"] == "water"
    assert event.attrs["values"]["水温"] == 11.8


def test_telemetry_time_without_a_zone_is_beijing() -> None:
    event = one_event({**AIR, "ts": "2026-11-28 09:00:00"})
    assert event.occurred_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "category"),
    [("噪声", "noise"), ("废气", "exhaust_gas"), ("废水", "wastewater"), ("固废", "solid_waste")],
)
def test_complaints(kind: str, category: str) -> None:
    event = one_event({**COMPLAINT, "tslx": kind})
    assert (event.kind, event.category, event.source_id) == ("report", category, COMPLAINT["tsbh"])
    assert event.attrs == {"channel": "12369", "complaint_type": kind}
    assert event.occurred_at == datetime(2026, 11, 28, 0, 40, tzinfo=UTC)
    assert (event.description, event.address) == (COMPLAINT["nr"], COMPLAINT["dz"])


def test_an_unknown_complaint_type_is_kept_as_other_and_flagged() -> None:
    event = one_event({**COMPLAINT, "tslx": "辐射"})
    assert event.category == "other" and event.attrs["unmapped_category"] is True


def test_a_complaint_without_coordinates_is_kept_unplaced() -> None:
    record = {k: v for k, v in COMPLAINT.items() if k not in ("lon", "lat")}
    event = one_event(record)
    assert (event.lon, event.lat, event.source_crs) == (None, None, None)
    assert "only one of lon/lat" in one_dead({**record, "lon": 120.43}).reason


def test_markup_in_a_complaint_stays_plain_text() -> None:
    assert one_event({**COMPLAINT, "nr": "<废油桶> & 铁桶"}).description == "<废油桶> & 铁桶"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": "AQ-05", "data": {"AQI": 88}}, "neither station telemetry"),
        ({**AIR, "tsbh": "12369-1"}, "ambiguous"),
        ({k: v for k, v in AIR.items() if k != "station"}, "missing required field 'station'"),
        ({k: v for k, v in COMPLAINT.items() if k != "tsbh"}, "missing required field 'tsbh'"),
        ({**AIR, "type": "noise"}, "type must be air or water"),
        ({**AIR, "values": {}}, "values"),
        ({**AIR, "values": {"AQI": None}}, "'AQI' is null, not a number"),
        ({**AIR, "values": {"AQI": True}}, "'AQI' is true, not a number"),
        ({**AIR, "values": {"PM2.5": "—"}}, "values.PM2.5"),
        ({**AIR, "values": {"PM2.5": "NaN"}}, "finite"),
        ({**AIR, "values": [78, 120]}, "values"),
        ({**AIR, "lat": 131.79}, "out of range"),
        ({**AIR, "ts": "今天9点"}, "unreadable time"),
        ({**COMPLAINT, "tssj": "2026年11月28日"}, "unreadable time"),
    ],
)
def test_bad_records_are_dead_lettered(record: dict[str, Any], reason: str) -> None:
    dead = one_dead(record)
    assert reason in dead.reason
    assert orjson.loads(dead.raw) == record


def test_a_number_sent_as_text_is_forgiven() -> None:
    assert one_event({**AIR, "values": {"AQI": "105"}}).attrs["values"] == {"AQI": 105.0}


def test_dead_letters_carry_the_key_of_their_shape() -> None:
    assert one_dead({**AIR, "type": "noise"}).source_id == "AQ-03"
    assert one_dead({**COMPLAINT, "tssj": "?"}).source_id == COMPLAINT["tsbh"]


def test_mixed_lines_array_and_unreadable_body() -> None:
    lines = b"\n".join(orjson.dumps(r) for r in (AIR, COMPLAINT, WATER))
    assert [r.source_id for r in parse(lines)] == ["AQ-03", COMPLAINT["tsbh"], "WQ-01"]
    assert [type(r).__name__ for r in parse([AIR, 42, WATER])] == ["Event", "DeadLetter", "Event"]
    [dead] = parse(b'{"station": "AQ-03", ')
    assert isinstance(dead, DeadLetter) and dead.scope == "body"


def test_ids_do_not_depend_on_arrival_and_a_new_reading_gets_a_new_one() -> None:
    [first] = parse(AIR)
    [again] = parse(AIR, NOW + timedelta(hours=2))
    later = one_event({**AIR, "ts": "2026-11-28T10:00:00+08:00"})
    assert isinstance(first, Event) and isinstance(again, Event)
    assert first.id == again.id and later.id != first.id
