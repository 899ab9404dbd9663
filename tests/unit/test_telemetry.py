"""Telemetry alarms: thresholds, hysteresis, escalation in place, silent stations, old readings."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.telemetry import (
    NO_DATA,
    THRESHOLDS_FILE,
    Alarm,
    AlarmChange,
    Reading,
    Rules,
    StationState,
    alarm_id,
    observe,
    reading_of,
    silence,
    silent_at,
    thresholds,
)
from core.event import Event
from ingest.feeds import FEEDS
from ingest.sim.fleet import drive
from ingest.sim.water import GAUGES, WaterFeed
from tests.support import adapters

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
MINUTE = timedelta(minutes=1)
GATE = "water:63201234"
AIR = "environment:AQ-03"
WQ = "environment:WQ-01"
WATER_RECORD: dict[str, Any] = {
    "stcd": "63201234", "stnm": "璜塘河闸", "tm": "2026-11-28 09:00",
    "z": 3.42, "wrz": 3.80, "grz": 4.30, "drp": 2.5,
}  # fmt: skip


def reading(station: str, category: str, minutes: float, **values: float | None) -> Reading:
    numbers = tuple(sorted((k, float(v)) for k, v in values.items() if v is not None))
    return Reading(station, category, T0 + minutes * MINUTE, numbers)


def gauge(
    minutes: float, z: float | None, wrz: float | None = 3.8, grz: float | None = 4.3
) -> Reading:
    return reading(GATE, "river_gauge", minutes, z=z, wrz=wrz, grz=grz)


def air(minutes: float, aqi: float) -> Reading:
    return reading(AIR, "air_quality", minutes, AQI=aqi)


def run(
    readings: Iterable[Reading], state: StationState | None = None, rules: Rules | None = None
) -> tuple[StationState | None, list[AlarmChange]]:
    changes: list[AlarmChange] = []
    for one in readings:
        state, more = observe(state, one, rules)
        changes += more
    return state, changes


def actions(changes: list[AlarmChange]) -> list[tuple[str, str, int]]:
    return [(c.action, c.alarm.kind, c.alarm.severity) for c in changes]


def edited(tmp_path: Path, edit: Callable[[dict[str, Any]], object]) -> Path:
    """A copy of the shipped thresholds with one edit."""
    data = json.loads(THRESHOLDS_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# ---- readings from events --------------------------------------------------------------------


def test_a_gauge_reading_keeps_its_levels_beside_the_water_level() -> None:
    event = adapters.one_event("water", WATER_RECORD)
    got = reading_of(event)
    assert got is not None
    assert (got.station, got.category, got.at) == (GATE, "river_gauge", T0)
    assert dict(got.values) == {"z": 3.42, "wrz": 3.8, "grz": 4.3, "drp": 2.5}
    rain_only = {"stcd": "63241120", "tm": "2026-11-28 09:00", "drp": 0}
    rain = reading_of(adapters.one_event("water", rain_only))
    assert rain is not None and dict(rain.values) == {"drp": 0.0}


def test_a_station_reading_uses_its_values_and_a_complaint_is_no_reading() -> None:
    values = {"COD": 18.2, "NH3N": 0.9, "pH": 7.4}
    record = {"station": "WQ-01", "type": "water", "ts": "2026-11-28T09:00:00+08:00",
              "lon": 120.402, "lat": 31.77, "values": values}  # fmt: skip
    got = reading_of(adapters.one_event("environment", record))
    assert got is not None
    assert (got.station, got.category) == (WQ, "water_quality")
    assert dict(got.values) == values
    complaint = {"tsbh": "12369-1", "tslx": "噪声", "tssj": "2026-11-28 08:40:00"}
    assert reading_of(adapters.one_event("environment", complaint)) is None


# ---- thresholds and hysteresis ---------------------------------------------------------------


def test_a_river_over_its_warning_level_escalates_in_place_and_clears_below_the_band() -> None:
    state, changes = run(gauge(m, z) for m, z in enumerate([3.70, 3.80, 4.00, 4.30, 4.10, 3.78]))
    assert actions(changes) == [("opened", "river-over-warning", 2),
                                ("escalated", "river-over-guaranteed", 3)]  # fmt: skip
    opened, escalated = changes
    assert opened.alarm.id == escalated.alarm.id == "alarm:water:63201234:z:20261128T010100Z"
    assert (opened.at, opened.value) == (T0 + MINUTE, 3.8)
    assert (opened.alarm.limit, opened.alarm.clear) == (3.8, 3.75), "clears at wrz - 0.05 m"
    assert escalated.alarm.limit == 4.3 and escalated.alarm.opened_at == T0 + MINUTE
    assert "z 4.3 m >= guaranteed limit 4.3 m" in escalated.reason
    assert state is not None and state.alarm("z") == escalated.alarm, "no easing down while open"
    state, more = run([gauge(6, 3.76), gauge(7, 3.75)], state)
    assert [(c.action, c.alarm.id, c.value) for c in more] == [("cleared", opened.alarm.id, 3.75)]
    assert state is not None and state.alarms == ()


def test_a_breach_straight_over_the_guaranteed_level_opens_at_it() -> None:
    _, changes = run([gauge(0, 3.5), gauge(1, 4.35)])
    assert actions(changes) == [("opened", "river-over-guaranteed", 3)]


def test_the_gauges_own_levels_win_and_the_stations_override_stands_in(tmp_path: Path) -> None:
    def override(data: dict[str, Any]) -> None:
        data["stations"][GATE] = {"metrics": {"z": {"limits": {"warning": 3.9}, "band": 0.2}}}

    rules = thresholds(edited(tmp_path, override))
    _, changes = run([gauge(0, 3.85)], rules=rules)
    assert actions(changes) == [("opened", "river-over-warning", 2)], "the record's wrz 3.8 wins"
    assert changes[0].alarm.clear == 3.6, "with the station's band"
    _, changes = run([gauge(0, 3.85, wrz=None), gauge(1, 3.9, wrz=None)], rules=rules)
    assert [(c.action, c.at, c.alarm.limit) for c in changes] == [("opened", T0 + MINUTE, 3.9)]


def test_the_files_example_of_a_stations_own_settings_is_valid(tmp_path: Path) -> None:
    def use_example(data: dict[str, Any]) -> None:
        data["stations"]["water:63201251"] = data["stations"]["_example"]

    rules = thresholds(edited(tmp_path, use_example))
    assert rules.window("water:63201251", "river_gauge") == timedelta(hours=3)
    assert thresholds().window("water:63201251", "river_gauge") == timedelta(minutes=15)


def test_a_gauge_with_no_levels_anywhere_never_alarms_and_a_rain_gauge_is_not_judged() -> None:
    _, changes = run([gauge(0, 9.9, wrz=None, grz=None), reading(GATE, "river_gauge", 1, drp=80)])
    assert changes == []
    state, _ = run([gauge(0, 3.9)])
    state, changes = run([reading(GATE, "river_gauge", 1, drp=30.0)], state)
    assert changes == [] and state is not None and state.alarm("z") is not None, "kept as is"


def test_aqi_over_150_alarms_over_200_is_severe_and_clears_at_140() -> None:
    state, changes = run(air(m, v) for m, v in enumerate([150, 151, 201, 180, 145, 141]))
    assert actions(changes) == [("opened", "aqi", 2), ("escalated", "aqi", 3)]
    _, more = run([air(9, 140)], state)
    assert actions(more) == [("cleared", "aqi", 3)]


def test_surface_water_class_iii_limits_each_their_own_alarm() -> None:
    wq = "water_quality"
    state, changes = run([reading(WQ, wq, 0, COD=21, DO=4.9, pH=7.0, **{"NH3-N": 1.2})])
    assert sorted(c.alarm.kind.split(":")[1] for c in changes) == ["COD", "DO", "NH3N"]
    assert {c.alarm.kind.split(":")[0] for c in changes} == {"surface-water-class-iii"}
    assert len({c.alarm.id for c in changes}) == 3
    state, changes = run([reading(WQ, wq, 1, COD=19.5, DO=5.1, pH=5.9)], state)
    assert actions(changes) == [("opened", "surface-water-class-iii:pH", 2)], "COD, DO in band"
    state, changes = run([reading(WQ, wq, 2, COD=19, DO=5.2, pH=9.5)], state)
    assert sorted((c.action, c.alarm.metric) for c in changes) == [
        ("cleared", "COD"),
        ("cleared", "DO"),
        ("cleared", "pH-low"),
        ("opened", "pH-high"),
    ]
    assert state is not None and [a.metric for a in state.alarms] == ["NH3N", "pH-high"]


def test_an_alarm_whose_rule_left_the_file_clears_on_the_next_reading(tmp_path: Path) -> None:
    state, _ = run([air(0, 180)])
    rules = thresholds(edited(tmp_path, lambda d: d["metrics"].pop("air_quality")))
    state, changes = run([air(1, 180)], state, rules)
    assert [(c.action, c.reason) for c in changes] == [("cleared", "no rule any more")]


# ---- order, identity, state ------------------------------------------------------------------


def test_an_older_or_repeated_reading_changes_nothing() -> None:
    state, _ = run([gauge(0, 3.5), gauge(10, 3.9)])
    for late in (gauge(5, 3.0), gauge(10, 3.0), gauge(9, 4.5)):
        after, changes = observe(state, late)
        assert (after, changes) == (state, [])


def test_times_must_be_aware_and_states_belong_to_their_station() -> None:
    naive = Reading(GATE, "river_gauge", datetime(2026, 11, 28, 9), (("z", 3.0),))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        observe(None, naive)
    state, _ = run([gauge(0, 3.0)])
    with pytest.raises(ValueError, match="given the state of"):
        observe(state, air(1, 50))
    assert state is not None
    with pytest.raises(ValueError, match="naive"):
        silence(state, datetime(2026, 11, 28, 12))  # noqa: DTZ001


def test_the_alarm_id_is_utc_whatever_the_zone_given() -> None:
    beijing = T0.astimezone(timezone(timedelta(hours=8)))
    assert alarm_id(GATE, "z", beijing) == "alarm:water:63201234:z:20261128T010000Z"
    fine = T0 + timedelta(microseconds=250)
    assert alarm_id(GATE, "z", fine) == "alarm:water:63201234:z:20261128T010000.000250Z"


def test_the_state_round_trips_through_json() -> None:
    state, changes = run([gauge(0, 3.9), gauge(1, 4.4)])
    assert state is not None
    state, silent = silence(state, T0 + timedelta(hours=1))
    assert len(state.alarms) == 2
    assert StationState.from_json(state.to_json()) == state
    assert StationState.from_json(StationState(AIR, "air_quality").to_json()).last_at is None
    as_dict = (changes + silent)[0].to_dict()
    assert as_dict["alarm"]["opened_at"] == "2026-11-28T01:00:00+00:00"
    assert orjson.loads(orjson.dumps(as_dict)) == as_dict


# ---- silent stations -------------------------------------------------------------------------


def test_a_silent_gauge_raises_no_data_once_and_the_next_reading_clears_it() -> None:
    state, _ = run([gauge(0, 3.5)])
    assert state is not None
    window = 3 * 5 * MINUTE  # river gauges: every 5 minutes, × 3
    assert silent_at(state) == T0 + window
    assert silence(state, T0 + window) == (state, []), "silent for longer than, not as long as"
    state, changes = silence(state, T0 + window + timedelta(seconds=1))
    [opened] = changes
    assert (opened.action, opened.alarm.kind, opened.alarm.severity) == ("opened", "no-data", 2)
    assert opened.alarm.id == "alarm:water:63201234:no-data:20261128T011500Z"
    assert opened.at == opened.alarm.opened_at == T0 + window
    assert silent_at(state) is None
    assert silence(state, T0 + timedelta(hours=5)) == (state, []), "once"
    late, changes = observe(state, gauge(-1, 3.5))
    assert (late, changes) == (state, []), "an old reading proves nothing"
    state, changes = observe(state, gauge(20, 3.5))
    assert [(c.action, c.alarm.id) for c in changes] == [("cleared", opened.alarm.id)]
    assert silent_at(state) == T0 + 20 * MINUTE + window


def test_the_no_data_alarm_is_the_same_whenever_the_engine_looks() -> None:
    state, _ = run([air(0, 50)])
    assert state is not None
    first = silence(state, T0 + timedelta(hours=3, seconds=1))
    assert first == silence(state, T0 + timedelta(days=2))
    assert first[1][0].alarm.opened_at == T0 + timedelta(hours=3)


def test_a_stations_own_interval_and_a_category_without_one(tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["stations"][GATE] = {"interval_minutes": 60}
        del data["no_data"]["interval_minutes"]["air_quality"]

    rules = thresholds(edited(tmp_path, edit))
    gate, _ = run([gauge(0, 3.5)], rules=rules)
    assert gate is not None and silent_at(gate, rules) == T0 + timedelta(hours=3)
    station, _ = run([air(0, 50)], rules=rules)
    assert station is not None and silent_at(station, rules) is None
    assert silence(station, T0 + timedelta(days=30), rules) == (station, [])
    assert silent_at(StationState(GATE, "river_gauge")) is None, "never heard from"


# ---- the data file ---------------------------------------------------------------------------


def test_the_shipped_thresholds_are_the_agreed_ones() -> None:
    rules = thresholds()
    aqi = rules.metrics["air_quality"]["AQI"]
    assert (aqi.op, [t.limit for t in aqi.tiers]) == (">", [150, 200])
    wq = rules.metrics["water_quality"]
    assert {k: (m.op, m.tiers[0].limit) for k, m in wq.items() if k in ("COD", "NH3N", "DO")} == {
        "COD": (">", 20), "NH3N": (">", 1.0), "DO": ("<", 5)}  # fmt: skip
    assert (wq["pH-low"].tiers[0].limit, wq["pH-high"].tiers[0].limit) == (6, 9)
    z = rules.metrics["river_gauge"]["z"]
    assert (z.op, [t.limit_from for t in z.tiers]) == (">=", ["wrz", "grz"])
    assert rules.no_data.factor == 3


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["metrics"].update(rivers={}), "unknown categories"),
        (lambda d: d["metrics"]["air_quality"]["AQI"].update(band=0), "greater than 0"),
        (lambda d: d["metrics"]["air_quality"]["AQI"].update(op="=>"), "op"),
        (lambda d: d["metrics"]["air_quality"]["AQI"].update(bands=1), "bands"),
        (lambda d: d["metrics"]["air_quality"]["AQI"]["tiers"][1].update(limit=100), "must rise"),
        (lambda d: d["metrics"]["air_quality"]["AQI"]["tiers"][1].update(name="alarm"), "repeat"),
        (lambda d: d["metrics"]["air_quality"]["AQI"]["tiers"][0].update(severity=5), "severity"),
        (lambda d: d["metrics"]["air_quality"]["AQI"]["tiers"][0].update(limit=True), "limit"),
        (lambda d: d["metrics"]["air_quality"]["AQI"].update(tiers=[]), "tiers"),
        (lambda d: d["no_data"].update(factor=-1), "factor"),
        (
            lambda d: d["stations"].update({GATE: {"metrics": {"z": {"limits": {"alert": 4}}}}}),
            r"no such metric or tier: \['alert'\]",
        ),
        (lambda d: d["stations"].update({GATE: {"metrics": {"Z": {}}}}), "tier: Z"),
        (lambda d: d["stations"].update({"63201234": {"interval_minutes": 5}}), "<feed>:"),
    ],
)
def test_a_mistake_in_the_file_is_refused(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        thresholds(edited(tmp_path, edit))


# ---- properties ------------------------------------------------------------------------------

AQI_VALUES = st.floats(min_value=100, max_value=260, allow_nan=False)


def schmitt(values: list[float], limit: float = 150, clear: float = 140) -> list[str]:
    """The reference: a Schmitt trigger, open above ``limit``, closed at or below ``clear``."""
    is_open, out = False, []
    for v in values:
        if not is_open and v > limit:
            is_open, out = True, [*out, "opened"]
        elif is_open and v <= clear:
            is_open, out = False, [*out, "cleared"]
    return out


@settings(deadline=None)
@given(st.lists(st.floats(min_value=140, max_value=150, exclude_min=True), min_size=1))
def test_no_flapping_inside_the_band(values: list[float]) -> None:
    _, closed = run(air(m, v) for m, v in enumerate(values))
    assert closed == [], "never opens from inside the band"
    _, changes = run(air(m, v) for m, v in enumerate([151.0, *values]))
    assert [c.action for c in changes] == ["opened"], "never clears from inside the band"


@settings(deadline=None)
@given(st.lists(st.floats(min_value=3.75, max_value=4.6, exclude_min=True), min_size=1))
def test_a_river_hovering_at_its_levels_opens_once_escalates_once_and_stays(
    levels: list[float],
) -> None:
    _, changes = run(gauge(m, z) for m, z in enumerate(levels))
    assert [c.action for c in changes] in ([], ["opened"], ["opened", "escalated"])
    _, changes = run(gauge(m, z) for m, z in enumerate([*levels, 3.70]))
    assert [c.action for c in changes].count("cleared") == (1 if max(levels) >= 3.8 else 0)


@settings(deadline=None)
@given(st.lists(st.floats(min_value=5.0, max_value=5.2, exclude_max=True), min_size=1))
def test_dissolved_oxygen_inside_its_band_never_flaps(values: list[float]) -> None:
    _, closed = run(reading(WQ, "water_quality", m, DO=v) for m, v in enumerate(values))
    assert closed == []
    low = [4.0, *values]
    _, changes = run(reading(WQ, "water_quality", m, DO=v) for m, v in enumerate(low))
    assert [c.action for c in changes] == ["opened"]


@settings(deadline=None)
@given(st.lists(AQI_VALUES, max_size=60))
def test_opens_and_clears_follow_the_schmitt_trigger(values: list[float]) -> None:
    _, changes = run(air(m, v) for m, v in enumerate(values))
    assert [c.action for c in changes if c.action != "escalated"] == schmitt(values)
    opened = [c for c in changes if c.action == "opened"]
    assert len({c.alarm.id for c in opened}) == len(opened), "every opening its own case"


@settings(deadline=None)
@given(st.lists(AQI_VALUES, min_size=1, max_size=30).flatmap(
    lambda vs: st.tuples(st.just(vs), st.permutations(range(len(vs))))))  # fmt: skip
def test_late_readings_never_reopen_or_clear(case: tuple[list[float], list[int]]) -> None:
    values, order = case
    newest, records = -1, []
    for i in order:  # what a correct machine may act on: each reading newer than all before it
        if i > newest:
            newest, records = i, [*records, air(i, values[i])]
    state, changes = run(air(i, values[i]) for i in order)
    expected_state, expected = run(records)
    assert (state, changes) == (expected_state, expected)
    _, in_order = run(air(m, v) for m, v in enumerate(values))
    opens = sum(c.action == "opened" for c in changes)
    assert opens <= sum(c.action == "opened" for c in in_order), "reordering never adds an opening"


@settings(deadline=None)
@given(st.lists(st.tuples(AQI_VALUES, st.integers(1, 400)), max_size=25))
def test_every_state_round_trips_and_silence_is_idempotent(steps: list[tuple[float, int]]) -> None:
    state: StationState | None = None
    minutes = 0
    for value, gap in steps:
        minutes += gap
        state, _ = observe(state, air(minutes, value))
        now = T0 + (minutes + gap) * MINUTE
        state, _ = silence(state, now)
        assert silence(state, now) == (state, [])
        assert StationState.from_json(state.to_json()) == state
        assert (state.alarm(NO_DATA) is not None) == (gap * MINUTE > timedelta(hours=3))


# ---- the simulated storm ---------------------------------------------------------------------


def test_the_simulated_storm_opens_one_warning_and_one_no_data_and_clears_them() -> None:
    start = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    bodies = drive(WaterFeed(seed=1), start, timedelta(hours=2), MINUTE)
    events = [e for body in bodies for e in FEEDS["water"].parse(body, start)]
    assert all(isinstance(e, Event) for e in events)
    states: dict[str, StationState] = {}
    changes: list[AlarmChange] = []
    for minute in range(121):
        now = start + minute * MINUTE
        for event in (e for e in events if isinstance(e, Event) and e.occurred_at == now):
            one = reading_of(event)
            assert one is not None
            states[one.station], more = observe(states.get(one.station), one)
            changes += more
        for station, state in sorted(states.items()):
            states[station], more = silence(state, now)
            changes += more
    gate, silent = f"water:{GAUGES[0].stcd}", f"water:{GAUGES[2].stcd}"
    assert [(c.at - start, c.action, c.alarm.station, c.alarm.kind) for c in changes] == [
        (18 * MINUTE, "opened", gate, "river-over-warning"),
        (29 * MINUTE, "opened", silent, "no-data"),  # last reading at minute 14, + 3 × 5 minutes
        (35 * MINUTE, "cleared", silent, "no-data"),
        (40 * MINUTE, "cleared", gate, "river-over-warning"),
    ]
    assert all(isinstance(c.alarm, Alarm) for c in changes)
