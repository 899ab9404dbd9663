"""权责清单: who handles a case — automatic dispatch where the table is unambiguous,
the duty officer's queue otherwise. (The grid's 一长五员 come from layers' roster.)

The table is a data file (`cases/data/routing.json`) a town edits without a release. Rules
match on category or category group and on a place (a village code, a village kind, or
any); the most specific matches win, and if they still name more than one team the case
is left to a person rather than guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cases.categories import category

if TYPE_CHECKING:
    from layers.town import Town

ROUTING_FILE = Path(__file__).resolve().parent / "data" / "routing.json"
DUTY_QUEUE = "duty-officer"
VILLAGE_ROLE, TOWN_ROLE = "村（社区）负责人", "镇带班领导"  # when the table names no role


@dataclass(frozen=True, slots=True)
class Team:
    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Rule:
    team: str
    category: str | None
    group: str | None
    village: str | None
    kind: str | None

    def specificity(self) -> tuple[int, int]:
        """Category before group; a named village before a kind before any place."""
        place = 2 if self.village else (1 if self.kind not in (None, "*") else 0)
        return (1 if self.category else 0, place)

    def matches(self, code: str, group: str, village: str | None, kind: str | None) -> bool:
        what = self.category == code if self.category else self.group == group
        if self.village:
            return what and self.village == village
        return what and self.kind in (None, "*", kind)


@dataclass(frozen=True, slots=True)
class Routing:
    """The team a case goes to (DUTY_QUEUE when a person must decide) and why."""

    team: str
    automatic: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Leader:
    """A person a case escalated above its grid is handed to."""

    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Escalation:
    """Who leads each level above the grid: each village's leader, the town's daily rota."""

    village_role: str = VILLAGE_ROLE
    villages: dict[str, Leader] = field(default_factory=dict)  # level-1 grid code → leader
    town_role: str = TOWN_ROLE
    rota: tuple[Leader, ...] = ()  # one a day in turn

    def on_duty(self, day: date) -> Leader | None:
        """The town's leader on duty on this day of Beijing's calendar."""
        return self.rota[day.toordinal() % len(self.rota)] if self.rota else None


@dataclass(frozen=True, slots=True)
class Table:
    teams: dict[str, Team]
    rules: tuple[Rule, ...]
    escalation: Escalation = Escalation()

    def candidates(self, code: str, village: str | None, kind: str | None) -> list[str]:
        """The teams the most specific matching rules name (none: no rule matches); more
        than one leaves the choice to the duty officer."""
        group = category(code).group
        found = [r for r in self.rules if r.matches(code, group, village, kind)]
        if not found:
            return []
        best = max(r.specificity() for r in found)
        return sorted({r.team for r in found if r.specificity() == best})

    def route(self, code: str, village: str | None, kind: str | None) -> Routing:
        teams = self.candidates(code, village, kind)
        if not teams:
            return Routing(DUTY_QUEUE, False, f"no rule for {code} in {village or 'no village'}")
        if len(teams) > 1:
            return Routing(DUTY_QUEUE, False, f"ambiguous: {', '.join(teams)}")
        return Routing(teams[0], True, "routing table")


def _rule(row: dict[str, Any], teams: dict[str, Team], path: Path) -> Rule:
    if row.get("team") not in teams:
        raise ValueError(f"{path}: rule {row} names an unknown team")
    if not (row.get("category") or row.get("group")):
        raise ValueError(f"{path}: rule {row} needs a category or a group")
    return Rule(
        row["team"], row.get("category"), row.get("group"), row.get("village"), row.get("kind")
    )


def _leader(value: Any, where: str, path: Path) -> Leader:
    if not (
        isinstance(value, dict)
        and all(isinstance(value.get(f), str) and value[f].strip() for f in ("name", "phone"))
    ):
        raise ValueError(f"{path}: {where} needs a name and a phone")
    return Leader(value["name"].strip(), value["phone"].strip())


def _escalation(data: Any, path: Path) -> Escalation:
    """The `escalation` section (optional: without it a village hands cases to the grid's
    网格长 and the town to no one by name)."""
    if data is None:
        return Escalation()
    village, town = data.get("village", {}), data.get("town", {})
    people = village.get("people", {})
    rota = town.get("rota", [])
    if not isinstance(people, dict) or not isinstance(rota, list):
        raise ValueError(f"{path}: escalation.village.people maps villages, town.rota lists people")
    return Escalation(
        village.get("role_name") or VILLAGE_ROLE,
        {str(code): _leader(v, f"the leader of {code}", path) for code, v in people.items()},
        town.get("role_name") or TOWN_ROLE,
        tuple(_leader(v, f"town.rota[{n}]", path) for n, v in enumerate(rota)),
    )


@cache
def table(path: Path = ROUTING_FILE) -> Table:
    """The routing table; a rule naming an unknown team is a configuration error."""
    data = json.loads(path.read_text(encoding="utf-8"))
    teams = {code: Team(code, v["zh"], v["en"]) for code, v in data["teams"].items()}
    rules = tuple(_rule(row, teams, path) for row in data["rules"])
    return Table(teams, rules, _escalation(data.get("escalation"), path))


def village_kinds(town: Town) -> dict[str, str]:
    """Level-1 grid code → its kind (community or village), which the rules match on."""
    return {str(code): str(kind) for code, kind in town.l1["kind"].items()}
