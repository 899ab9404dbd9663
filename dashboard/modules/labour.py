"""用工监测: headcount and vacancies of the enterprises' newest snapshots, open wage-arrears
alerts (cases of category `wage_arrears`) and the workers they affect."""

from __future__ import annotations

from dashboard.modules._base import (
    PEOPLE,
    PIECES,
    Figure,
    Module,
    ModuleData,
    Text,
    attrs,
    number,
    numbers,
)


def snapshot_figures(data: ModuleData) -> list[Figure]:
    """Headcount and vacancies of the enterprises' newest snapshots."""
    snapshots = [attrs(r) for r in data.records("labour", "snapshot")]
    headcount = numbers(a.get("headcount") for a in snapshots)
    if not headcount:
        return []
    found = [Figure(Text("在岗人数", "Headcount"), number(sum(headcount)), PEOPLE)]
    vacancies = numbers(a.get("vacancies") for a in snapshots)
    if vacancies:
        found.append(Figure(Text("缺工人数", "Vacancies"), number(sum(vacancies)), PEOPLE))
    return found


def figures(data: ModuleData) -> list[Figure]:
    arrears = data.count.open_in(feed="labour", category="wage_arrears")
    found = snapshot_figures(data)
    if not found and not arrears:
        return []
    found.append(Figure(Text("欠薪预警", "Wage-arrears alerts"), number(arrears), PIECES))
    return found


# A past day's: the snapshots (the open alerts are counted now only).
MODULE = Module(
    "labour", Text("用工监测", "Labour"), "用工监测", figures, order=90, past=snapshot_figures
)
