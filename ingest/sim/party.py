"""A plausible 党建 feed: the town's party organisations, sent at start, and their activities
as they are held.

The tree follows the town: the town committee; a 党委 for every community and a 党总支 for
every village, each with one branch per level-2 grid and a retirees' branch; a branch in
every active enterprise above designated size and one joint branch for the small ones; and
a few area alliances (党建联盟); and under each village grid's branch a few 党员中心户, a
member's household linking its neighbours. A parent's membership is the sum of its children's
branches'; an alliance's and a household's members are members of a branch.
Activities (``activities_per_day``) come by day and on weekday evenings, mostly 三会一课 and
主题党日, with attendance as a roll call gives it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from core.times import beijing
from ingest.sim.common import Arrivals, DayCurve, Record, beijing_text, bell, json_bodies, pick
from ingest.sim.firms import Firm
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
ALLIANCES = ("璜塘河沿线党建联盟", "霞客工业园区党建联盟", "文旅融合党建联盟")
CURVE = DayCurve(lambda h: bell(h, 9.5, 1.3) + bell(h, 14.5, 1.3) + 0.6 * bell(h, 19.5, 0.8))


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    kind: str  # 组织类型
    parent: str
    members: int
    probationary: int
    venue: str


@dataclass
class PartyFeed:
    """The party-building platform: the organisation tree, then activities."""

    town: Town
    firms: list[Firm]
    activities_per_day: float = 10.0
    seed: int = 0
    first_number: int = 1
    feed: str = "party"
    rng: np.random.Generator = field(init=False)
    orgs: list[Org] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 11])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.activities_per_day, CURVE)
        self.orgs = self._tree()
        self._branches = [o for o in self.orgs if o.kind in ("党支部", "联合党支部")]

    def _branch(self, code: str, name: str, parent: str, venue: str, kind: str = "党支部") -> Org:
        members = int(self.rng.integers(15, 61))
        probationary = int(self.rng.integers(0, 4))
        return Org(code, name, kind, parent, members, probationary, venue)

    def _grouped(self, code: str, name: str, kind: str, parent: str, children: list[Org]) -> Org:
        members = sum(c.members for c in children)
        probationary = sum(c.probationary for c in children)
        return Org(code, name, kind, parent, members, probationary, children[0].venue)

    def _tree(self) -> list[Org]:
        prefix = f"中共江阴市{self.town.name}"
        grids = self.town.l2.groupby("village").size()
        orgs: list[Org] = []
        l1 = self.town.l1
        rows = zip(l1.index, l1["name"], l1["kind"], strict=True)
        for i, (village, name, kind) in enumerate(rows, start=1):
            code, venue = f"{TOWN_CODE}{i:03d}", f"{name}党群服务中心"
            names = [f"第{NUMERALS[j % 10]}党支部" for j in range(int(grids.get(village, 1)))]
            children = [
                self._branch(f"{code}{j:03d}", f"{prefix}{name}{n}", code, venue)
                for j, n in enumerate([*names, "老年党支部"], start=1)
            ]
            org_type = "党委" if kind == "community" else "党总支"
            title = "委员会" if org_type == "党委" else "总支部委员会"
            orgs += [self._grouped(code, f"{prefix}{name}{title}", org_type, TOWN_CODE, children)]
            orgs += children
            orgs += [h for branch in children[:-1] for h in self._households(branch)]
        orgs += self._enterprise_branches(prefix)
        top = [o for o in orgs if o.parent == TOWN_CODE]
        town = self._grouped(TOWN_CODE, f"{prefix}委员会", "党委", "", top)
        alliances = [
            Org(f"{TOWN_CODE}{900 + k:03d}", name, "党建联盟", TOWN_CODE, 0, 0, town.venue)
            for k, name in enumerate(ALLIANCES, start=1)
        ]
        return [town, *orgs, *alliances]

    def _households(self, branch: Org) -> list[Org]:
        """党员中心户 under a grid's branch: one or two members each, all of the branch."""
        return [
            Org(f"{branch.code}H{k}", f"{branch.name}党员中心户{k}", "党员中心户", branch.code,
                int(self.rng.integers(1, 3)), 0, branch.venue)
            for k in range(1, int(self.rng.integers(2, 5)))
        ]  # fmt: skip

    def _enterprise_branches(self, prefix: str) -> list[Org]:
        big = [f for f in self.firms if f.active and f.above_scale]
        branches = [
            self._branch(f"{TOWN_CODE}{500 + k:03d}", f"中共{f.name}支部委员会", TOWN_CODE,
                         f"{f.name}党员活动室")
            for k, f in enumerate(big, start=1)
        ]  # fmt: skip
        joint = self._branch(
            f"{TOWN_CODE}599",
            f"{prefix}非公企业联合支部委员会",
            TOWN_CODE,
            "镇党群服务中心",
            "联合党支部",
        )
        return [*branches, joint]

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
