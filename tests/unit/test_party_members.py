"""The 党建 panel counts each party member once, over a structure of several levels sent
through the party feed's adapter: a parent's 党员数 counts its children's members, and an
alliance's or a 党员中心户's members are a branch's."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import orjson

from core.event import Event
from dashboard.modules import MODULES, ModuleData
from dashboard.modules.party import levels
from ingest.feeds import FEEDS

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
PARTY = next(m for m in MODULES if m.id == "party")
_people = itertools.count(1)


class Org:
    """An organisation of the test structure with the distinct ids of its own members."""

    def __init__(self, code: str, kind: str, parent: Org | None, own: int = 0) -> None:
        self.code, self.kind, self.parent = code, kind, parent
        self.children: list[Org] = []
        self.own = {next(_people) for _ in range(own)}  # a branch's members
        self.linked: set[int] = set()  # an alliance's or a household's: members of branches
        if parent is not None:
            parent.children.append(self)

    def members(self) -> set[int]:
        found = self.own | self.linked
        for child in self.children:
            if child.kind not in ("党建联盟", "党员中心户"):  # they count no one of their own
                found |= child.members()
        return found

    def record(self) -> dict[str, Any]:
        return {"sjlx": "党组织", "zzbm": self.code, "zzmc": f"组织{self.code}", "zzlx": self.kind,
                "sjzzbm": self.parent.code if self.parent else "", "dyrs": len(self.members()),
                "gxsj": "2026-11-01 09:00:00"}  # fmt: skip


def structure() -> list[Org]:
    """党委 → 党委 / 党总支 → 支部 → 党员中心户, a joint branch, and an alliance across
    two villages' branches."""
    town = Org("T", "党委", None)
    community = Org("T1", "党委", town)
    village = Org("T2", "党总支", town)
    branches = [Org(f"T1-{n}", "党支部", community, 20 + n) for n in range(3)]
    branches += [Org(f"T2-{n}", "党支部", village, 12 + n) for n in range(2)]
    joint = Org("T9", "联合党支部", town, 9)
    households = []
    for branch in branches:
        for k in range(2):
            home = Org(f"{branch.code}-H{k}", "党员中心户", branch)
            home.linked = set(sorted(branch.own)[k : k + 2])
            households.append(home)
    alliance = Org("TA", "党建联盟", town)
    alliance.linked = branches[0].own | branches[4].own
    return [town, community, village, *branches, joint, *households, alliance]


def metrics(orgs: list[Org]) -> tuple[dict[str, Any], ...]:
    body = orjson.dumps([o.record() for o in orgs])
    found = list(FEEDS["party"].parse(body, NOW))
    assert all(isinstance(e, Event) for e in found), found
    return tuple(e.to_dict() for e in found if isinstance(e, Event))


def shown(data: ModuleData) -> dict[str, str]:
    return {f.label.zh: f.value for f in PARTY.figures(data)}


def test_members_are_the_distinct_members_of_the_structure() -> None:
    orgs = structure()
    people = set().union(*(o.members() for o in orgs))
    sent = metrics(orgs)
    assert sum(m["attrs"]["members"] for m in sent) > 2 * len(people)  # adding up overcounts
    assert shown(ModuleData(NOW, sent))["党员"] == f"{len(people):,}"
    assert orgs[0].record()["dyrs"] == len(people)  # the town committee's own figure agrees


def test_the_structures_levels_are_counted() -> None:
    sent = metrics(structure())
    assert levels(ModuleData(NOW, sent)) == {
        "committees": 3, "alliances": 1, "branches": 6, "households": 10,
    }  # fmt: skip
    found = shown(ModuleData(NOW, sent))
    assert (found["党委 / 联盟"], found["支部 / 党员中心户"]) == ("3 / 1", "6 / 10")


def test_a_household_type_is_mapped_not_flagged() -> None:
    [home] = [m for m in metrics(structure()) if m["attrs"]["org_type"] == "household"][:1]
    assert "unmapped_org_type" not in home["attrs"]
