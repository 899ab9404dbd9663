"""The map's overlay layers (dashboard/overlays.py) and the layers a page hides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cases.counts import Counts
from cases.tally import tally_field
from cases.telemetry import NO_DATA, Alarm, StationState
from dashboard.components.wall_map import (
    LAYER_TRACES,
    hidden_layers,
    legend,
    map_traces,
    overlay_patch,
    wall_figure,
)
from dashboard.overlays import (
    ALARM,
    MAJOR_HAZARD,
    OK,
    SILENT,
    Overlays,
    build,
    enterprise_marks,
    station_marks,
    team_marks,
)
from layers.sites import Base, Sites, Station
from layers.town import default_town

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
GAUGE = "water:63201234"
PLACES = Sites(
    stations={GAUGE: Station(zh="璜塘河闸", en="Huangtang sluice", lon_lat=(120.40, 31.78))},
    teams={"water": Base(lon_lat=(120.41, 31.77))},
)


def gauge(z: float, at: datetime = NOW) -> dict[str, object]:
    return {"title": "璜塘河闸", "lon": None, "lat": None, "attrs": {"z": z},
            "occurred_at": at.isoformat()}  # fmt: skip


def state(last: datetime, *metrics: str) -> StationState:
    alarms = tuple(
        Alarm(f"alarm:{GAUGE}:{m}:x", GAUGE, "river_gauge", m, "k", "t", 2, last, None, None)
        for m in metrics
    )
    return StationState(GAUGE, "river_gauge", last, alarms)


def test_a_gauge_stands_where_the_sites_file_puts_it_with_its_level() -> None:
    (mark,) = station_marks({GAUGE: gauge(3.524)}, {GAUGE: state(NOW)}, PLACES, "zh", NOW)
    assert (mark.lon, mark.lat, mark.colour, mark.label) == (120.40, 31.78, OK, "璜塘河闸 3.52 m")


def test_an_air_station_placed_by_its_own_reading_shows_its_aqi() -> None:
    air = {"title": "空气站 A-01", "lon": 120.5, "lat": 31.7, "attrs": {"values": {"aqi": 85}}}
    (mark,) = station_marks({"environment:A-01": air}, {}, Sites(), "en", NOW)
    assert (mark.lon, mark.label) == (120.5, "空气站 A-01 AQI 85")


def test_alarm_red_no_data_grey_and_never_a_calm_green_for_silence() -> None:
    readings = {GAUGE: gauge(3.9)}
    (alarm,) = station_marks(readings, {GAUGE: state(NOW, "z")}, PLACES, "zh", NOW)
    assert alarm.colour == ALARM
    (swept,) = station_marks(readings, {GAUGE: state(NOW, NO_DATA)}, PLACES, "zh", NOW)
    assert (swept.colour, swept.label) == (SILENT, "璜塘河闸 无数据")
    late = NOW + timedelta(minutes=16)  # a gauge's window is 15 minutes: not yet swept
    (unswept,) = station_marks(readings, {GAUGE: state(NOW)}, PLACES, "en", late)
    assert (unswept.colour, unswept.label) == (SILENT, "Huangtang sluice no data")
    (never,) = station_marks({}, {}, PLACES, "zh", NOW)
    assert never.colour == SILENT, "a station that never reported"


def test_enterprises_with_open_hazards_one_mark_each_red_when_one_is_major() -> None:
    def hazard(n: int, name: str, major: bool = False, status: str = "open") -> dict[str, object]:
        category = "major_hazard" if major else "enterprise_hazard"
        return {"id": f"safety:{n}", "title": name, "category": category, "status": status,
                "lon": 120.4, "lat": 31.8}  # fmt: skip

    cases = [hazard(1, "甲厂"), hazard(2, "甲厂", major=True), hazard(3, "乙厂"),
             hazard(4, "丙厂", status="closed"), {"id": "urban:1", "category": "parking",
             "status": "open", "lon": 120.4, "lat": 31.8}]  # fmt: skip
    # 乙厂 has 4 open hazards in all; only the newest is among the cases the wall holds
    counts = Counts(NOW, hazards_by_enterprise={"甲厂": 2, "乙厂": 4, "丁厂": 1})
    marks = enterprise_marks(cases, counts, "zh")
    assert [(m.label, m.colour == MAJOR_HAZARD) for m in marks] == [
        ("乙厂 隐患4处", False), ("甲厂 隐患2处", True)]  # fmt: skip


def test_a_team_base_shows_the_open_cases_it_holds_over_every_open_case() -> None:
    counts = Counts(NOW, tally={tally_field(department="water"): 3412, "open": 9000})
    (mark,) = team_marks(counts, PLACES, "zh")
    assert mark.label == "水利站 在办3412" and (mark.lon, mark.lat) == (120.41, 31.77)


def test_hidden_layers_are_off_in_the_figure_and_a_patch_sends_only_what_changed() -> None:
    town = default_town()
    assert hidden_layers("cases,teams,nonsense") == {"cases", "teams"}
    overlays = build([], Counts(NOW), {GAUGE: gauge(3.5)}, {}, PLACES, "zh", NOW)
    figure = wall_figure(town, {}, [], lang="zh", tile_url=None, overlays=overlays,
                         hidden=frozenset({"cases"}))  # fmt: skip
    assert [figure.data[i].visible for i in LAYER_TRACES["cases"]] == [False, False]
    assert figure.data[LAYER_TRACES["stations"][0]].hovertext == ("璜塘河闸 3.50 m",)
    assert "text" not in figure.data[LAYER_TRACES["stations"][0]].mode, "no glyphs to fetch"
    assert figure.data[map_traces(town).points].name  # the live traces keep their places
    assert overlay_patch(overlays, overlays) is None
    changed = build([], Counts(NOW), {GAUGE: gauge(3.6)}, {}, PLACES, "zh", NOW)
    ops = overlay_patch(overlays, changed)
    assert ops is not None
    paths = {tuple(op["location"]) for op in ops.to_plotly_json()["operations"]}
    assert ("data", LAYER_TRACES["stations"][0], "hovertext") in paths
    assert not any(path[1] != LAYER_TRACES["stations"][0] for path in paths)
    assert overlay_patch(None, Overlays()) is not None, "unknown: every layer is sent"


def _state_lines(lang: str) -> dict[str, dict[str, str]]:
    """The legend's state lines: layer name → {colour: the word after its dot}."""
    found: dict[str, dict[str, str]] = {}

    def walk(node: Any) -> None:
        if getattr(node, "className", None) == "wall-legend-state":
            name, *pairs = node.children
            found[name.children] = {
                dot.style["backgroundColor"]: word.children
                for dot, word in (pair.children for pair in pairs)
            }
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    walk(legend(lang))  # type: ignore[arg-type]
    return found


def test_the_legend_says_what_each_colour_of_a_station_or_a_hazard_site_means() -> None:
    readings = {GAUGE: gauge(3.9)}
    stations = {
        m.colour
        for states in ({GAUGE: state(NOW)}, {GAUGE: state(NOW, "z")}, {})
        for m in station_marks(readings if states else {}, states, PLACES, "zh", NOW)
    }
    hazard = {"title": "甲厂", "status": "open", "lon": 120.4, "lat": 31.8}
    sites = {
        m.colour
        for category in ("enterprise_hazard", "major_hazard")
        for m in enterprise_marks(
            [{**hazard, "id": category, "category": category}], Counts(NOW), "zh"
        )
    }
    zh, en = _state_lines("zh"), _state_lines("en")
    assert set(zh["监测站"]) == stations and len(stations) == 3
    assert set(zh["隐患企业"]) == sites and len(sites) == 2
    assert zh["监测站"][SILENT] == "无数据" and en["Stations"][ALARM] == "alarm"
    assert en["Hazard sites"][MAJOR_HAZARD] == "major"
