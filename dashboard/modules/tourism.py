"""文旅融合: visitors inside the scenic spots now vs their comfort capacity, arrivals today
(`tourism`'s summary of each spot's newest count of today)."""

from __future__ import annotations

from dashboard.modules._base import (
    PEOPLE,
    Figure,
    Module,
    ModuleData,
    Text,
    number,
    percent,
)

FEED = "tourism"
COMFORT_SHARE = 0.8  # LB/T 034: a spot warns and limits entry from 80 % of its capacity


def figures(data: ModuleData) -> list[Figure]:
    today = data.today.isoformat()
    inside = data.total(FEED, "in_park", day=today)
    if inside is None:
        return []
    capacity = data.total(FEED, "capacity", day=today) or 0
    comfort = int(capacity * COMFORT_SHARE)
    found = [
        Figure(Text("在园游客", "Visitors inside"), number(inside), PEOPLE),
        Figure(Text("舒适承载量", "Comfort capacity"), number(comfort), PEOPLE),
        Figure(Text("承载率", "Load"), percent(inside, capacity), Text("%", "%")),
    ]
    arrivals = data.total(FEED, "arrivals_today", day=today)
    if arrivals is not None:
        found.append(Figure(Text("今日入园", "Arrivals today"), number(arrivals), PEOPLE))
    return found


def day_figures(data: ModuleData) -> list[Figure]:
    """A day's arrivals at every spot (each spot's last tally of the day)."""
    arrivals = data.total(FEED, "arrivals_today", day=data.today.isoformat())
    if arrivals is None:
        return []
    return [Figure(Text("当日入园", "Arrivals that day"), number(arrivals), PEOPLE)]


MODULE = Module(
    "tourism", Text("文旅融合", "Culture & tourism"), "文旅融合", figures, order=80,
    past=day_figures,
)  # fmt: skip
