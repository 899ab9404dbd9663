"""A plausible 数字城管 feed: new cases spread over the town at a town's rates, and the few
status updates the source itself makes (the centre's staff do the rest: responders/)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from core.times import beijing
from ingest.coords import CRS, from_wgs84
from ingest.sim.common import (
    ROADS,
    Arrivals,
    DayCurve,
    Pending,
    arrivals,
    bell,
    json_bodies,
    town_point,
)

# (ajlx, xlbm, dlmc, xlmc, weight, description template): the codes and names of CJ/T 214-2007
# (ingest/mappings/urban.json), at frequencies like a real town's bulletin — parking, vending
# and garbage dominate; manhole covers are rare.
CATALOGUE: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("事件", "0505", "街面秩序", "机动车乱停放", 26.0, "{road}机动车占用人行道停放"),
    ("事件", "0506", "街面秩序", "非机动车乱停放", 6.0, "{road}非机动车无序停放堵塞盲道"),
    ("事件", "0504", "街面秩序", "店外经营", 12.0, "{road}商户店外占道经营"),
    ("事件", "0501", "街面秩序", "无照经营游商", 6.0, "{road}流动摊贩占道兜售"),
    ("事件", "0503", "街面秩序", "占道废品收购", 1.0, "{road}废品收购三轮车占道收购"),
    ("事件", "0502", "街面秩序", "流浪乞讨", 0.5, "{road}有人沿街乞讨"),
    ("事件", "0507", "街面秩序", "乱堆物堆料", 6.0, "{road}人行道乱堆杂物"),
    ("事件", "0102", "市容环境", "暴露垃圾", 16.0, "{road}路边暴露垃圾未清运"),
    ("事件", "0103", "市容环境", "积存垃圾渣土", 5.0, "{road}积存建筑渣土"),
    ("事件", "0104", "市容环境", "道路不洁", 5.0, "{road}路面油污不洁"),
    ("事件", "0101", "市容环境", "私搭乱建", 1.0, "{road}沿街私搭简易棚"),
    ("事件", "0201", "宣传广告", "非法小广告", 4.0, "{road}违规张贴小广告"),
    ("事件", "0301", "施工管理", "施工扰民", 2.5, "{road}工地夜间施工噪声扰民"),
    ("事件", "0302", "施工管理", "工地扬尘", 2.0, "{road}工地裸土未覆盖扬尘"),
    ("事件", "0404", "突发事件", "下水道堵塞或破损", 1.5, "{road}下水道堵塞污水外溢"),
    ("事件", "0401", "突发事件", "路面塌陷", 0.4, "{road}路面局部塌陷"),
    ("部件", "0118", "公用设施", "路灯", 3.0, "{road}路灯不亮"),
    ("部件", "0211", "道路交通", "交通护栏", 2.0, "{road}交通护栏损坏"),
    ("部件", "0402", "园林绿化", "行道树", 1.5, "{road}行道树倾斜"),
    ("部件", "0102", "公用设施", "污水井盖", 0.5, "{road}污水井盖缺失"),
)
SIDES = ("东侧", "西侧", "南侧", "北侧", "路口", "")
# Channel, its share, and the datums its devices send: PDAs WGS84/CGCS2000, apps GCJ-02/BD-09.
CHANNELS: tuple[tuple[str, float, tuple[CRS, ...]], ...] = (
    ("监督员上报", 0.55, (CRS.WGS84, CRS.CGCS2000)),
    ("12345热线", 0.15, (CRS.GCJ02,)),
    ("公众上报", 0.20, (CRS.GCJ02, CRS.GCJ02, CRS.BD09)),
    ("视频智能识别", 0.10, (CRS.WGS84,)),
)


@dataclass
class UrbanSimulator:
    """Generates native urban records; ``tick(now)`` gives what the source would send now."""

    boundary: BaseGeometry
    centre: tuple[float, float]
    seed: int = 0
    first_number: int = 1
    central_share: float = 0.6
    void_share: float = 0.03
    source_closes: bool = False
    rng: np.random.Generator = field(init=False)
    _numbers: itertools.count[int] = field(init=False)
    _pending: Pending[dict[str, Any]] = field(init=False, default_factory=Pending)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self._numbers = itertools.count(self.first_number)
        weights = np.array([c[4] for c in CATALOGUE])
        self._weights = weights / weights.sum()
        shapely.prepare(self.boundary)

    def point(self) -> tuple[float, float]:
        """A WGS84 point in the town: most near the centre, the rest anywhere."""
        return town_point(self.rng, self.boundary, self.centre, self.central_share)

    def new_record(self, now: datetime) -> dict[str, Any]:
        ajlx, xlbm, dlmc, xlmc, _, template = CATALOGUE[
            self.rng.choice(len(CATALOGUE), p=self._weights)
        ]
        channel, crs = self._channel()
        lon, lat = from_wgs84(*self.point(), crs)
        road = f"{self.rng.choice(ROADS)}{int(self.rng.integers(1, 300))}号{self.rng.choice(SIDES)}"
        local = beijing(now)
        record = {
            "ajbh": f"DCM-{local:%Y%m%d}-{next(self._numbers):06d}",
            "wtly": channel, "ajlx": ajlx, "dlmc": dlmc, "xlmc": xlmc, "xlbm": xlbm,
            "wtms": template.format(road=road), "dz": road,
            "zbx": round(lon, 6), "zby": round(lat, 6), "zbxt": crs.value,
            "sbsj": f"{local:%Y-%m-%d %H:%M:%S}", "zt": "待受理", "tp": [],
        }  # fmt: skip
        self._schedule(record, now)
        return record

    def _channel(self) -> tuple[str, CRS]:
        shares = np.array([c[1] for c in CHANNELS])
        name, _, datums = CHANNELS[self.rng.choice(len(CHANNELS), p=shares / shares.sum())]
        return name, datums[int(self.rng.integers(len(datums)))]

    def _schedule(self, record: dict[str, Any], now: datetime) -> None:
        """A few reports the source itself voids (作废: a repeat, or nothing found), 5–40
        minutes on; the rest are the centre's to handle: its staff act on them, not the
        source. A source that runs its own workflow (``source_closes``) acknowledges each in
        2–25 minutes (some miss the 15-minute rule) and closes it later itself."""
        if self.source_closes:
            ack = now + timedelta(minutes=float(self.rng.uniform(2, 25)))
            close = ack + timedelta(minutes=float(self.rng.uniform(10, 120)))
            for when, status in ((ack, "已受理"), (close, "已结案")):
                self._pending.push(when, {**record, "zt": status})
        elif self.rng.random() < self.void_share:
            when = now + timedelta(minutes=float(self.rng.uniform(5, 40)))
            self._pending.push(when, {**record, "zt": "已作废"})

    def due_updates(self, now: datetime) -> list[dict[str, Any]]:
        """Status updates whose time has come."""
        return self._pending.due(now)


# 监督员 patrol in day shifts (07:00–19:00), the public and the hotline add the evening; a
# quieter weekend. A town of 180,000 sees a few hundred reports a day.
CURVE = DayCurve(
    lambda h: 0.06 + bell(h, 9.5, 1.8) + 0.8 * bell(h, 15.0, 2.0) + 0.3 * bell(h, 19.5, 1.5),
    (1, 1, 1, 1, 1, 0.8, 0.75),
)
PER_DAY = 320.0


@dataclass
class UrbanFeed:
    """The 数字城管 system: ``per_day`` new cases an average day by the day and week curve
    (Poisson), or a flat ``rate`` per second to stress; then the source's own updates."""

    sim: UrbanSimulator
    per_day: float = PER_DAY
    backfill_span: timedelta = timedelta(0)
    rate: float | None = None  # new cases a second, flat, instead of the curve
    feed: str = "urban"
    _arrivals: Arrivals = field(init=False)

    def __post_init__(self) -> None:
        self._arrivals = Arrivals(self.sim.rng, self.per_day, CURVE)

    def _times(self, now: datetime, seconds: float) -> list[datetime]:
        if self.rate is None:
            return self._arrivals.between(now, seconds)
        return arrivals(self.sim.rng, lambda _: self.rate or 0.0, now, seconds)

    def backfill(self, now: datetime) -> list[bytes]:
        """The cases of the last ``backfill_span`` (with the updates due since), in bodies."""
        span = self.backfill_span.total_seconds()
        if span <= 0:
            return []
        records = [self.sim.new_record(t) for t in self._times(now, span)]
        return json_bodies(records + self.sim.due_updates(now))

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        records = [self.sim.new_record(t) for t in self._times(now, seconds)]
        return json_bodies(records + self.sim.due_updates(now))
