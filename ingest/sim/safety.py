"""A plausible 安监 feed: inspection rounds that find hazards, then their rectification.

Now and then (``visits_per_day``, in office hours) an inspector visits an enterprise of the
town's roster — riskier trades more often — and records 0–3 hazards: mostly 一般隐患, rarely a
重大隐患. Each hazard is later updated under the same yhbh: 整改中, then 已整改 (at office
hours, mostly before its deadline). One enterprise's code is mistyped in this system (a wrong
check character): the adapter flags it, it is not a dead letter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from core.times import beijing
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
from ingest.sim.firms import Firm, mistype

# (description, can be 重大): what inspectors find, by the trade's hazard profile.
HAZARDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "generic": (
        ("安全出口被货物堵塞", False),
        ("灭火器压力不足未及时更换", False),
        ("配电箱未上锁，线路私拉乱接", False),
        ("安全警示标志缺失", False),
        ("员工三级安全教育记录不全", False),
    ),
    "textile": (
        ("定型机废气处理设施积油未清理", False),
        ("车间坯布等可燃物堆放过多", False),
        ("蒸汽管道保温层破损", False),
    ),
    "chemical": (
        ("储罐区可燃气体报警器失效", True),
        ("危化品仓库超量储存", True),
        ("静电接地装置损坏", False),
        ("动火作业审批手续不全", False),
    ),
    "metal": (
        ("行车钢丝绳磨损超标", False),
        ("冲床光电保护装置失效", False),
        ("喷涂车间通风不良", False),
    ),
    "machinery": (
        ("粉尘涉爆除尘系统未设置锁气卸灰装置", True),
        ("机床防护罩缺失", False),
        ("砂轮机托架间隙过大", False),
    ),
    "construction": (
        ("脚手架连墙件设置不足", False),
        ("临边洞口防护缺失", False),
        ("施工用电未执行三级配电两级保护", False),
        ("深基坑未按方案支护", True),
    ),
}
RISK = {"chemical": 3.0, "metal": 2.0, "machinery": 2.0, "construction": 2.0, "textile": 1.5}
FOUND = (0, 1, 2, 3)
FOUND_WEIGHTS = (0.3, 0.4, 0.2, 0.1)
MAJOR_SHARE = 0.35  # of the hazards that can be 重大 at all
# Inspectors go out in office hours, with a lunch break, on working days.
CURVE = DayCurve(lambda h: 1.0 if open_between(h, (8.5, 11.5), (13.5, 17.0)) else 0.0, OFFICE_WEEK)


@dataclass
class SafetyFeed:
    """The work-safety hazard system: inspections over the roster, then rectification."""

    firms: list[Firm]
    visits_per_day: float = 16.0
    seed: int = 0
    first_number: int = 1
    backfill_span: timedelta = timedelta(0)
    history: timedelta = timedelta(days=3)  # a backfill covers at least this much
    feed: str = "safety"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 5])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.visits_per_day, CURVE)
        self._pending: Pending[Record] = Pending()
        self._active = [f for f in self.firms if f.active]
        self._risk = [RISK.get(f.industry.profile, 0.5) for f in self._active]
        self.typo_firm = self._active[int(self.rng.integers(len(self._active)))]

    def backfill(self, now: datetime) -> list[bytes]:
        """The hazards of the last ``history`` (or the backfill span, if longer)."""
        if self.backfill_span <= timedelta(0):
            return []
        return self.tick(now, max(self.backfill_span, self.history).total_seconds())

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        records = [r for t in self._arrivals.between(now, seconds) for r in self.visit(t)]
        return json_bodies(records + self._pending.due(now))

    def visit(self, t: datetime, firm: Firm | None = None) -> list[Record]:
        """An inspection of ``firm`` (by default one drawn by risk): the hazards it found."""
        firm = firm or pick(self.rng, self._active, self._risk)
        count = pick(self.rng, FOUND, FOUND_WEIGHTS)
        menu = HAZARDS.get(firm.industry.profile, ()) + HAZARDS["generic"]
        chosen = self.rng.choice(len(menu), size=count, replace=False)
        return [self._hazard(firm, t, *menu[int(i)]) for i in chosen]

    def _hazard(self, firm: Firm, t: datetime, description: str, can_be_major: bool) -> Record:
        major = can_be_major and self.rng.random() < MAJOR_SHARE
        days = 30 if major else int(self.rng.integers(7, 16))
        record: Record = {
            "yhbh": f"YH-{beijing(t).year}-{next(self._numbers):04d}",
            "qymc": firm.name,
            "tyshxydm": mistype(firm.uscc) if firm is self.typo_firm else firm.uscc,
            "yhdj": "重大隐患" if major else "一般隐患",
            "yhms": description,
            "pcsj": beijing_text(t, "%Y-%m-%d %H:%M"),
            "zgqx": (beijing(t) + timedelta(days=days)).date().isoformat(),
            "zgzt": "未整改",
            "lon": round(firm.lon, 6),
            "lat": round(firm.lat, 6),
        }
        self._schedule(record, t, days)
        return record

    def _schedule(self, record: Record, t: datetime, days: int) -> None:
        """整改中 within a few days (most), 已整改 by about the deadline (one in ten late)."""
        started = office_time(self.rng, t + timedelta(days=float(self.rng.uniform(0.2, 3))))
        if self.rng.random() < 0.8:
            self._pending.push(started, {**record, "zgzt": "整改中"})
        done = t + timedelta(days=float(self.rng.uniform(0.5, 1.1)) * days)
        done = office_time(self.rng, max(done, started + timedelta(hours=2)))
        self._pending.push(done, {**record, "zgzt": "已整改"})
