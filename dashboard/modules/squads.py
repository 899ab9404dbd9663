"""综合执法: each squad's workload — the cases it holds and those it took today (counts by
department, today's KPI counters) — and this month's 双随机 random checks with those whose
results are published (一公开; feed `inspection`)."""

from __future__ import annotations

from dashboard.modules._base import (
    PIECES,
    TIMES,
    Figure,
    Module,
    ModuleData,
    Text,
    pair,
)
from dashboard.modules.enforcement import CHECKS, squads, this_month
from dashboard.view import team_names


def short(name: str) -> str:
    """A squad's name without its area: 综合执法一中队（镇区） → 一中队."""
    return name.split("（")[0].removeprefix("综合执法")


def squad_figures(data: ModuleData) -> list[Figure]:
    """Per squad: the cases it holds, and those it took today."""
    zh, en = team_names("zh"), team_names("en")
    found = []
    for squad in squads():
        held = data.count.open_in(department=squad)
        taken = data.kpi_today("department", "r", squad)
        label = Text(f"{short(zh[squad])} 在办 / 今日", f"{en[squad]}: open / today")
        found.append(Figure(label, pair(held, taken), PIECES))
    return found


def figures(data: ModuleData) -> list[Figure]:
    month = this_month(data)
    random = data.tally(CHECKS, month=month, random=True)
    found = squad_figures(data)
    if not random and not any(f.value != pair(0, 0) for f in found):
        return []
    if random:
        published = data.tally(CHECKS, month=month, random=True, published=True)
        label = Text("本月双随机 抽查 / 公示", "Random checks this month / published")
        found.append(Figure(label, pair(random, published), TIMES))
    return found


MODULE = Module("squads", Text("综合执法", "Enforcement squads"), "综合执法", figures, order=140)
