"""指挥调度一中心: open cases, those late on either clock, those escalated above their grid
(every open case, cases/counts.py)."""

from __future__ import annotations

from dashboard.modules._base import PIECES, Figure, Module, ModuleData, Text, number


def figures(data: ModuleData) -> list[Figure]:
    counts = data.count
    if not counts.open_total:
        return []
    return [
        Figure(Text("在办", "Open"), number(counts.open_total), PIECES),
        Figure(Text("超时", "Overdue"), number(counts.late), PIECES),
        Figure(Text("已升级", "Escalated"), number(counts.escalated), PIECES),
    ]


MODULE = Module(
    "command", Text("指挥调度一中心", "One command centre"), "指挥调度一中心", figures, order=50
)
