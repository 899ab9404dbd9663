"""A plausible 数字城管 feed: new cases spread over the town, then their status updates."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from core.times import beijing
from ingest.coords import CRS, from_wgs84
from ingest.sim.common import ROADS, Pending, town_point

# (ajlx, xlbm, dlmc, xlmc, weight, description template): frequencies like a real town's
# bulletin — parking, vending and garbage dominate; manhole covers are rare.
CATALOGUE: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("事件", "0501", "街面秩序", "机动车乱停放", 26.0, "{road}机动车占用人行道停放"),
    ("事件", "0502", "街面秩序", "非机动车乱停放", 6.0, "{road}非机动车无序停放堵塞盲道"),
    ("事件", "0503", "街面秩序", "占道经营", 12.0, "{road}商户店外占道经营"),
    ("事件", "0504", "街面秩序", "无照经营游商", 6.0, "{road}流动摊贩占道兜售"),
    ("事件", "0101", "市容环境", "暴露垃圾", 16.0, "{road}路边暴露垃圾未清运"),
    ("事件", "0102", "市容环境", "积存垃圾渣土", 5.0, "{road}积存建筑渣土"),
    ("事件", "0103", "市容环境", "道路不洁", 5.0, "{road}路面油污不洁"),
    ("事件", "0106", "市容环境", "乱堆物堆料", 6.0, "{road}人行道乱堆杂物"),
    ("事件", "0201", "宣传广告", "违规户外广告", 4.0, "{road}违规张贴小广告"),
    ("事件", "0301", "施工管理", "施工扰民", 2.5, "{road}工地夜间施工噪声扰民"),
    ("事件", "0302", "施工管理", "施工废弃料", 2.5, "{road}施工废弃料未及时清理"),
    ("事件", "0402", "突发事件", "道路积水", 1.5, "{road}路面积水影响通行"),
    ("事件", "0401", "突发事件", "路面塌陷", 0.4, "{road}路面局部塌陷"),
    ("部件", "0201", "公用设施", "路灯", 3.0, "{road}路灯不亮"),
    ("部件", "0301", "道路交通", "道路护栏", 2.0, "{road}道路护栏损坏"),
    ("部件", "0401", "园林绿化", "行道树", 1.5, "{road}行道树倾斜"),
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
        """Acknowledge in 2–25 minutes (some miss the 15-minute rule), close later."""
        ack = now + timedelta(minutes=float(self.rng.uniform(2, 25)))
        close = ack + timedelta(minutes=float(self.rng.uniform(10, 120)))
        for when, status in ((ack, "已受理"), (close, "已结案")):
            self._pending.push(when, {**record, "zt": status})

    def due_updates(self, now: datetime) -> list[dict[str, Any]]:
        """Status updates whose time has come."""
        return self._pending.due(now)


@dataclass
class UrbanFeed:
    """The 数字城管 system: new cases at ``rate`` per second (Poisson), then their updates."""

    sim: UrbanSimulator
    rate: float
    backfill_span: timedelta = timedelta(0)
    feed: str = "urban"

    def backfill(self, now: datetime) -> list[bytes]:
        """The cases of the last ``backfill_span`` (with the updates due since), in bodies."""
        span = self.backfill_span.total_seconds()
        if span <= 0 or self.rate <= 0:
            return []
        offsets = np.cumsum(self.sim.rng.exponential(1 / self.rate, size=int(self.rate * span * 2)))
        times = [
            now - self.backfill_span + timedelta(seconds=float(o)) for o in offsets if o < span
        ]
        records = [self.sim.new_record(t) for t in times] + self.sim.due_updates(now)
        return [orjson.dumps(records[i : i + 500]) for i in range(0, len(records), 500)]

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        count = int(self.sim.rng.poisson(self.rate * seconds))
        records = [self.sim.new_record(now) for _ in range(count)] + self.sim.due_updates(now)
        return [orjson.dumps(records)] if records else []
