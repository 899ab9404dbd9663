"""A plausible 用工监测 feed: daily headcount snapshots of the monitored enterprises, and the
rare wage-arrears alert.

Every active enterprise of the roster with 50 or more employees (or above designated size)
reports once a Beijing day, at its own hour (give or take 40 minutes): headcount moves by its
hires and separations. At start each sends its latest snapshot. ``arrears_per_day`` alerts
(in office hours) name an employer — usually a builder and its project — then progress
(已受理, 调解中) to 已化解 over the following days.
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
)
from ingest.sim.firms import Firm

CHANNELS = ("12345热线", "网格员上报", "工资专户监管", "劳动保障监察")
CHANNEL_WEIGHTS = (0.4, 0.25, 0.2, 0.15)
PROJECTS = ("农民安置房三期工程", "新建标准厂房工程", "道路改造提升工程", "河道整治工程")
PROGRESS = (("已受理", 0.1, 0.5), ("调解中", 0.6, 2.0), ("已化解", 3.0, 10.0))  # (zt, days)
# Office hours on working days: the office rests at the weekend.
CURVE = DayCurve(lambda h: 1.0 if open_between(h, (8.5, 17.5)) else 0.0, OFFICE_WEEK)


@dataclass
class LabourFeed:
    """The labour-monitoring platform: snapshots and wage-arrears alerts."""

    firms: list[Firm]
    arrears_per_day: float = 0.5
    seed: int = 0
    first_number: int = 1
    backfill_span: timedelta = timedelta(0)
    feed: str = "labour"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 9])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.arrears_per_day, CURVE)
        self._pending: Pending[Record] = Pending()
        self._snapshots: Pending[tuple[Firm, datetime]] = Pending()
        self._active = [f for f in self.firms if f.active]
        self.monitored = [
            f for f in self.firms if f.active and (f.employees >= 50 or f.above_scale)
        ]
        self._headcount = {f.uscc: f.employees for f in self.monitored}
        self._hour = {f.uscc: float(self.rng.uniform(8.5, 17.5)) for f in self.monitored}
        self._builders = [f for f in self._active if f.industry.section == "E"]

    def backfill(self, now: datetime) -> list[bytes]:
        """Each monitored enterprise's latest snapshot, and the alerts of the backfill span."""
        snapshots = []
        for firm in self.monitored:
            today = self._report_time(firm, beijing(now))
            latest = today if today <= now else self._report_time(firm, beijing(now) - _DAY)
            snapshots.append(self.snapshot(firm, latest))
        return json_bodies(snapshots) + self.tick(now, self.backfill_span.total_seconds())

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        alerts = [self.alert(t) for t in self._arrivals.between(now, seconds)]
        snapshots = [self.snapshot(firm, t) for firm, t in self._snapshots.due(now)]
        return json_bodies(snapshots + alerts + self._pending.due(now))

    def _report_time(self, firm: Firm, day: datetime) -> datetime:
        midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
        jitter = float(self.rng.uniform(-40, 40))
        return midnight + timedelta(hours=self._hour[firm.uscc], minutes=jitter)

    def snapshot(self, firm: Firm, t: datetime) -> Record:
        """The firm's snapshot at ``t``; its next one is scheduled for tomorrow."""
        headcount = self._headcount[firm.uscc]
        hires, leaves = (int(n) for n in self.rng.poisson(headcount * 0.004, 2))
        headcount = max(headcount + hires - leaves, 1)
        self._headcount[firm.uscc] = headcount
        record: Record = {
            "sjlx": "用工快照",
            "tyshxydm": firm.uscc,
            "qymc": firm.name,
            "jcrq": beijing(t).date().isoformat(),
            "zgrs": headcount,
            "xzrs": hires,
            "jsrs": leaves,
            "qgrs": int(headcount * float(self.rng.uniform(0.01, 0.08))),
            "cbrs": headcount - int(self.rng.poisson(headcount * 0.03)),
        }
        following = self._report_time(firm, beijing(t) + _DAY)
        self._snapshots.push(following, (firm, following))
        return record

    def alert(self, t: datetime) -> Record:
        """A wage-arrears alert at ``t``, then its progress."""
        builder = bool(self._builders) and self.rng.random() < 0.7
        pool = self._builders if builder else self._active
        firm = pool[int(self.rng.integers(len(pool)))]
        workers = int(self.rng.integers(5, 61))
        months = int(self.rng.integers(1, 4))
        lon, lat = from_wgs84(firm.lon, firm.lat, CRS.GCJ02)
        record: Record = {
            "sjlx": "欠薪预警",
            "yjbh": f"QXYJ-{beijing(t):%Y%m%d}-{next(self._numbers):04d}",
            "qymc": firm.name,
            "tyshxydm": firm.uscc,
            "xmmc": str(self.rng.choice(PROJECTS)) if builder else "",
            "qxje": round(workers * months * float(self.rng.uniform(4000, 7000)), -2),
            "sjrs": workers,
            "qxqj": _months_owed(t, months),
            "yjsj": beijing_text(t),
            "yjly": pick(self.rng, CHANNELS, CHANNEL_WEIGHTS),
            "dz": firm.address,
            "zbx": round(lon, 6),
            "zby": round(lat, 6),
            "zbxt": CRS.GCJ02.value,
            "zt": "待处置",
            "qkms": f"{workers}名工人反映近{months}个月工资未发放",
        }
        for status, low, high in PROGRESS:
            when = office_time(self.rng, t + timedelta(days=float(self.rng.uniform(low, high))))
            self._pending.push(when, {**record, "zt": status})
        return record


_DAY = timedelta(days=1)


def _months_owed(t: datetime, months: int) -> str:
    """The unpaid months up to last month: 2026年8月—10月 (the year repeated across January)."""
    local = beijing(t)
    last = local.year * 12 + local.month - 2  # months since year 0 of last month
    first = last - months + 1
    start = f"{first // 12}年{first % 12 + 1}月"
    if months == 1:
        return start
    end = f"{last % 12 + 1}月" if first // 12 == last // 12 else f"{last // 12}年{last % 12 + 1}月"
    return f"{start}—{end}"
