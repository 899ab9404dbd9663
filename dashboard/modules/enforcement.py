"""综合执法一队伍: one team enforcing across the domains — the cases its squads hold now,
those they took and finished today (counts by department and today's KPI counters), and this
month's checks with the domains they covered (feed `inspection`).

The squads are the routing table's teams whose code starts `enforce-` (cases/data/
routing.json): 综合执法一中队, 二中队, 三中队.
"""

from __future__ import annotations

from dashboard.modules._base import (
    PIECES,
    TIMES,
    UNITS,
    Figure,
    Module,
    ModuleData,
    Text,
    number,
    pair,
)
from dashboard.view import team_names

SQUAD_PREFIX = "enforce-"
CHECKS = "inspection"


def squads() -> list[str]:
    """The enforcement team's squads, by their routing codes."""
    return sorted(code for code in team_names("zh") if code.startswith(SQUAD_PREFIX))


def this_month(data: ModuleData) -> str:
    return f"{data.today.year:04d}-{data.today.month:02d}"


def checks(data: ModuleData) -> tuple[int, int]:
    """This month's checks, and the domains they covered."""
    month = this_month(data)
    domains = data.tallies(CHECKS, "domain", month=month)
    total = sum(data.tallies(CHECKS, "random", month=month).values())
    return total, len(domains)


def figures(data: ModuleData) -> list[Figure]:
    counts, team = data.count, squads()
    held = sum(counts.open_in(department=s) for s in team)
    taken = sum(data.kpi_today("department", "r", s) for s in team)
    closed = sum(data.kpi_today("department", "c", s) for s in team)
    checked, domains = checks(data)
    if not (held or taken or closed or checked):
        return []
    found = [
        Figure(Text("中队在办", "Open in the squads"), number(held), PIECES),
        Figure(Text("今日受理 / 办结", "Taken / finished today"), pair(taken, closed), PIECES),
    ]
    if checked:
        found += [
            Figure(Text("本月执法检查", "Checks this month"), number(checked), TIMES),
            Figure(Text("检查覆盖领域", "Domains checked"), number(domains), UNITS),
        ]
    return found


MODULE = Module(
    "enforcement",
    Text("综合执法一队伍", "One enforcement team"),
    "综合执法一队伍",
    figures,
    order=30,
)
