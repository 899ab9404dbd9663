"""党建引领: the structure's levels (党委 → 联盟 → 支部 → 党员中心户), its members counted once
each, and this month's activities (feed `party`, read from its summary).

A parent organisation's 党员数 already counts its children's members, and an alliance or a
党员中心户 groups members who belong to a branch, so adding up `members` over the records
counts a village branch member three times. Every member is placed in exactly one branch
(党支部 or 联合党支部: the Party's constitution puts each member in one), so the members are
the sum over the branches alone.
"""

from __future__ import annotations

from dashboard.modules._base import (
    PEOPLE,
    TIMES,
    UNITS,
    Figure,
    Module,
    ModuleData,
    Text,
    number,
    pair,
)

FEED = "party"
# The structure's levels 党委 → 联盟 → 支部 → 党员中心户 (党总支 sits at the level of a 党委), by
# the organisation types each counts (ingest/mappings/party.json). A panel has room for four
# figures, so the levels go two to a figure, read left to right: "17 / 21" committees and
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


def levels(data: ModuleData) -> dict[str, int]:
    """How many organisations of each level of the structure."""
    return {
        level: sum(data.tally(FEED, record="organisation", org_type=t) for t in types)
        for level, types in LEVELS
    }


def members(data: ModuleData) -> int | None:
    """Party members, each once: the sum of the branches' members (None: none sent)."""
    found = [data.total(FEED, "members", record="organisation", org_type=t) for t in BRANCHES]
    sent = [n for n in found if n is not None]
    return sum(sent) if sent else None


def this_month(data: ModuleData) -> str:
    return f"{data.today.year:04d}-{data.today.month:02d}"


def figures(data: ModuleData) -> list[Figure]:
    counted = levels(data)
    month = data.tally(FEED, record="activity", month=this_month(data))
    if not any(counted.values()) and not month:
        return []
    found = [
        Figure(label, pair(*(counted[level] for level in shown)), UNITS) for label, shown in PAIRS
    ]
    if (people := members(data)) is not None:
        found.append(Figure(Text("党员", "Members"), number(people), PEOPLE))
    found.append(Figure(Text("本月活动", "Activities this month"), number(month), TIMES))
    return found


MODULE = Module("party", Text("党建引领", "Party leadership"), "党建引领", figures, order=10)
