"""防汛: the river gauges against their own warning and guaranteed levels (SL 323's wrz and
grz, sent with every reading), the highest river against its warning level, and the heaviest
rain of the rain gauges' last periods (feed `water`, each gauge's newest reading)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.modules._base import UNITS, Figure, Module, ModuleData, Text, attrs, number, pair

FEED = "water"
METRES, MILLIMETRES = Text("米", "m"), Text("毫米", "mm")


def level(reading: Mapping[str, Any], name: str) -> float | None:
    value = attrs(reading).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def figures(data: ModuleData) -> list[Figure]:
    readings = list(data.station_readings(FEED).values())
    rivers = [(r, z) for r in readings if (z := level(r, "z")) is not None]
    rain = [d for r in readings if (d := level(r, "drp")) is not None]
    if not rivers and not rain:
        return []
    found = []
    if rivers:
        warned = [(r, z) for r, z in rivers if (w := level(r, "wrz")) is not None and z >= w]
        guaranteed = [r for r, z in rivers if (g := level(r, "grz")) is not None and z >= g]
        found += [
            Figure(Text("超警戒 / 河道站", "Over warning / river gauges"),
                   pair(len(warned), len(rivers)), UNITS),
            Figure(Text("超保证", "Over guaranteed"), number(len(guaranteed)), UNITS),
        ]  # fmt: skip
        judged = [(z - w, z, w) for r, z in rivers if (w := level(r, "wrz")) is not None]
        if judged:
            _, z, w = max(judged)
            found.append(Figure(Text("最高水位 / 警戒", "Highest level / warning"),
                                f"{z:.2f} / {w:.2f}", METRES))  # fmt: skip
    if rain:
        found.append(Figure(Text("时段最大雨量", "Heaviest rain (period)"), number(max(rain), 1),
                            MILLIMETRES))  # fmt: skip
    return found


MODULE = Module("flood", Text("防汛", "Flood control"), "防汛", figures, order=120)
