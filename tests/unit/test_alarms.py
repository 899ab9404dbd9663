"""Alarm changes become report Events, and through cases.model.apply, alarm cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases.alarms import FEED, Station, alarm_event, kind_name
from cases.model import Siting, apply
from cases.telemetry import Reading, observe

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
GATE = Station("璜塘河闸", 120.4, 31.78, "璜塘河")
NOWHERE = Siting(None, 120.4, 31.78, ("outside_town",))


def gauge(minute: int, z: float) -> Reading:
    values = tuple(sorted({"z": z, "wrz": 3.8, "grz": 4.3}.items()))
    return Reading("water:63201234", "river_gauge", T0 + timedelta(minutes=minute), values)


def test_an_alarm_opens_rises_and_clears_as_one_case() -> None:
    state, case = None, None
    applied = []
    for minute, z in enumerate([3.7, 3.9, 4.4, 4.0, 3.7]):
        state, changes = observe(state, gauge(minute, z))
        for change in changes:
            event = alarm_event(change, GATE, change.at)
            result = apply(case, event, NOWHERE, f"{minute + 1}-0")
            assert result is not None
            case, kind = result
            applied.append((kind, case.status, case.severity))
    assert applied == [("created", "open", 2), ("updated", "open", 3), ("closed", "closed", 3)]
    assert case is not None
    assert case.id == "alarm:water:63201234:z:20261128T010100Z"
    assert case.feed == FEED and case.category == "river_gauge"
    assert case.title == "璜塘河闸 超保证水位"
    assert case.reported_at == T0 + timedelta(minutes=1), "reported when the river rose"


def test_the_same_change_always_gives_the_same_event() -> None:
    _, changes = observe(None, gauge(0, 3.9))
    first, again = (alarm_event(changes[0], GATE, T0) for _ in range(2))
    assert first == again and first.id.startswith("alarm:water:63201234:z:")


def test_alarm_kinds_have_chinese_and_english_names() -> None:
    assert kind_name("surface-water-class-iii:COD") == (
        "水质超III类",
        "Surface water worse than class III",
    )
    assert kind_name("no-data")[0] == "站点无数据"
    assert kind_name("something-new") == ("something-new", "something-new")
