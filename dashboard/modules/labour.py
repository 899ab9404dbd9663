"""用工监测: headcount and vacancies of the enterprises' newest snapshots (`labour`'s
summary), open wage-arrears alerts (cases of category `wage_arrears`)."""

from __future__ import annotations

from dashboard.modules._base import PEOPLE, PIECES, Figure, Module, ModuleData, Text, number

FEED = "labour"


def snapshot_figures(data: ModuleData) -> list[Figure]:
    """Headcount and vacancies of the enterprises' newest snapshots."""
    headcount = data.total(FEED, "headcount", record="snapshot")
    if headcount is None:
        return []
    found = [Figure(Text("在岗人数", "Headcount"), number(headcount), PEOPLE)]
    vacancies = data.total(FEED, "vacancies", record="snapshot")
    if vacancies is not None:
        found.append(Figure(Text("缺工人数", "Vacancies"), number(vacancies), PEOPLE))
    return found


def figures(data: ModuleData) -> list[Figure]:
    arrears = data.count.open_in(feed=FEED, category="wage_arrears")
    found = snapshot_figures(data)
    if not found and not arrears:
        return []
    found.append(Figure(Text("欠薪预警", "Wage-arrears alerts"), number(arrears), PIECES))
    return found


# A past day's: the snapshots (the open alerts are counted now only).
MODULE = Module(
    "labour", Text("用工监测", "Labour"), "用工监测", figures, order=90, past=snapshot_figures
)
