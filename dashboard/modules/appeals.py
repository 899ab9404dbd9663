"""12345诉求: the people's requests by channel — today's cases of every channel (cases/
counts.py), and the open ones of the citizens' channels: Open311 (the 12345 hotline's and
citizens' apps), 12369 (the environment feed's complaints), the grid staff's reports
(`governance`) and 数字城管 (`urban`) — with those escalated above their grid."""

from __future__ import annotations

from dashboard.modules._base import PIECES, Figure, Module, ModuleData, Text, number, pair

CHANNELS = ("open311", "environment", "governance", "urban")


def figures(data: ModuleData) -> list[Figure]:
    counts = data.count
    open_by = {feed: counts.open_in(feed=feed) for feed in CHANNELS}
    if not any(open_by.values()) and not counts.today_total:
        return []
    escalated = sum(
        counts.open_in(feed=feed, level=level) for feed in CHANNELS for level in ("village", "town")
    )
    return [
        Figure(Text("今日受理", "Received today"), number(counts.today_total), PIECES),
        Figure(Text("12345 / 12369 在办", "12345 / 12369 open"),
               pair(open_by["open311"], open_by["environment"]), PIECES),
        Figure(Text("网格 / 城管 在办", "Grid / urban open"),
               pair(open_by["governance"], open_by["urban"]), PIECES),
        Figure(Text("已升级", "Escalated"), number(escalated), PIECES),
    ]  # fmt: skip


MODULE = Module("appeals", Text("12345诉求", "Citizens' requests"), "12345诉求", figures, order=130)
