"""经济运行: the latest month's headline indicators, year to date (`economy`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.modules._base import Figure, Module, ModuleData, Text, attrs, number

HEADLINES = (
    "industrial_output_above_scale",
    "general_budget_revenue",
    "invoiced_sales",
    "retail_sales",
    "fixed_asset_investment",
)
SHOWN = 3


def _figure(a: Mapping[str, Any]) -> Figure:
    name = str(a.get("indicator_name") or a.get("indicator") or "")
    unit = str(a.get("unit") or "")
    yoy = a.get("yoy_pct")
    note = f"{yoy:+.1f}%" if isinstance(yoy, int | float) and not isinstance(yoy, bool) else ""
    return Figure(Text(name, name), number(float(a["value"]), 2), Text(unit, unit), note)


def _rank(a: Mapping[str, Any]) -> tuple[int, int, str]:
    key = a.get("indicator_key")
    headline = HEADLINES.index(key) if key in HEADLINES else len(HEADLINES)
    return (headline, 0 if a.get("scope") == "ytd" else 1, str(a.get("indicator")))


def figures(data: ModuleData) -> list[Figure]:
    found = [attrs(r) for r in data.records("economy")]
    found = [a for a in found if isinstance(a.get("value"), int | float) and a.get("month")]
    if not found:
        return []
    month = max(str(a["month"]) for a in found)
    latest = sorted((a for a in found if a["month"] == month), key=_rank)
    chosen: dict[str, Mapping[str, Any]] = {}
    for a in latest:  # one scope per indicator: year to date when sent
        chosen.setdefault(str(a.get("indicator")), a)
    return [_figure(a) for a in list(chosen.values())[:SHOWN]]


MODULE = Module("economy", Text("经济运行", "Economy"), "经济运行", figures, order=60)
