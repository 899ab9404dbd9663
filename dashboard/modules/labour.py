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


def figures(data: ModuleData) -> list[Figure]:
    snapshots = [attrs(r) for r in data.records("labour", "snapshot")]
    arrears = data.count.open_in(feed="labour", category="wage_arrears")
    headcount = numbers(a.get("headcount") for a in snapshots)
    if not headcount and not arrears:
        return []
    found = []
    if headcount:
        found.append(Figure(Text("在岗人数", "Headcount"), number(sum(headcount)), PEOPLE))
        vacancies = numbers(a.get("vacancies") for a in snapshots)
        if vacancies:
            found.append(Figure(Text("缺工人数", "Vacancies"), number(sum(vacancies)), PEOPLE))
    found.append(Figure(Text("欠薪预警", "Wage-arrears alerts"), number(arrears), PIECES))
    return found


MODULE = Module("labour", Text("用工监测", "Labour"), "用工监测", figures, order=90)
