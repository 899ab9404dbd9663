"""综合执法一队伍: open urban-management cases by level — grid, village, town (`urban`)."""

from __future__ import annotations

from dashboard.modules._base import PIECES, Figure, Module, ModuleData, Text, number

FEED = "urban"
LEVELS = (
    ("grid", Text("网格", "Grid")),
    ("village", Text("村级", "Village")),
    ("town", Text("镇级", "Town")),
)


def figures(data: ModuleData) -> list[Figure]:
    counts = data.count
    if not (total := counts.open_in(feed=FEED)):
        return []
    found = [Figure(Text("在办城管案件", "Open urban cases"), number(total), PIECES)]
    for level, label in LEVELS:
        found.append(Figure(label, number(counts.open_in(feed=FEED, level=level)), PIECES))
    return found


MODULE = Module(
    "enforcement",
    Text("综合执法一队伍", "One enforcement team"),
    "综合执法一队伍",
    figures,
    order=30,
)
