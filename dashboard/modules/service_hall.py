"""便民服务一窗口: today's service-hall cases, finished, and the on-time share (`service_hall`)."""

from __future__ import annotations

from dashboard.modules._base import (
    PIECES,
    Figure,
    Module,
    ModuleData,
    Text,
    attrs,
    beijing_day,
    number,
    percent,
)


def figures(data: ModuleData) -> list[Figure]:
    today = data.today
    cases = [attrs(r) for r in data.records("service_hall")]
    accepted = [a for a in cases if beijing_day(a.get("accepted_at")) == today]
    finished = [a for a in cases if beijing_day(a.get("finished_at")) == today]
    if not accepted and not finished:
        return []
    judged = [a for a in finished if a.get("overdue_promise") is not None]
    on_time = [a for a in judged if a.get("overdue_promise") is False]
    found = [
        Figure(Text("今日受理", "Accepted today"), number(len(accepted)), PIECES),
        Figure(Text("今日办结", "Finished today"), number(len(finished)), PIECES),
    ]
    if judged:
        share = percent(len(on_time), len(judged))
        found.append(Figure(Text("按时办结率", "Finished on time"), share, Text("%", "%")))
    return found


MODULE = Module(
    "service_hall",
    Text("便民服务一窗口", "One-window service"),
    "便民服务一窗口",
    figures,
    order=20,
)
