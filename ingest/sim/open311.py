"""Plausible citizens' apps speaking Open311 GeoReport v2: rare service requests, each one
form-encoded body as ``POST requests.json`` takes it.

Most come from a phone with its GPS point (WGS84); one in four gives only an address. Every
request carries its own ``idempotency_key``, so two citizens reporting the same thing in the
same words are two requests, not a re-send.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

import numpy as np
import shapely

from ingest.sim.common import Arrivals, DayCurve, bell, pick, street_address, town_point
from layers.town import Town

# (service_code of services.json, weight, descriptions)
REQUESTS = (
    ("001", 4, ("小区门口机动车占用人行道停放", "消防通道被车辆堵住")),
    ("003", 4, ("路边垃圾堆了好几天没人清运", "河边堆放生活垃圾，气味很大")),
    ("006", 3, ("路灯晚上不亮，已经好几天了", "路灯白天一直亮着")),
    ("005", 1, ("窨井盖破损，有行人绊倒风险", "井盖缺失，已用砖块临时围挡")),
    ("008", 2, ("下雨后路面积水很深，车辆难以通行",)),
    ("010", 2, ("夜间工厂机器噪声很大，影响休息",)),
    ("099", 1, ("建议在学校门口增设减速带",)),
)
# Citizens write by day and in the evening, a little more on Mondays, less at the weekend.
CURVE = DayCurve(
    lambda h: 0.05 + bell(h, 9.0, 2.0) + bell(h, 19.5, 2.5), (1.2, 1, 1, 1, 1, 0.85, 0.85)
)


@dataclass
class Open311Feed:
    """Citizens' requests: ``per_day`` a day, by day and in the evening."""

    town: Town
    per_day: float = 24.0
    seed: int = 0
    first_number: int = 1
    backfill_span: timedelta = timedelta(0)
    feed: str = "open311"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 12])
        self._numbers = itertools.count(self.first_number)
        self._arrivals = Arrivals(self.rng, self.per_day, CURVE)
        shapely.prepare(self.town.boundary)

    def backfill(self, now: datetime) -> list[bytes]:
        return self.tick(now, self.backfill_span.total_seconds())

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        return [self.request(t) for t in self._arrivals.between(now, seconds)]

    def request(self, t: datetime) -> bytes:
        """One POST Service Request, form-encoded."""
        code, _, texts = pick(self.rng, REQUESTS, [r[1] for r in REQUESTS])
        form: list[tuple[str, str]] = [
            ("service_code", code),
            ("description", str(self.rng.choice(texts))),
            ("address_string", street_address(self.rng, self.town.name)),
        ]
        if self.rng.random() >= 0.25:
            lon, lat = town_point(self.rng, self.town.boundary, self.town.centre, 0.6)
            form += [("lat", f"{lat:.6f}"), ("long", f"{lon:.6f}")]
        device = int(self.rng.integers(10**7, 10**8))
        form += [
            ("device_id", f"xk{device}"),
            ("idempotency_key", f"{t.timestamp():.0f}-{next(self._numbers)}"),
        ]
        return urlencode(form).encode("ascii")
