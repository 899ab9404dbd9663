"""镇村治理一张网: open cases per village (`village:open`), the busiest first."""

from __future__ import annotations

from dashboard.modules._base import PIECES, Figure, Module, ModuleData, Text, number

SHOWN = 4


def figures(data: ModuleData) -> list[Figure]:
    counts = {v: n for v, n in data.count.village_open.items() if n > 0}
    if not counts:
        return []
    names = data.village_names
    busiest = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:SHOWN]
    return [
        Figure(Text(names.get(v) or v, names.get(v) or v), number(n), PIECES) for v, n in busiest
    ]


MODULE = Module(
    "grid", Text("镇村治理一张网", "One governance grid"), "镇村治理一张网", figures, order=40
)
