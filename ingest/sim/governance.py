"""A plausible 综治 grid-governance export: events by category frequency, reported by the grid
workers in office-ish hours, sent as GBK CSV with the Chinese header.

Most rows carry the WGS84 point and the grid it lies in; ``unlocated_share`` of them have
empty coordinates (the engine places them at the grid's centroid) and ``mismatch_share``
claim a grid (所属网格) other than the one their point lies in, as a worker reporting from a
neighbouring grid does. Every row is valid: none is meant to be dead-lettered.
A backfill sends the day's export so far, as the system hands it over on connecting.
"""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely

from core.times import beijing
from ingest.sim.common import (
    Arrivals,
    DayCurve,
    bell,
    pick,
    since_midnight,
    street_address,
    town_point,
)
from layers.town import Town

HEADER = (
    "事件编号", "事件类别", "事件子类", "所属网格", "上报人", "上报时间",
    "事发地址", "经度", "纬度", "事件描述", "紧急程度",
)  # fmt: skip
# (事件类别, 事件子类, weight, description): shares like a town's monthly 综治 bulletin.
CATALOGUE: tuple[tuple[str, str, float, str], ...] = (
    ("矛盾纠纷", "邻里纠纷", 6, "两户因{what}发生争执，网格员已到场劝解"),
    ("矛盾纠纷", "土地宅基地纠纷", 3, "村民因宅基地边界争执，申请村调委会调解"),
    ("矛盾纠纷", "婚姻家庭纠纷", 2, "夫妻因家庭琐事争吵，邻居报告"),
    ("矛盾纠纷", "劳资纠纷", 2, "务工人员反映{what}，要求协调"),
    ("治安隐患", "出租房屋未登记", 3, "出租房屋新入住人员未登记"),
    ("治安隐患", "可疑人员", 1, "发现陌生人员多次在{what}附近徘徊"),
    ("安全隐患", "电动车违规充电", 5, "楼道内电动车飞线充电"),
    ("安全隐患", "消防通道堵塞", 3, "消防通道被杂物和车辆堵塞"),
    ("安全隐患", "燃气使用隐患", 2, "餐饮店液化气钢瓶与灶具间距不足"),
    ("安全隐患", "河塘防护缺失", 1, "河塘边护栏缺失，有儿童玩耍"),
    ("民生服务", "独居老人关爱", 4, "走访独居老人，反映{what}"),
    ("民生服务", "困难群众求助", 3, "困难家庭申请临时救助，已告知办理流程"),
    ("民生服务", "设施报修", 3, "{what}损坏，群众要求维修"),
    ("环境卫生", "垃圾乱堆放", 6, "路边生活垃圾和建筑垃圾混堆"),
    ("环境卫生", "河道漂浮物", 3, "河道内漂浮物较多，影响河面整洁"),
    ("环境卫生", "污水外溢", 2, "窨井堵塞，生活污水外溢"),
    ("其他", "其他", 2, "群众反映{what}，已登记"),
)
WHAT = ("门前停车", "排水沟渠", "工资拖欠", "路灯", "健身器材", "生活不便", "噪声问题", "小路口")
URGENCY = (("一般", 0.90), ("紧急", 0.09), ("特急", 0.01))
# Grid workers report on their rounds: mornings and afternoons, little at night, fewer at the
# weekend, when only the duty staff go.
CURVE = DayCurve(
    lambda h: 0.05 + bell(h, 10.0, 1.5) + 0.9 * bell(h, 15.0, 1.5), (1, 1, 1, 1, 1, 0.5, 0.45)
)


@dataclass
class GovernanceFeed:
    """The grid system: ``per_day`` events a day by the day curve, exported as CSV."""

    town: Town
    per_day: float = 240.0
    seed: int = 0
    first_number: int = 1
    unlocated_share: float = 0.08
    mismatch_share: float = 0.04
    backfill_span: timedelta = timedelta(0)
    feed: str = "governance"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 2])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.per_day, CURVE)
        self._grids = self.town.l2.geometry.to_numpy()
        self._codes = list(self.town.l2.index)
        shapely.prepare(self.town.boundary)
        shapely.prepare(self._grids)
        self._weights = [c[2] for c in CATALOGUE]

    def backfill(self, now: datetime) -> list[bytes]:
        """Today's export so far (Beijing day), or the backfill span if longer."""
        if self.backfill_span <= timedelta(0):
            return []
        return self.tick(now, max(self.backfill_span, since_midnight(now)).total_seconds())

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        rows = [self.row(t) for t in self._arrivals.between(now, seconds)]
        return [csv_body(rows)] if rows else []

    def row(self, t: datetime) -> list[str]:
        """One event as the export's cells, in HEADER order."""
        category, sub, _, template = pick(self.rng, CATALOGUE, self._weights)
        lon, lat, grid = self._locate()
        claimed = self._claim(grid)
        located = self.rng.random() >= self.unlocated_share
        return [
            f"ZZ{beijing(t):%Y%m%d}{next(self._numbers):04d}",
            category,
            sub,
            claimed,
            self._reporter(claimed),
            _short_time(t),
            self._address(grid),
            f"{lon:.6f}" if located else "",
            f"{lat:.6f}" if located else "",
            template.format(what=self.rng.choice(WHAT)),
            pick(self.rng, [u for u, _ in URGENCY], [w for _, w in URGENCY]),
        ]

    def _locate(self) -> tuple[float, float, str]:
        """A point in the town and the level-2 grid it lies in."""
        while True:
            lon, lat = town_point(self.rng, self.town.boundary, self.town.centre, 0.3)
            inside = np.flatnonzero(shapely.contains_xy(self._grids, lon, lat))
            if inside.size:
                return lon, lat, self._codes[int(inside[0])]

    def _claim(self, grid: str) -> str:
        """The grid the reporter names: their own, now and then a neighbour's."""
        if self.rng.random() >= self.mismatch_share:
            return grid
        village = self.town.grid_info(grid).village
        same = [c for c in self._codes if c != grid and self.town.grid_info(c).village == village]
        others = same or [c for c in self._codes if c != grid]
        return str(self.rng.choice(others))

    def _reporter(self, grid: str) -> str:
        staff = self.town.roster.get(grid, [])
        return next((p.name for p in staff if p.role == "member"), "网格员")

    def _address(self, grid: str) -> str:
        info = self.town.grid_info(grid)
        if info.village_name.endswith("村"):
            return f"{info.village_name}{int(self.rng.integers(1, 20))}组"
        return street_address(self.rng, info.village_name)


def _short_time(t: datetime) -> str:
    """The export's time: 2026/11/28 9:05 (no leading zeros, no seconds)."""
    local = beijing(t)
    return f"{local.year}/{local.month}/{local.day} {local.hour}:{local.minute:02d}"


def csv_body(rows: list[list[str]]) -> bytes:
    """The CSV file as the grid system exports it: Chinese header, CRLF, GBK."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("gbk")
