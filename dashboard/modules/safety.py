"""安全生产: the enterprises' open hazards by grade (重大, 一般) and the enterprises they are
in (open `safety` cases, cases/tally.py), and this month's work-safety checks by the
enforcement team (feed `inspection`)."""

from __future__ import annotations

from dashboard.modules._base import TIMES, Figure, Module, ModuleData, Text, number
from dashboard.modules.enforcement import CHECKS, this_month

FEED = "safety"
GRADES = (
    ("major_hazard", Text("重大隐患", "Major hazards")),
    ("enterprise_hazard", Text("一般隐患", "Ordinary hazards")),
)
SPOTS, FIRMS = Text("处", ""), Text("家", "")
DOMAIN = "work_safety"


def figures(data: ModuleData) -> list[Figure]:
    counts = data.count
    checked = data.tally(CHECKS, month=this_month(data), domain=DOMAIN)
    if not counts.open_in(feed=FEED) and not checked:
        return []
    found = [
        Figure(label, number(counts.open_in(feed=FEED, category=category)), SPOTS)
        for category, label in GRADES
    ]
    found += [
        Figure(Text("有隐患企业", "Enterprises with hazards"),
               number(counts.hazard_enterprises), FIRMS),
        Figure(Text("本月安全检查", "Safety checks this month"), number(checked), TIMES),
    ]  # fmt: skip
    return found


MODULE = Module("safety", Text("安全生产", "Work safety"), "安全生产", figures, order=100)
