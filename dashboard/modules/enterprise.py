"""企业管理: registered enterprises (active, above designated size) and those with open
safety hazards (open `safety` cases, one enterprise counted once)."""

from __future__ import annotations

from dashboard.modules._base import Figure, Module, ModuleData, Text, attrs, number

HOUSEHOLDS = Text("家", "")


def figures(data: ModuleData) -> list[Figure]:
    registry = [attrs(r) for r in data.records("enterprise")]
    hazards = data.open_cases("safety")
    if not registry and not hazards:
        return []
    found = []
    if registry:
        active = [a for a in registry if a.get("registration") == "active"]
        above = [a for a in active if a.get("above_scale") is True]
        found += [
            Figure(Text("在册企业", "Registered"), number(len(active)), HOUSEHOLDS),
            Figure(Text("规上企业", "Above scale"), number(len(above)), HOUSEHOLDS),
        ]
    names = {str(c.get("title") or c.get("id")) for c in hazards}
    found += [
        Figure(Text("有隐患企业", "With open hazards"), number(len(names)), HOUSEHOLDS),
        Figure(Text("未整改隐患", "Open hazards"), number(len(hazards)), Text("处", "")),
    ]
    return found


MODULE = Module("enterprise", Text("企业管理", "Enterprises"), "企业管理", figures, order=70)
