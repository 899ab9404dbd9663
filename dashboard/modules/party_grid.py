"""网格党建 (支部建在网格上): the grids a branch works in, of the town's, the branches and
党员中心户 that name a grid, and the members of those branches (feed `party`'s summary;
the grids are the town's own file)."""

from __future__ import annotations

from dashboard.modules._base import PEOPLE, UNITS, Figure, Module, ModuleData, Text, number, pair
from dashboard.modules.party import BRANCHES, FEED

HOMES = Text("户", "")


def figures(data: ModuleData) -> list[Figure]:
    by_grid: dict[str, int] = {}
    members = 0
    for kind in BRANCHES:
        for grid, n in data.tallies(FEED, "grid", record="organisation", org_type=kind).items():
            by_grid[grid] = by_grid.get(grid, 0) + n
            found = data.total(FEED, "members", record="organisation", org_type=kind, grid=grid)
            members += found or 0
    homes = data.tallies(FEED, "grid", record="organisation", org_type="household")
    if not by_grid and not homes:
        return []
    grids = data.town.grids if data.town else {}
    covered = [g for g in by_grid if g in grids]
    return [
        Figure(Text("支部覆盖网格", "Grids with a branch"), pair(len(covered), len(grids)), UNITS),
        Figure(Text("网格党支部", "Branches on the grids"), number(sum(by_grid.values())), UNITS),
        Figure(Text("党员中心户", "Member households"), number(sum(homes.values())), HOMES),
        Figure(Text("网格党员", "Members on the grids"), number(members), PEOPLE),
    ]


MODULE = Module(
    "party_grid", Text("网格党建", "Party branches on the grids"), "网格党建", figures, order=150
)
