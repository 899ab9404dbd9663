"""A plausible 景区客流 feed: the gate counters of the town's scenic spots, one count per spot
per ``interval``, following the day: gates open 08:30–17:00 (Beijing), arrivals peak late in
the morning and again after lunch, visitors stay an hour and a half or so, everyone is out by
17:30, and weekends bring twice the crowd. The day's tally restarts at midnight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import shapely

from core.times import beijing
from ingest.coords import CRS, from_wgs84
from ingest.sim.common import (
    Cadence,
    DayCurve,
    Record,
    beijing_hour,
    beijing_text,
    bell,
    json_bodies,
    open_between,
    town_point,
)
from layers.town import Town

GATES_OPEN = (8.5, 17.0)
CLOSED_BY = 17.5  # Beijing hour by which the last visitors have left
STAY_H = 1.6
WEEKEND = 2.2
CURVE = DayCurve(
    lambda h: bell(h, 10.3, 1.1) + 0.8 * bell(h, 14.3, 1.1) if open_between(h, GATES_OPEN) else 0
)


@dataclass(frozen=True)
class Spot:
    code: str
    name: str
    grade: str
    capacity: int  # 瞬时最大承载量
    weekday: int  # arrivals on a weekday


SPOTS = (
    Spot("JQ320281113001", "徐霞客故居景区", "AAAA", 2000, 2600),
    Spot("JQ320281113002", "霞客湾湿地公园", "AAA", 3000, 2300),
    Spot("JQ320281113003", "璜塘老街", "AA", 1500, 1200),
)


@dataclass
class Gate:
    """A spot's counter: who is inside, and who came in today."""

    spot: Spot
    lon: float
    lat: float
    inside: int = 0
    today: int = 0
    day: str = ""


@dataclass
class TourismFeed:
    """The 智慧文旅 platform's counts of every spot."""

    town: Town
    interval: timedelta = timedelta(seconds=60)
    seed: int = 0
    backfill_span: timedelta = timedelta(0)
    feed: str = "tourism"
    rng: np.random.Generator = field(init=False)
    gates: list[Gate] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 10])
        self._cadence = Cadence(self.interval)
        shapely.prepare(self.town.boundary)
        places = np.random.default_rng([self.seed, 10, 1])
        self.gates = [
            Gate(spot, *town_point(places, self.town.boundary, self.town.centre, 0.2))
            for spot in SPOTS
        ]

    def backfill(self, now: datetime) -> list[bytes]:
        """The counts of the backfill span, after a silent run from midnight that fills the
        gates as the day so far would have."""
        since = now - self.backfill_span
        midnight = beijing(since).replace(hour=0, minute=0, second=0, microsecond=0)
        for t in Cadence(self.interval).due(since, since=midnight):
            for gate in self.gates:
                self.count(gate, t)
        return json_bodies(self._counts(self._cadence.due(now, since=since)))

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        return json_bodies(self._counts(self._cadence.due(now)))

    def _counts(self, slots: list[datetime]) -> list[Record]:
        return [self.count(gate, t) for t in slots for gate in self.gates]

    def count(self, gate: Gate, t: datetime) -> Record:
        """The gate's count for the period ending at ``t``."""
        step = self.interval.total_seconds()
        local = beijing(t)
        if gate.day != local.date().isoformat():
            gate.day, gate.today = local.date().isoformat(), 0
        daily = gate.spot.weekday * (WEEKEND if local.weekday() >= 5 else 1.0)
        arrivals = int(self.rng.poisson(CURVE.per_second(t, daily) * step))
        leave_share = 1.0 if beijing_hour(t) >= CLOSED_BY else 1 - math.exp(-step / 3600 / STAY_H)
        gate.inside += arrivals - int(self.rng.binomial(gate.inside, leave_share))
        gate.today += arrivals
        lon, lat = from_wgs84(gate.lon, gate.lat, CRS.GCJ02)
        return {
            "jqbm": gate.spot.code,
            "jqmc": gate.spot.name,
            "jqdj": gate.spot.grade,
            "tjsj": beijing_text(t),
            "sd": f"{beijing(t - self.interval):%H:%M}-{local:%H:%M}",
            "zyrs": gate.inside,
            "zdczl": gate.spot.capacity,
            "rys": arrivals,
            "ljrys": gate.today,
            "zbx": round(lon, 6),
            "zby": round(lat, 6),
            "zbxt": CRS.GCJ02.value,
        }
