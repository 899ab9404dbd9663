from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from core.event import DeadLetter, Event
from tests.support import adapters

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "stcd": "63201234", "stnm": "璜塘河闸", "tm": "2026-11-28 09:00",
    "z": 3.42, "wrz": 3.80, "grz": 4.30, "drp": 2.5,
}  # fmt: skip


def parse(payload: Any, at: datetime = NOW) -> list[Event | DeadLetter]:
    return adapters.parse("water", payload, at)


def one_event(payload: Any) -> Event:
    return adapters.one_event("water", payload)


def without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k not in keys}


def test_the_contract_example() -> None:
    event = one_event(GOOD)
    assert (event.feed, event.kind, event.category) == ("water", "telemetry", "river_gauge")
    assert (event.source_id, event.title) == ("63201234", "璜塘河闸")
    assert event.attrs == {
        "station": "63201234", "name": "璜塘河闸", "z": 3.42, "wrz": 3.8, "grz": 4.3, "drp": 2.5,
    }  # fmt: skip
    assert event.occurred_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    assert event.description == "z 3.42 m, wrz 3.8 m, grz 4.3 m, drp 2.5 mm"


def test_a_gauge_has_no_point_until_the_station_registry() -> None:
    event = one_event(GOOD)
    assert (event.lon, event.lat, event.source_crs) == (None, None, None)


def test_a_rain_gauge_and_a_level_gauge_without_thresholds() -> None:
    rain = one_event({"stcd": "63241120", "stnm": "霞客雨量站", "tm": "2026-11-28 09:00", "drp": 0})
    no_level = {"z": None, "wrz": None, "grz": None}
    assert rain.attrs == {"station": "63241120", "name": "霞客雨量站", **no_level, "drp": 0.0}
    level = one_event(without("wrz", "grz", "drp", "stnm"))
    assert (level.attrs["z"], level.attrs["wrz"], level.title) == (3.42, None, "63201234")


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({"wrz": 4.5}, False),
        ({"wrz": 4.3}, True),
        ({"wrz": 4.5, "grz": None}, True),
        ({"z": 4.6}, True),  # above both: an alarm for the engine, not a bad record
    ],
)
def test_the_warning_level_must_not_exceed_the_guaranteed_level(
    changes: dict[str, Any], ok: bool
) -> None:
    [result] = parse({**GOOD, **changes})
    assert isinstance(result, Event) is ok
    if isinstance(result, DeadLetter):
        assert "wrz 4.5 is above guaranteed level grz 4.3" in result.reason


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (without("z", "drp"), "has neither"),
        ({**GOOD, "z": None, "drp": None}, "has neither"),
        ({**GOOD, "drp": -0.5}, "drp"),
        ({**GOOD, "z": "NaN"}, "'z'"),
        ({**GOOD, "z": "高"}, "'z'"),
        (without("tm"), "missing required field 'tm'"),
        ({**GOOD, "tm": "9点"}, "unreadable time"),
        (without("stcd"), "missing required field 'stcd'"),
        ({**GOOD, "stcd": True}, "stcd"),
    ],
)
def test_bad_readings_are_dead_lettered(record: dict[str, Any], reason: str) -> None:
    [dead] = parse(record)
    assert isinstance(dead, DeadLetter)
    assert reason in dead.reason
    assert orjson.loads(dead.raw) == record


def test_a_numeric_station_code_is_read_as_text() -> None:
    assert one_event({**GOOD, "stcd": 63201234}).source_id == "63201234"


def test_array_and_lines() -> None:
    second = {**GOOD, "stcd": "63201301", "stnm": "东横河霞客站"}
    assert [r.source_id for r in parse([GOOD, second])] == ["63201234", "63201301"]
    lines = orjson.dumps(GOOD) + b"\n" + orjson.dumps(second)
    assert [r.source_id for r in parse(lines)] == ["63201234", "63201301"]


def test_ids_are_stable_and_each_reading_is_its_own_event() -> None:
    [first] = parse(GOOD)
    [again] = parse(GOOD, NOW + timedelta(days=1))
    later = one_event({**GOOD, "tm": "2026-11-28 10:00", "z": 3.47})
    assert isinstance(first, Event) and isinstance(again, Event)
    assert first.id == again.id and later.id != first.id
    assert later.source_id == first.source_id
