"""便民服务一窗口: today's service-hall cases accepted and finished, the on-time share, and
the windows that took cases today (`service_hall`'s summary: today's tallies only)."""

from __future__ import annotations

from dashboard.modules._base import (
    PIECES,
    UNITS,
    Figure,
    Module,
    ModuleData,
    Text,
    number,
    percent,
)

FEED = "service_hall"
ONLINE = "remote"  # 不见面审批: accepted online, at no window


def figures(data: ModuleData) -> list[Figure]:
    today = data.today.isoformat()
    accepted = data.tally(FEED, accepted_day=today)
    promised = data.tallies(FEED, "overdue_promise", finished_day=today)
    finished = data.tally(FEED, finished_day=today)
    if not accepted and not finished:
        return []
    found = [
        Figure(Text("今日受理", "Accepted today"), number(accepted), PIECES),
        Figure(Text("今日办结", "Finished today"), number(finished), PIECES),
    ]
    judged = promised.get("true", 0) + promised.get("false", 0)
    if judged:
        share = percent(promised.get("false", 0), judged)
        found.append(Figure(Text("按时办结率", "Finished on time"), share, Text("%", "%")))
    at = data.groups(FEED, ("mode", "window"), accepted_day=today)
    windows = {window for mode, window in at if mode != ONLINE}
    if windows:
        label = Text("今日开放窗口", "Windows open today")
        found.append(Figure(label, number(len(windows)), UNITS))
    return found


MODULE = Module(
    "service_hall",
    Text("便民服务一窗口", "One-window service"),
    "便民服务一窗口",
    figures,
    order=20,
)
