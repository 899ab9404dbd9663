"""Who the simulated staff are: the grids' 一长五员 (layers/data/roster.json), each team's
members (responders/data/staff.json), the centre's duty officers and inspectors, and the
town's leaders on duty who approve an extension (the routing table's rota).

Each person acts under a token of their own, in the role the security model gives that work
(docs/security.md): a team member is a `handler` of that team (签收, 处置), a grid's 监督员 or a
centre inspector an `inspector` (核查), a duty officer `duty` (立案, 派遣, 回退, 结案, 作废), the
town's leader on duty a `leader` (延期, which they approve).
The token's name is what a case's history shows: the person's post and name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cases.routing import Table
from layers.town import Town

STAFF_FILE = Path(__file__).parent / "data" / "staff.json"
GRID_HANDLER = "member"  # 专职网格员: the grid's cases of the village team
GRID_INSPECTOR = "inspector"  # 监督员: verifies the grid's cases
VILLAGE_TEAM = "village"  # the routing table's team for the village (community) committee


class StaffError(ValueError):
    """The staff file cannot be used; the message names the file and the fault."""


@dataclass(frozen=True, slots=True)
class Person:
    """One simulated person: the token they act under is named ``display``."""

    name: str
    role: str  # handler | inspector | duty
    post: str  # what the history shows before the name
    team: str | None = None

    @property
    def display(self) -> str:
        return f"{self.post} {self.name}"


@dataclass(frozen=True)
class Staff:
    """Everyone who acts, and how to find the one for a case."""

    teams: dict[str, tuple[Person, ...]]
    grid_handlers: dict[str, Person]  # level-2 grid code → its 专职网格员
    grid_inspectors: dict[str, Person]  # level-2 grid code → its 监督员
    duty: tuple[Person, ...]
    inspectors: tuple[Person, ...]
    leaders: tuple[Person, ...]  # the town's leaders on duty: they approve an extension

    def handler(self, team: str, grid: str | None, pick: int) -> Person | None:
        """Who of ``team`` takes a case (the grid's own for the village team); None: the team
        has no one."""
        if team == VILLAGE_TEAM and grid in self.grid_handlers:
            return self.grid_handlers[grid]
        members = self.teams.get(team, ())
        return members[pick % len(members)] if members else None

    def inspector(self, grid: str | None, pick: int) -> Person:
        """The grid's 监督员, or one of the centre's inspectors for a case without a grid."""
        if grid in self.grid_inspectors:
            return self.grid_inspectors[grid]
        return self.inspectors[pick % len(self.inspectors)]

    def duty_officer(self, pick: int) -> Person:
        return self.duty[pick % len(self.duty)]

    def leader(self, pick: int) -> Person:
        return self.leaders[pick % len(self.leaders)]

    def everyone(self) -> list[Person]:
        people = [p for members in self.teams.values() for p in members]
        people += [*self.grid_handlers.values(), *self.grid_inspectors.values()]
        return [*people, *self.duty, *self.inspectors, *self.leaders]


@cache
def _staff_file(path: Path = STAFF_FILE) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StaffError(f"{path}: cannot read the staff: {exc}") from exc
    if not isinstance(data, dict):
        raise StaffError(f"{path}: the staff must be a JSON object")
    return data


def _people(
    path: Path, rows: object, where: str, role: str, post: str, team: str | None = None
) -> tuple[Person, ...]:
    if not isinstance(rows, list) or not rows:
        raise StaffError(f"{path}: {where} must be a non-empty list of people")
    found = []
    for row in rows:
        if not isinstance(row, dict) or not str(row.get("name", "")).strip():
            raise StaffError(f"{path}: {where}: every person needs a name")
        found.append(Person(str(row["name"]).strip(), role, post, team))
    return tuple(found)


def load_staff(town: Town, table: Table, path: Path = STAFF_FILE) -> Staff:
    """The staff of ``town``: a team of the routing table without members, or a member of a
    team it does not know, is refused with the file's name."""
    data = _staff_file(path)
    teams_data = data.get("teams")
    if not isinstance(teams_data, dict):
        raise StaffError(f"{path}: 'teams' must map the routing table's teams to people")
    unknown = sorted(set(teams_data) - set(table.teams))
    if unknown:
        raise StaffError(f"{path}: teams unknown to the routing table: {', '.join(unknown)}")
    missing = sorted(set(table.teams) - set(teams_data) - {VILLAGE_TEAM})
    if missing:
        raise StaffError(f"{path}: no members for the routing table's teams {', '.join(missing)}")
    teams = {
        code: _people(path, rows, f"team {code}", "handler", _short(table.teams[code].zh), code)
        for code, rows in teams_data.items()
    }
    rota = table.escalation.rota
    if not rota:
        raise StaffError("the routing table names no town leaders on duty (escalation.town.rota)")
    grid_handlers, grid_inspectors = {}, {}
    for grid, people in town.roster.items():
        for person in people:
            if person.role == GRID_HANDLER:
                grid_handlers[grid] = Person(
                    person.name, "handler", f"{grid} {person.role_name}", VILLAGE_TEAM
                )
            elif person.role == GRID_INSPECTOR:
                grid_inspectors[grid] = Person(
                    person.name, "inspector", f"{grid} {person.role_name}"
                )
    return Staff(
        teams=teams,
        grid_handlers=grid_handlers,
        grid_inspectors=grid_inspectors,
        duty=_people(path, data.get("duty"), "duty", "duty", "值班员"),
        inspectors=_people(path, data.get("inspectors"), "inspectors", "inspector", "督查员"),
        leaders=tuple(Person(p.name, "leader", table.escalation.town_role) for p in rota),
    )


def _short(team_name: str) -> str:
    """A team's name as a post: 综合执法一中队（镇区） → 综合执法一中队."""
    return team_name.split("（", 1)[0]
