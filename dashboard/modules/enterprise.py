"""企业管理: registered enterprises (active, above designated size: `enterprise`'s summary)
and those with open safety hazards (open `safety` cases, one enterprise counted once:
cases/tally.py)."""

from __future__ import annotations

from dashboard.modules._base import Figure, Module, ModuleData, Text, number

FEED = "enterprise"
HOUSEHOLDS = Text("家", "")


def registry_figures(data: ModuleData) -> list[Figure]:
    """The registry's active enterprises, and those above scale."""
    if not data.tally(FEED):
        return []
    active = data.tally(FEED, registration="active")
    above = data.tally(FEED, registration="active", above_scale=True)
    return [
        Figure(Text("在册企业", "Registered"), number(active), HOUSEHOLDS),
        Figure(Text("规上企业", "Above scale"), number(above), HOUSEHOLDS),
    ]


def figures(data: ModuleData) -> list[Figure]:
    counts = data.count
    found = registry_figures(data)
    if not found and not counts.hazards:
        return []
    found += [
        Figure(
            Text("有隐患企业", "With open hazards"), number(counts.hazard_enterprises), HOUSEHOLDS
        ),
        Figure(Text("未整改隐患", "Open hazards"), number(counts.hazards), Text("处", "")),
    ]
    return found


# A past day's: the registry (the open hazards are counted now only).
MODULE = Module(
    "enterprise", Text("企业管理", "Enterprises"), "企业管理", figures, order=70,
    past=registry_figures,
)  # fmt: skip
