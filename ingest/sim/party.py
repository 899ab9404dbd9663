"""A plausible 党建 feed: the town's party organisations, sent at start, and their activities
as they are held.

The structure is the seed's town, every organisation and member synthetic: ``alliances``
(21) 党建联盟, ``branches`` (154) 支部 and ``households`` (377) 党员中心户, under the party
committees the town has — the town committee, a 党委 for every community and a 党总支 for
every village. 支部建在网格上: every branch names the level-2 grid it works in (所属网格,
`wgbm`). A village has ``per_grid`` (2) branches in each of its grids and a retirees' branch
(in its first grid, where its 党群服务中心 is); the other branches are the enterprises': one in
each of the largest active 规上 firms, and a joint branch (联合党支部) of the small ones in each
of the grids with the most firms, about one joint branch to nine of their own. The 党员中心户
— a member's household linking its neighbours — hang under the grids' branches (at least
three each, the rest spread at random) and name their branch's grid. The alliances are the
area and trade ones (five) and one 村企联建 alliance per village. A parent's membership is the
sum of its children's branches'; an alliance's and a household's members are members of a
branch.
Activities (``activities_per_day``, about four a branch a month) come by day and on weekday
evenings, mostly 三会一课 and 主题党日, with attendance as a roll call gives it.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from core.times import beijing
from ingest.sim.common import Arrivals, DayCurve, Record, beijing_text, bell, json_bodies, pick
from ingest.sim.firms import Firm
from layers.index import GridIndex
from layers.town import Town

TOWN_CODE = "0320281113"
NUMERALS = "一二三四五六七八九十"
# (活动类型, weight, whole branch expected?, themes)
ACTIVITIES = (
    ("主题党日", 0.25, True, ("“红色网格”入户走访", "重温入党誓词", "清洁家园志愿行动")),
    ("党小组会", 0.2, False, ("学习传达上级会议精神", "交流网格走访情况")),
    ("支部委员会", 0.2, False, ("研究发展党员工作", "讨论季度工作安排")),
    ("党课", 0.12, True, ("书记讲党课：基层治理与为民服务", "安全生产专题党课")),
    ("支部党员大会", 0.08, True, ("接收预备党员", "选举支部委员")),
    ("志愿服务", 0.08, False, ("关爱独居老人", "河道保洁志愿服务")),
    ("学习教育", 0.05, True, ("党纪学习教育", "理论学习中心组扩大学习")),
    ("组织生活会", 0.02, True, ("年度组织生活会暨民主评议党员",)),
)
# The area and trade alliances; then one 村企联建 alliance per village, as many as asked.
ALLIANCES = (
    "璜塘河沿线党建联盟", "霞客工业园区党建联盟", "文旅融合党建联盟", "物流运输行业党建联盟",
    "现代农业党建联盟",
)  # fmt: skip
CURVE = DayCurve(lambda h: bell(h, 9.5, 1.3) + bell(h, 14.5, 1.3) + 0.6 * bell(h, 19.5, 0.8))
BRANCH_TYPES = ("党支部", "联合党支部")
MIN_HOUSEHOLDS = 3  # under each grid's branch
JOINT_SHARE = 10  # one joint branch in this many enterprise branches


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    kind: str  # 组织类型
    parent: str
    members: int
    probationary: int
    venue: str
    grid: str = ""  # 所属网格 (branches and 党员中心户)


@dataclass
class PartyFeed:
    """The party-building platform: the organisation tree, then activities."""

    town: Town
    firms: list[Firm]
    activities_per_day: float = 20.0
    seed: int = 0
    first_number: int = 1
    alliances: int = 21
    branches: int = 154
    households: int = 377
    per_grid: int = 2
    feed: str = "party"
    rng: np.random.Generator = field(init=False)
    orgs: list[Org] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 11])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.activities_per_day, CURVE)
        self.orgs = self._tree()
        self._branches = [o for o in self.orgs if o.kind in BRANCH_TYPES]

    def _branch(
        self, code: str, name: str, parent: str, venue: str, grid: str, kind: str = "党支部"
    ) -> Org:
        members = int(self.rng.integers(20, 71))
        probationary = int(self.rng.integers(0, 4))
        return Org(code, name, kind, parent, members, probationary, venue, grid)

    def _grouped(self, code: str, name: str, kind: str, parent: str, children: list[Org]) -> Org:
        members = sum(c.members for c in children)
        probationary = sum(c.probationary for c in children)
        return Org(code, name, kind, parent, members, probationary, children[0].venue)

    def _tree(self) -> list[Org]:
        prefix = f"中共江阴市{self.town.name}"
        villages, grid_branches = self._villages(prefix)
        enterprise = self._enterprise_branches(prefix, self.branches - _count(villages))
        homes = self._households(grid_branches)
        top = [o for o in [*villages, *enterprise] if o.parent == TOWN_CODE]
        town = self._grouped(TOWN_CODE, f"{prefix}委员会", "党委", "", top)
        names = [*ALLIANCES, *(f"{n}村企联建党建联盟" for n in self.town.l1["name"])]
        names += [f"第{k}党建联盟" for k in range(len(names) + 1, self.alliances + 1)]
        alliances = [
            Org(f"{TOWN_CODE}{900 + k:03d}", name, "党建联盟", TOWN_CODE, 0, 0, town.venue)
            for k, name in enumerate(names[: self.alliances], start=1)
        ]
        return [town, *villages, *homes, *enterprise, *alliances]

    def _villages(self, prefix: str) -> tuple[list[Org], list[Org]]:
        """Each village's committee and branches (``per_grid`` in each grid, then the
        retirees'); and the grids' branches, under which the 党员中心户 go."""
        orgs: list[Org] = []
        grid_branches: list[Org] = []
        l1, l2 = self.town.l1, self.town.l2
        rows = zip(l1.index, l1["name"], l1["kind"], strict=True)
        for i, (village, name, kind) in enumerate(rows, start=1):
            code, venue = f"{TOWN_CODE}{i:03d}", f"{name}党群服务中心"
            grids = list(l2.index[l2["village"] == village])
            own = [
                (grid, f"第{NUMERALS[g % 10]}网格第{NUMERALS[b % 10]}党支部")
                for g, grid in enumerate(grids)
                for b in range(self.per_grid)
            ]
            children = [
                self._branch(f"{code}{j:03d}", f"{prefix}{name}{n}", code, venue, grid)
                for j, (grid, n) in enumerate([*own, (grids[0], "老年党支部")], start=1)
            ]
            org_type = "党委" if kind == "community" else "党总支"
            title = "委员会" if org_type == "党委" else "总支部委员会"
            orgs += [self._grouped(code, f"{prefix}{name}{title}", org_type, TOWN_CODE, children)]
            orgs += children
            grid_branches += children[:-1]
        return orgs, grid_branches

    def _households(self, branches: list[Org]) -> list[Org]:
        """``households`` 党员中心户 under the grids' branches (each at least MIN_HOUSEHOLDS):
        one or two members each, all of the branch, in the branch's grid."""
        spare = max(self.households - MIN_HOUSEHOLDS * len(branches), 0)
        extra = self.rng.multinomial(spare, np.full(len(branches), 1 / len(branches)))
        found: list[Org] = []
        for branch, more in zip(branches, extra, strict=True):
            for k in range(1, MIN_HOUSEHOLDS + int(more) + 1):
                found.append(Org(f"{branch.code}H{k}", f"{branch.name}党员中心户{k}", "党员中心户",
                                 branch.code, int(self.rng.integers(1, 3)), 0, branch.venue,
                                 branch.grid))  # fmt: skip
        return found[: self.households]

    def _enterprise_branches(self, prefix: str, count: int) -> list[Org]:
        """``count`` branches: one in each of the largest active 规上 firms, a joint branch in
        each of the grids with the most other firms."""
        if count < 1:
            raise ValueError(f"the villages' branches already exceed {self.branches}")
        joint = max(1, count // JOINT_SHARE)
        active = [f for f in self.firms if f.active]
        grids = GridIndex.from_town(self.town).assign(
            [f.lon for f in active], [f.lat for f in active]
        )
        placed = [(f, g) for f, g in zip(active, grids, strict=True) if g is not None]
        big = sorted((p for p in placed if p[0].above_scale), key=lambda p: -p[0].employees)
        own = big[: count - joint]
        taken = {f.uscc for f, _ in own}
        busiest = Counter(g for f, g in placed if f.uscc not in taken).most_common(joint)
        names = self.town.l2["name"]
        branches = [
            self._branch(f"{TOWN_CODE}{500 + k:03d}", f"中共{f.name}支部委员会", TOWN_CODE,
                         f"{f.name}党员活动室", grid)
            for k, (f, grid) in enumerate(own, start=1)
        ]  # fmt: skip
        branches += [
            self._branch(f"{TOWN_CODE}{800 + k:03d}",
                         f"{prefix}{names[grid]}非公企业联合支部委员会", TOWN_CODE,
                         "镇党群服务中心", grid, "联合党支部")
            for k, (grid, _) in enumerate(busiest, start=1)
        ]  # fmt: skip
        return branches

    def backfill(self, now: datetime) -> list[bytes]:
        """The organisation tree as of the first of this month."""
        updated = beijing(now).replace(day=1, hour=9, minute=0, second=0, microsecond=0)
        return json_bodies([self.organisation(o, updated) for o in self.orgs])

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        return json_bodies([self.activity(t) for t in self._arrivals.between(now, seconds)])

    @staticmethod
    def organisation(org: Org, updated: datetime) -> Record:
        record: Record = {
            "sjlx": "党组织",
            "zzbm": org.code,
            "zzmc": org.name,
            "zzlx": org.kind,
            "sjzzbm": org.parent,
            "dyrs": org.members,
            "ybdys": org.probationary,
            "gxsj": beijing_text(updated),
        }
        if org.grid:
            record["wgbm"] = org.grid
        return record

    def activity(self, t: datetime) -> Record:
        """An activity held by a branch (larger branches hold more)."""
        org = pick(self.rng, self._branches, [o.members for o in self._branches])
        kind, _, whole, themes = pick(self.rng, ACTIVITIES, [a[1] for a in ACTIVITIES])
        expected = org.members if whole else max(3, org.members // 4)
        record: Record = {
            "sjlx": "党建活动",
            "hdbh": f"HD-{beijing(t):%Y%m%d}-{next(self._numbers):04d}",
            "zzbm": org.code,
            "zzmc": org.name,
            "hdlx": kind,
            "hdzt": str(self.rng.choice(themes)),
            "hdsj": beijing_text(t),
            "hddd": org.venue,
            "cjrs": int(self.rng.binomial(expected, 0.9)),
            "ydrs": expected,
        }
        return record


def _count(orgs: list[Org]) -> int:
    return sum(1 for o in orgs if o.kind in BRANCH_TYPES)
