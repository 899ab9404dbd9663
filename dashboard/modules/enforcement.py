"""综合执法一队伍: open urban-management cases by level — grid, village, town (`urban`)."""

from __future__ import annotations

from dashboard.modules._base import PIECES, Figure, Module, ModuleData, Text, number

LEVELS = (
    ("grid", Text("网格", "Grid")),
    ("village", Text("村级", "Village")),
    ("town", Text("镇级", "Town")),
)


def figures(data: ModuleData) -> list[Figure]:
    cases = data.open_cases("urban")
    if not cases:
        return []
    found = [Figure(Text("在办城管案件", "Open urban cases"), number(len(cases)), PIECES)]
    for level, label in LEVELS:
        count = sum(1 for c in cases if c.get("level") == level)
        found.append(Figure(label, number(count), PIECES))
    return found


MODULE = Module(
    "enforcement",
    Text("综合执法一队伍", "One enforcement team"),
    "综合执法一队伍",
    figures,
    order=30,
)
