"""The map's overlay layers: telemetry stations (latest value, alarm, no data), enterprises
with open hazards, and the teams' bases with their open cases. Pure builders over what the
projections hold, plus the readers (sync at page load, async for the push loop). Every number
on a mark is a count over all open cases (cases/counts.py); the newest open cases the wall
holds only place an enterprise's mark and colour it.

A station stands where its feed says, else where `layers/data/sites.json` puts it; a station
that never reported, or whose readings stopped, reads "no data" in grey, never a calm green.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import redis
import redis.asyncio as aredis

from cases.counts import Counts
from cases.telemetry import NO_DATA, StationState, silent_at
from core.keys import Keys
from core.replies import text
from dashboard.i18n import Lang, t
from dashboard.view import team_name
from layers.sites import Sites

LAYERS = ("stations", "enterprises", "teams")
Stations = tuple[dict[str, Any], dict[str, StationState]]  # newest readings, alarm states
HAZARDS = frozenset({"enterprise_hazard", "major_hazard"})
OK, ALARM, SILENT = "#3ddc84", "#ff4d4f", "#8fa3b8"
HAZARD, MAJOR_HAZARD, TEAM = "#ffb020", "#ff4d4f", "#00bcd4"
# The colour a layer's button shows: what its marks look like when all is well.
SWATCHES = {"stations": OK, "enterprises": HAZARD, "teams": TEAM, "alerts": "#fb8c00"}
# What the colours of a layer's marks say, for the legend: (the state's i18n key, colour).
STATES = {
    "stations": (("state.ok", OK), ("state.alarm", ALARM), ("state.no_data", SILENT)),
    "enterprises": (("state.hazard", HAZARD), ("state.major_hazard", MAJOR_HAZARD)),
}


@dataclass(frozen=True, slots=True)
class Mark:
    """One place on an overlay: where, its colour and the label beside it (plain text)."""

    id: str
    lon: float
    lat: float
    colour: str
    label: str


@dataclass(frozen=True, slots=True)
class Overlays:
    stations: tuple[Mark, ...] = ()
    enterprises: tuple[Mark, ...] = ()
    teams: tuple[Mark, ...] = ()

    def layer(self, name: str) -> tuple[Mark, ...]:
        marks: tuple[Mark, ...] = getattr(self, name)
        return marks


def _located(item: Mapping[str, Any]) -> bool:
    return isinstance(item.get("lon"), float) and isinstance(item.get("lat"), float)


def _value(reading: Mapping[str, Any]) -> str:
    """A station's headline value: a gauge's level, else AQI, else its first value."""
    attrs = reading.get("attrs") or {}
    if isinstance(attrs.get("z"), int | float):
        return f"{attrs['z']:.2f} m"
    values = attrs.get("values")
    numbers = {
        k: v for k, v in (values if isinstance(values, dict) else {}).items()
        if isinstance(v, int | float)
    }  # fmt: skip
    if "aqi" in numbers:
        return f"AQI {numbers['aqi']:g}"
    return next((f"{k} {v:g}" for k, v in sorted(numbers.items())), "")


def station_marks(
    readings: Mapping[str, Mapping[str, Any]],
    states: Mapping[str, StationState],
    places: Sites,
    lang: Lang,
    now: datetime,
) -> tuple[Mark, ...]:
    """Every station with a reading or a place: green, red in alarm, grey without data."""
    marks = []
    for station in sorted(readings.keys() | places.stations.keys()):
        reading, place, state = (
            readings.get(station),
            places.stations.get(station),
            states.get(station),
        )
        if (
            reading
            and isinstance(reading.get("lon"), float)
            and isinstance(reading.get("lat"), float)
        ):
            lon, lat = reading["lon"], reading["lat"]
        elif place is not None:
            lon, lat = place.lon_lat
        else:
            continue  # nowhere to draw it
        name = (
            (place.zh if lang == "zh" else place.en)
            if place
            else str((reading and reading.get("title")) or station)
        )
        alarms = {a.metric for a in state.alarms} if state else set()
        due = silent_at(state) if state else None
        silent = reading is None or NO_DATA in alarms or (due is not None and due < now)
        if silent:
            colour, label = SILENT, f"{name} {t('map.no_data', lang)}"
        else:
            colour, label = (ALARM if alarms else OK), f"{name} {_value(reading or {})}".strip()
        marks.append(Mark(station, float(lon), float(lat), colour, label))
    return tuple(marks)


def enterprise_marks(
    cases: Iterable[Mapping[str, Any]], counts: Counts, lang: Lang
) -> tuple[Mark, ...]:
    """One mark per enterprise (a hazard case's title) with open hazards, placed and coloured
    (red when one is major) by its hazard cases among `cases`; its number is its open hazards
    over every open case (`counts`)."""
    found: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for case in cases:
        if case.get("status") == "open" and case.get("category") in HAZARDS and _located(case):
            found[str(case.get("title") or case.get("id"))].append(case)
    marks = []
    for name, hazards in sorted(found.items()):
        major = any(c.get("category") == "major_hazard" for c in hazards)
        first = hazards[0]
        held = counts.hazards_by_enterprise.get(name, len(hazards))
        label = f"{name} {t('map.hazards', lang, n=str(held))}"
        marks.append(Mark(f"enterprise:{name}", first["lon"], first["lat"],
                          MAJOR_HAZARD if major else HAZARD, label))  # fmt: skip
    return tuple(marks)


def team_marks(counts: Counts, places: Sites, lang: Lang) -> tuple[Mark, ...]:
    """Each team's base, with the open cases it holds (over every open case)."""
    marks = []
    for team, base in sorted(places.teams.items()):
        name = team_name(team, lang)
        label = f"{name} {t('map.team_cases', lang, n=str(counts.open_in(department=team)))}"
        marks.append(Mark(f"team:{team}", *base.lon_lat, TEAM, label))
    return tuple(marks)


def build(
    cases: Sequence[Mapping[str, Any]],
    counts: Counts,
    readings: Mapping[str, Mapping[str, Any]],
    states: Mapping[str, StationState],
    places: Sites,
    lang: Lang,
    now: datetime,
) -> Overlays:
    return Overlays(
        station_marks(readings, states, places, lang, now),
        enterprise_marks(cases, counts, lang),
        team_marks(counts, places, lang),
    )


def _queue(pipe: Any, keys: Keys) -> None:
    pipe.hgetall(keys.latest("telemetry"))
    pipe.hgetall(keys.alarm_state)


def _decode(replies: list[Any]) -> Stations:
    telemetry, states = replies
    readings = {text(k): orjson.loads(v) for k, v in telemetry.items()}
    return readings, {text(k): StationState.from_json(v) for k, v in states.items()}


def read_stations(r: redis.Redis, keys: Keys) -> Stations:
    """The newest reading and the alarm state of every station; none if Redis is down."""
    try:
        pipe = r.pipeline(transaction=False)
        _queue(pipe, keys)
        replies = pipe.execute()
    except redis.RedisError:
        return {}, {}
    return _decode(replies)


async def aread_stations(ar: aredis.Redis, keys: Keys) -> Stations:
    """`read_stations` for the push loop (a Redis error propagates)."""
    pipe = ar.pipeline(transaction=False)
    _queue(pipe, keys)
    return _decode(await pipe.execute())


# ---- alert areas ----------------------------------------------------------------------------

# CAP severity (the Event's 1–4: Minor, Moderate, Severe, Extreme) → the colour of its level
# in China's warning signals (蓝 黄 橙 红).
ALERT_COLOURS: dict[int, str] = {1: "#1e88e5", 2: "#fdd835", 3: "#fb8c00", 4: "#e53935"}
AlertAreas = dict[int, tuple[tuple[float | None, ...], tuple[float | None, ...]]]


def alert_areas(alerts: Iterable[Mapping[str, Any]]) -> AlertAreas:
    """The outlines of the alerts the town's screens show (not those marked outside), one
    (lons, lats) pair per severity, rings apart by a gap (None): the arrays of the map's four
    alert traces."""
    lons: dict[int, list[float | None]] = {level: [] for level in ALERT_COLOURS}
    lats: dict[int, list[float | None]] = {level: [] for level in ALERT_COLOURS}
    for alert in alerts:
        geometry = (alert.get("attrs") or {}).get("geometry")
        if alert.get("outside") or not isinstance(geometry, dict):
            continue
        level = int(alert.get("severity") or 1) if alert.get("severity") in ALERT_COLOURS else 1
        for ring in _rings(geometry):
            if lons[level]:
                lons[level].append(None)
                lats[level].append(None)
            lons[level] += [round(float(x), 6) for x, _ in ring]
            lats[level] += [round(float(y), 6) for _, y in ring]
    return {level: (tuple(lons[level]), tuple(lats[level])) for level in ALERT_COLOURS}


def _rings(geometry: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    """The outer rings of a GeoJSON (Multi)Polygon (the adapter's merged area); [] else."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    rings = []
    for polygon in polygons:
        if polygon and isinstance(polygon[0], list):
            rings.append([(p[0], p[1]) for p in polygon[0] if len(p) >= 2])
    return rings
