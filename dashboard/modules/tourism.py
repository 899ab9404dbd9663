"""文旅融合: visitors inside the scenic spots now vs their comfort capacity, arrivals today."""

from __future__ import annotations

from dashboard.modules._base import (
    PEOPLE,
    Figure,
    Module,
    ModuleData,
    Text,
    attrs,
    beijing_day,
    number,
    numbers,
    percent,
)

COMFORT_SHARE = 0.8  # LB/T 034: a spot warns and limits entry from 80 % of its capacity


def figures(data: ModuleData) -> list[Figure]:
    today = data.today
    spots = [r for r in data.records("tourism") if beijing_day(r.get("occurred_at")) == today]
    counts = [attrs(r) for r in spots]
    inside = numbers(a.get("in_park") for a in counts)
    if not inside:
        return []
    capacity = sum(numbers(a.get("capacity") for a in counts))
    comfort = int(capacity * COMFORT_SHARE)
    found = [
        Figure(Text("在园游客", "Visitors inside"), number(sum(inside)), PEOPLE),
        Figure(Text("舒适承载量", "Comfort capacity"), number(comfort), PEOPLE),
        Figure(Text("承载率", "Load"), percent(int(sum(inside)), int(capacity)), Text("%", "%")),
    ]
    arrivals = numbers(a.get("arrivals_today") for a in counts)
    if arrivals:
        found.append(Figure(Text("今日入园", "Arrivals today"), number(sum(arrivals)), PEOPLE))
    return found


def day_figures(data: ModuleData) -> list[Figure]:
    """A day's arrivals at every spot (each spot's last tally of the day)."""
    spots = [r for r in data.records("tourism") if beijing_day(r.get("occurred_at")) == data.today]
    arrivals = numbers(attrs(r).get("arrivals_today") for r in spots)
    if not arrivals:
        return []
    return [Figure(Text("当日入园", "Arrivals that day"), number(sum(arrivals)), PEOPLE)]


MODULE = Module(
    "tourism", Text("文旅融合", "Culture & tourism"), "文旅融合", figures, order=80,
    past=day_figures,
)  # fmt: skip
