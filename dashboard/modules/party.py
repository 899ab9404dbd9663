"""党建引领: the structure's levels (党委 → 联盟 → 支部 → 党员中心户), its members counted once
each, and this month's activities (feed `party`).

A parent organisation's 党员数 already counts its children's members, and an alliance or a
党员中心户 groups members who belong to a branch, so adding up `members` over the records
counts a village branch member three times. Every member is placed in exactly one branch
(党支部 or 联合党支部: the Party's constitution puts each member in one), so the members are
the sum over the branches alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.modules._base import (
    PEOPLE,
    Figure,
    Module,
    ModuleData,
    Text,
    attrs,
    beijing_day,
    number,
    numbers,
)

# The structure's levels 党委 → 联盟 → 支部 → 党员中心户 (党总支 sits at the level of a 党委), by
# the organisation types each counts (ingest/mappings/party.json). A panel has room for four
# figures, so the levels go two to a figure, read left to right: "17 / 3" committees and
# alliances.
LEVELS: tuple[tuple[str, frozenset[str]], ...] = (
    ("committees", frozenset({"committee", "joint_committee", "general_branch"})),
    ("alliances", frozenset({"alliance"})),
    ("branches", frozenset({"branch", "joint_branch"})),
    ("households", frozenset({"household"})),
)
PAIRS = (
    (Text("党委 / 联盟", "Committees / alliances"), ("committees", "alliances")),
    (Text("支部 / 党员中心户", "Branches / member households"), ("branches", "households")),
)
BRANCHES = frozenset({"branch", "joint_branch"})  # where each member is counted, once
UNITS = Text("个", "")


def levels(organisations: list[Mapping[str, Any]]) -> dict[str, int]:
    """How many organisations of each level of the structure."""
    return {
        level: sum(1 for a in organisations if a.get("org_type") in types)
        for level, types in LEVELS
    }


def members(organisations: list[Mapping[str, Any]]) -> float | None:
    """Party members, each once: the sum of the branches' members (None: none sent)."""
    found = numbers(a.get("members") for a in organisations if a.get("org_type") in BRANCHES)
    return sum(found) if found else None


def figures(data: ModuleData) -> list[Figure]:
    orgs = [attrs(o) for o in data.records("party", "organisation")]
    today = data.today
    month = [
        a
        for a in data.records("party", "activity")
        if (day := beijing_day(a.get("occurred_at")))
        and (day.year, day.month) == (today.year, today.month)
    ]
    if not orgs and not month:
        return []
    counted = levels(orgs)
    found = [
        Figure(label, " / ".join(number(counted[level]) for level in pair), UNITS)
        for label, pair in PAIRS
    ]
    if (people := members(orgs)) is not None:
        found.append(Figure(Text("党员", "Members"), number(people), PEOPLE))
    found.append(
        Figure(Text("本月活动", "Activities this month"), number(len(month)), Text("次", ""))
    )
    return found


MODULE = Module("party", Text("党建引领", "Party leadership"), "党建引领", figures, order=10)
