"""When the centre declares an incident by itself: the rules of `emergency/data/rules.json`.

Three kinds, each matched here (pure) against what the watcher reads (emergency/watcher.py):

- `alert`: a CAP alert in force (cases/alerts.py `is_live`) of one of the rule's severities
  whose area touches the town (`placed`): its area is the incident's.
- `case`: a case of a feed and category at a severity or more (a river gauge's alarm at its
  guaranteed level; a 重大隐患): a circle round its point.
- `cluster`: N reports of one category in one grid within T minutes: the grid is the area.

Each match names its *occasion* (`source`): the same occasion never declares twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely.geometry.base import BaseGeometry

from cases.alerts import index_key, is_live, placed
from cases.categories import category

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.json"
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor")


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    when: Literal["alert", "case", "cluster"]
    title: str = Field(min_length=1, max_length=200)
    severities: tuple[Literal["Extreme", "Severe", "Moderate", "Minor"], ...] = ()
    feed: str = ""
    category: str = ""
    min_severity: int = Field(default=1, ge=1, le=4)
    radius_m: float = Field(default=1000, ge=50, le=20_000)
    categories: tuple[str, ...] = ()
    count: int = Field(default=5, ge=2, le=10_000)
    minutes: float = Field(default=30, gt=0, le=24 * 60)
    ends_with_alert: bool = False  # an alert rule's incident ends when the alert is cancelled
    enabled: bool = True  # a town turns a rule off (and on) here


class Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    rules: tuple[Rule, ...]


@cache
def rules(path: Path = RULES_FILE, *, disabled: bool = False) -> tuple[Rule, ...]:
    """The rules of the data file that are on (``disabled``: every rule); ValueError naming
    the file when it is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = Rules.model_validate({k: v for k, v in data.items() if not k.startswith("_")})
    except (OSError, ValueError, ValidationError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    ids = [rule.id for rule in found.rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path.name}: rule ids must be distinct")
    for rule in found.rules:
        unknown = [c for c in (rule.category, *rule.categories) if c and category(c).code != c]
        if unknown:
            raise ValueError(f"{path.name}: rule {rule.id}: unknown category {unknown}")
    return tuple(rule for rule in found.rules if rule.enabled or disabled)


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    source: str  # the occasion: declared once
    title: str
    shape: Literal["alert", "point", "polygon"]
    point: tuple[float, float] | None = None
    area: dict[str, Any] | None = None  # GeoJSON: an alert's or a grid's


def _title(rule: Rule, **values: str) -> str:
    try:
        return rule.title.format(**values)[:100] or rule.id
    except (KeyError, IndexError, ValueError):
        return rule.title[:100]


def for_alert(
    alert: dict[str, Any], town: BaseGeometry, now: datetime, table: tuple[Rule, ...]
) -> Match | None:
    """The first alert rule an alert snapshot (cases/readings.py) matches, or None."""
    attrs = alert.get("attrs") or {}
    if not is_live(alert, now) or not placed(alert, town):
        return None
    for rule in table:
        if rule.when == "alert" and attrs.get("severity") in rule.severities:
            title = attrs.get("headline") or attrs.get("event") or alert.get("title") or ""
            source = alert_source(attrs.get("sender", ""), attrs.get("identifier", ""))
            return Match(rule, source, _title(rule, title=str(title)), "alert", None,
                         attrs.get("geometry"))  # fmt: skip
    return None


def alert_source(sender: str, identifier: str) -> str:
    """The occasion of an alert: its sender and identifier (cases/alerts.py's index key)."""
    return "alert:" + index_key(sender, identifier)


def for_case(case: dict[str, Any], table: tuple[Rule, ...]) -> Match | None:
    """The first case rule an open case (its JSON view) matches, or None (a case without a
    point cannot be placed)."""
    if case.get("status") != "open" or case.get("lon") is None:
        return None
    for rule in table:
        if (
            rule.when == "case"
            and case.get("feed") == rule.feed
            and case.get("category") == rule.category
            and int(case.get("severity") or 1) >= rule.min_severity
        ):
            title = _title(
                rule, title=case.get("title") or "", grid_name=case.get("grid_name") or ""
            )
            point = (float(case["lon"]), float(case["lat"]))
            return Match(rule, f"case:{rule.id}:{case['id']}", title, "point", point)
    return None


def cluster_rules(code: str, table: tuple[Rule, ...]) -> list[Rule]:
    return [rule for rule in table if rule.when == "cluster" and code in rule.categories]


def cluster_title(rule: Rule, grid_name: str, code: str) -> str:
    return _title(rule, grid_name=grid_name, category=category(code).zh, title="")
