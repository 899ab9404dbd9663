"""A plausible 企业登记 feed: the town's enterprise registry, sent once at start.

One record per enterprise of the shared roster (``ingest.sim.firms``: the seed's town, 3,216
synthetic enterprises of which 169 above designated size), keyed by its unified social credit
code; points in CGCS2000, as registries drawing on 天地图 keep them. A few are
no longer active (停业, 注销): the other simulators leave those alone. Built from the seed
alone, so a restart on the same day re-sends the same records and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from core.times import beijing
from ingest.coords import CRS, from_wgs84
from ingest.sim.common import Record, beijing_text, json_bodies
from ingest.sim.firms import Firm


@dataclass
class EnterpriseFeed:
    """The registry's export of the roster; nothing more is sent after the start."""

    firms: list[Firm]
    seed: int = 0
    feed: str = "enterprise"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 8])

    def backfill(self, now: datetime) -> list[bytes]:
        return json_bodies([self.record(firm, now) for firm in self.firms])

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        return []

    def record(self, firm: Firm, now: datetime) -> Record:
        lon, lat = from_wgs84(firm.lon, firm.lat, CRS.CGCS2000)
        # The record last changed on a working day of the past year (office hours).
        morning = beijing(now).replace(hour=9, minute=0, second=0, microsecond=0)
        days, minutes = int(self.rng.integers(1, 365)), int(self.rng.integers(0, 480))
        changed = morning - timedelta(days=days) + timedelta(minutes=minutes)
        return {
            "tyshxydm": firm.uscc,
            "qymc": firm.name,
            "qylx": firm.legal_form,
            "hyml": firm.industry.section,
            "hydm": firm.industry.code,
            "gsbz": "是" if firm.above_scale else "否",
            "djzt": firm.status,
            "cyrs": firm.employees,
            "clrq": firm.founded.isoformat(),
            "zcdz": firm.address,
            "jyfw": firm.industry.scope,
            "zbx": round(lon, 6),
            "zby": round(lat, 6),
            "zbxt": CRS.CGCS2000.value,
            "gxsj": beijing_text(changed),
        }
