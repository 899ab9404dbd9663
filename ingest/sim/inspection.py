"""A plausible 执法检查 feed: the checks the town's enforcement squads make across their ten
domains, the 双随机 random checks among them, and the publication of those results.

Every number synthetic. In office hours (``checks_per_day`` on a working day) a squad checks
someone: a 双随机 random check (an active enterprise of the roster drawn at random under its
squad's task of the month), a patrol, a campaign check or a complaint's verification. A check
of a market, food, environment or work-safety rule is of an enterprise (its code and point);
the others are of a street address. The squad is the one of the place: the 镇区 squad in the
communities, the north or south squad in the villages north or south of the town's centre.
Two or three inspectors go; most checks find nothing, a quarter order a rectification, a few
file a case. A random check's result is published (一公开) within a few working days: the
same 检查编号 sent again with 公示时间.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from core.times import beijing
from ingest.coords import CRS, from_wgs84
from ingest.sim.common import (
    OFFICE_WEEK,
    Arrivals,
    DayCurve,
    Pending,
    Record,
    beijing_text,
    json_bodies,
    office_time,
    open_between,
    pick,
    street_address,
    town_point,
)
from ingest.sim.firms import Firm
from layers.index import GridIndex
from layers.town import Town

SQUADS = ("综合执法一中队", "综合执法二中队", "综合执法三中队")  # 镇区, north, south
CHECK_TYPES = ("双随机抽查", "日常巡查", "专项检查", "投诉举报核查")
CHECK_WEIGHTS = (0.35, 0.4, 0.15, 0.1)
# (领域, weight, of an enterprise?)
DOMAINS = (
    ("市容环境", 0.22, False),
    ("园林绿化", 0.05, False),
    ("市政公用", 0.06, False),
    ("规划建设", 0.11, False),
    ("环境保护", 0.12, True),
    ("工商行政", 0.1, True),
    ("食品安全", 0.13, True),
    ("交通运输", 0.06, False),
    ("水务", 0.04, False),
    ("安全生产", 0.11, True),
)
PLACES = ("沿街商铺", "建筑工地", "农贸市场周边", "河道沿线", "小区出入口", "公交站台")
RESULTS = ("未发现问题", "责令整改", "立案查处")
RESULT_WEIGHTS = (0.7, 0.25, 0.05)
# The squads check in office hours, with a lunch break, on working days.
CURVE = DayCurve(lambda h: 1.0 if open_between(h, (8.5, 11.5), (13.5, 17.0)) else 0.0, OFFICE_WEEK)


@dataclass
class InspectionFeed:
    """The enforcement team's case-handling system (执法办案平台): its checks."""

    town: Town
    firms: list[Firm]
    checks_per_day: float = 14.0
    seed: int = 0
    first_number: int = 1
    backfill_span: timedelta = timedelta(0)
    feed: str = "inspection"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 12])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.checks_per_day, CURVE)
        self._pending: Pending[Record] = Pending()
        self._active = [f for f in self.firms if f.active]
        self._index = GridIndex.from_town(self.town)

    def backfill(self, now: datetime) -> list[bytes]:
        """This month's checks so far (or the backfill span, if longer): the month's tasks
        are under way when the centre starts."""
        local = beijing(now)
        month = now - local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return self.tick(now, max(self.backfill_span, month).total_seconds())

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        records = [self.check(t) for t in self._arrivals.between(now, seconds)]
        return json_bodies(records + self._pending.due(now))

    def squad(self, lon: float, lat: float) -> str:
        """The squad of a place: 镇区 in a community, else north or south of the centre."""
        grid = self._index.assign_one(lon, lat)
        if grid is not None:
            village = str(self.town.l2.at[grid, "village"])
            if self.town.l1.at[village, "kind"] == "community":
                return SQUADS[0]
        return SQUADS[1] if lat >= self.town.centre[1] else SQUADS[2]

    def check(self, t: datetime) -> Record:
        """A check at ``t``; a random check's publication is scheduled."""
        kind = pick(self.rng, CHECK_TYPES, CHECK_WEIGHTS)
        domain, _, of_firm = pick(self.rng, DOMAINS, [d[1] for d in DOMAINS])
        record: Record = {"jcbh": f"JC-{beijing(t):%Y%m%d}-{next(self._numbers):04d}",
                          "jclx": kind, "zfly": domain}  # fmt: skip
        if of_firm or kind == CHECK_TYPES[0]:
            firm = self._active[int(self.rng.integers(len(self._active)))]
            target, address, (lon, lat) = firm.name, firm.address, (firm.lon, firm.lat)
            record["tyshxydm"] = firm.uscc
        else:
            lon, lat = town_point(self.rng, self.town.boundary, self.town.centre, 0.5)
            address = street_address(self.rng, f"江阴市{self.town.name}")
            target = f"{address}{self.rng.choice(PLACES)}"
        squad = self.squad(lon, lat)
        if kind == CHECK_TYPES[0]:
            record["rwbh"] = f"SSJ-{beijing(t):%Y%m}-{SQUADS.index(squad) + 1:02d}"
        x, y = from_wgs84(lon, lat, CRS.CGCS2000)
        record |= {
            "jcdx": target,
            "zfdw": squad,
            "jcrs": int(self.rng.choice((2, 2, 2, 3))),
            "jcsj": beijing_text(t),
            "jcjg": pick(self.rng, RESULTS, RESULT_WEIGHTS),
            "dz": address,
            "zbx": round(x, 6),
            "zby": round(y, 6),
            "zbxt": CRS.CGCS2000.value,
        }
        if kind == CHECK_TYPES[0]:
            days = timedelta(days=float(self.rng.uniform(1, 7)))
            published = office_time(self.rng, t + days)
            self._pending.push(published, {**record, "gssj": beijing_text(published)})
        return record
