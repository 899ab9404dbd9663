"""镇村治理一张网: the grids and their staff's work — the town's level-2 grids and the people
they cover (the town's own files), the events the grid staff (网格员) reported that are open,
how many of those are still handled inside the grid (小事不出格), and the cases on the grids
finished today (today's KPI counters by grid)."""

from __future__ import annotations

from dashboard.modules._base import (
    PEOPLE,
    PIECES,
    UNITS,
    Figure,
    Module,
    ModuleData,
    Text,
    number,
    pair,
)

FEED = "governance"  # 综治 grid events: what the grid staff report


def figures(data: ModuleData) -> list[Figure]:
    counts, town = data.count, data.town
    reported = counts.open_in(feed=FEED)
    closed = data.kpi_today("grid", "c")
    if town is None and not reported and not closed:
        return []
    found = []
    if town is not None and town.grids:
        villages = len(set(town.grids.values()))
        found.append(Figure(Text("村（社区） / 网格", "Villages / grids"),
                            pair(villages, len(town.grids)), UNITS))  # fmt: skip
    if town is not None and town.resident is not None and town.registered is not None:
        label = Text("常住 / 户籍人口", "Residents / registered")
        found.append(Figure(label, pair(town.resident, town.registered), PEOPLE))
    found += [
        Figure(Text("网格员上报在办 / 格内", "Grid reports open / in the grid"),
               pair(reported, counts.open_in(feed=FEED, level="grid")), PIECES),
        Figure(Text("今日网格办结", "Finished on the grids today"), number(closed), PIECES),
    ]  # fmt: skip
    return found


MODULE = Module(
    "grid", Text("镇村治理一张网", "One governance grid"), "镇村治理一张网", figures, order=40
)
