"""指挥调度一中心: open cases, those overdue, those escalated above their grid."""

from __future__ import annotations

from dashboard.modules._base import PIECES, Figure, Module, ModuleData, Text, number


def figures(data: ModuleData) -> list[Figure]:
    if not data.open_total and not data.cases:
        return []
    overdue = sum(1 for c in data.cases if c.get("overdue") or c.get("handling_overdue"))
    escalated = sum(1 for c in data.cases if c.get("level") in ("village", "town"))
    return [
        Figure(Text("在办", "Open"), number(data.open_total), PIECES),
        Figure(Text("超时", "Overdue"), number(overdue), PIECES),
        Figure(Text("已升级", "Escalated"), number(escalated), PIECES),
    ]


MODULE = Module(
    "command", Text("指挥调度一中心", "One command centre"), "指挥调度一中心", figures, order=50
)
