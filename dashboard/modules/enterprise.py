"""企业管理: registered enterprises (active, above designated size) and those with open
safety hazards (open `safety` cases, one enterprise counted once: cases/tally.py)."""

from __future__ import annotations

from dashboard.modules._base import Figure, Module, ModuleData, Text, attrs, number

HOUSEHOLDS = Text("家", "")


def registry_figures(data: ModuleData) -> list[Figure]:
    """The registry's active enterprises, and those above scale."""
    registry = [attrs(r) for r in data.records("enterprise")]
    if not registry:
        return []
    active = [a for a in registry if a.get("registration") == "active"]
    above = [a for a in active if a.get("above_scale") is True]
    return [
        Figure(Text("在册企业", "Registered"), number(len(active)), HOUSEHOLDS),
        Figure(Text("规上企业", "Above scale"), number(len(above)), HOUSEHOLDS),
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
