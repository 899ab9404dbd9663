"""Internal case categories, loaded from a data file a town can edit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATEGORIES_FILE = Path(__file__).resolve().parent / "data" / "categories.json"

GROUPS: dict[str, tuple[str, str]] = {
    "order": ("街面秩序", "Street order"),
    "environment": ("市容环境", "Environment"),
    "facility": ("设施部件", "Facilities"),
    "construction": ("施工管理", "Construction"),
    "emergency": ("突发事件", "Emergencies"),
    "governance": ("综治", "Governance"),
    "ecology": ("生态环境", "Ecology"),
    "water": ("水利", "Water"),
    "safety": ("安全生产", "Work safety"),
    "alert": ("预警", "Alerts"),
    "module": ("专题", "Modules"),
    "other": ("其他", "Other"),
}


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    zh: str
    en: str
    group: str
    response_minutes: int | None


@cache
def categories(path: Path = CATEGORIES_FILE) -> dict[str, Category]:
    """Every category by code; 'other' is always present."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = {
        code: Category(code, v["zh"], v["en"], v["group"], v.get("response_minutes"))
        for code, v in data.items()
        if not code.startswith("_")
    }
    unknown = {c.group for c in found.values()} - GROUPS.keys()
    if unknown or "other" not in found:
        raise ValueError(f"{path}: unknown groups {sorted(unknown)} or no 'other' category")
    return found


def category(code: str) -> Category:
    """The category of a code; an unknown code reads as 'other'."""
    table = categories()
    return table.get(code, table["other"])
