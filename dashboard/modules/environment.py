"""生态环境: the air and water stations against their limits (each station's newest reading
and the engine's alarm state: cases/data/thresholds.json), the highest AQI now, and the open
ecology cases — 12369 complaints and the stations' alarms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cases.thresholds import NO_DATA
from dashboard.modules._base import (
    PIECES,
    UNITS,
    Figure,
    Module,
    ModuleData,
    Text,
    attrs,
    number,
    numbers,
    pair,
)

FEED = "environment"
ALARMS = "alarm"  # the feed of the stations' alarm cases (cases/alarms.py)
KINDS = (
    ("air", "air_quality", Text("空气站 超标 / 总数", "Air stations over / all")),
    ("water", "water_quality", Text("水质站 超标 / 总数", "Water stations over / all")),
)


def over(data: ModuleData, station: str) -> bool:
    """Whether the station is in alarm on a value (a silent one is not over a limit)."""
    return any(metric != NO_DATA for metric in data.alarms.get(station, ()))


def aqi(reading: Mapping[str, Any]) -> float | None:
    values = attrs(reading).get("values")
    if not isinstance(values, Mapping):
        return None
    found = numbers(v for k, v in values.items() if str(k).upper() == "AQI")
    return found[0] if found else None


def figures(data: ModuleData) -> list[Figure]:
    stations = data.station_readings(FEED)
    categories = [category for _, category, _ in KINDS]
    open_cases = data.count.open_in(feed=FEED) + sum(
        data.count.open_in(feed=ALARMS, category=c) for c in categories
    )
    if not stations and not open_cases:
        return []
    found = []
    for kind, _, label in KINDS:
        mine = [s for s, r in stations.items() if attrs(r).get("station_type") == kind]
        if mine:
            found.append(Figure(label, pair(sum(over(data, s) for s in mine), len(mine)), UNITS))
    highest = numbers(aqi(r) for r in stations.values())
    if highest:
        found.append(Figure(Text("最高AQI", "Highest AQI"), number(max(highest))))
    found.append(Figure(Text("生态环境在办", "Open ecology cases"), number(open_cases), PIECES))
    return found


MODULE = Module("environment", Text("生态环境", "Environment"), "生态环境", figures, order=110)
