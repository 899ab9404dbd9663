"""A plausible 生态环境 feed: automatic air and surface-water stations reporting every
``interval``, and the occasional 12369 complaint, as JSON lines.

Air (AQ-01..04): PM2.5 and PM10 follow the traffic of the day — peaks at the morning and
evening rush (Beijing time), lowest in the afternoon when the boundary layer mixes — and O3
the afternoon sun; AQI is computed from them as HJ 633 does. Outside a pollution episode the
values stay under AQI 150; ``air_breaches_per_day`` episodes (of all stations together) push
one station over it for 15–45 minutes. Water (WQ-01..02): COD, NH3-N, DO and pH sit just
inside the GB 3838 class III limits, with ``water_breaches_per_day`` short breaches each.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
import shapely

from core.times import beijing
from ingest.sim.common import (
    Arrivals,
    Cadence,
    DayCurve,
    Record,
    beijing_hour,
    beijing_text,
    bell,
    pick,
    street_address,
    town_point,
)
from layers.town import Town

AIR = ("AQ-01", "AQ-02", "AQ-03", "AQ-04")
WATER = ("WQ-01", "WQ-02")
AIR_LOAD = {"AQ-01": 1.0, "AQ-02": 1.2, "AQ-03": 0.9, "AQ-04": 0.85}  # AQ-02: the industrial park
# HJ 633-2012 breakpoints: IAQI, then PM2.5, PM10 (24-hour) and O3 (1-hour), µg/m³.
IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS = {
    "PM2.5": (0, 35, 75, 115, 150, 250, 350, 500),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "O3": (0, 160, 200, 300, 400, 800, 1000, 1200),
}
CLEAN_PM25 = 110.0  # outside an episode: AQI stays under 150 (PM2.5 115 is IAQI 150)
COMPLAINTS = (
    ("噪声", 0.5, ("工地夜间施工噪声扰民", "广场舞音响声音过大", "工厂风机噪声影响休息")),
    ("废气", 0.25, ("工厂排放刺鼻气味", "烧烤店油烟直排", "露天焚烧垃圾冒黑烟")),
    ("废水", 0.15, ("企业向河道排放污水", "河水发黑发臭")),
    ("固废", 0.1, ("路边倾倒建筑垃圾", "工业固废露天堆放")),
)
# Noise complaints come in the evening, the rest by day.
COMPLAINT_CURVE = DayCurve(lambda h: 0.1 + bell(h, 10.0, 2.0) + bell(h, 20.5, 1.5))


def aqi(values: dict[str, float]) -> int:
    """The AQI: the highest individual index of the pollutants measured (HJ 633)."""
    return max(
        math.ceil(float(np.interp(values[name], points, IAQI)))
        for name, points in BREAKPOINTS.items()
    )


def rush_hours(hour: float) -> float:
    """The PM2.5 day shape: morning and evening rush peaks over a night-time floor."""
    return 36 + 34 * bell(hour, 8.0, 1.2) + 30 * bell(hour, 18.5, 1.5) + 8 * bell(hour, 23.5, 2.0)


@dataclass
class Station:
    code: str
    kind: str  # air | water
    lon: float
    lat: float
    drift: float = 0.0  # a slow random walk, so that readings are not independent draws
    episode_until: datetime | None = None
    episode_level: float = 0.0


@dataclass
class EnvironmentFeed:
    """The environmental monitoring platform: station readings and 12369 complaints."""

    town: Town
    interval: timedelta = timedelta(seconds=60)
    seed: int = 0
    first_number: int = 1
    air_breaches_per_day: float = 3.0
    water_breaches_per_day: float = 1.0
    complaints_per_day: float = 12.0
    backfill_span: timedelta = timedelta(0)
    feed: str = "environment"
    rng: np.random.Generator = field(init=False)
    stations: list[Station] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 3])
        self._cadence = Cadence(self.interval)
        self._complaints = Arrivals(self.rng, self.complaints_per_day, COMPLAINT_CURVE)
        self._numbers = itertools.count(self.first_number)
        self.stations = self._place()

    def _place(self) -> list[Station]:
        """Fixed points: AQ-01 at the town centre (the government), the rest spread out."""
        rng = np.random.default_rng([self.seed, 3, 1])
        shapely.prepare(self.town.boundary)
        stations = [Station(AIR[0], "air", *self.town.centre)]
        for code in (*AIR[1:], *WATER):
            lon, lat = town_point(rng, self.town.boundary, self.town.centre, 0.0)
            stations.append(Station(code, "air" if code in AIR else "water", lon, lat))
        return stations

    def backfill(self, now: datetime) -> list[bytes]:
        span = self.backfill_span.total_seconds()
        return self._bodies(self._cadence.due(now, since=now - self.backfill_span), now, span)

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        return self._bodies(self._cadence.due(now), now, seconds)

    def _bodies(self, slots: list[datetime], now: datetime, seconds: float) -> list[bytes]:
        records = [self.reading(s, t) for t in slots for s in self.stations]
        records += [self.complaint(t) for t in self._complaints.between(now, seconds)]
        return [b"\n".join(orjson.dumps(r) for r in records)] if records else []

    def reading(self, station: Station, t: datetime) -> Record:
        """One station's reading at slot ``t``."""
        station.drift = 0.9 * station.drift + float(self.rng.normal(0, 0.06))
        values = self._air(station, t) if station.kind == "air" else self._water(station, t)
        return {
            "station": station.code,
            "type": station.kind,
            "ts": beijing(t).isoformat(),
            "lon": round(station.lon, 6),
            "lat": round(station.lat, 6),
            "values": values,
        }

    def _episode(self, station: Station, t: datetime, per_day: float) -> bool:
        """Whether a breach episode is on at the station; ``per_day`` start there a day."""
        if station.episode_until is not None and t < station.episode_until:
            return True
        chance = per_day * self.interval.total_seconds() / 86400
        if self.rng.random() >= chance:
            return False
        station.episode_until = t + timedelta(minutes=float(self.rng.uniform(15, 45)))
        station.episode_level = float(self.rng.uniform(0, 1))
        return True

    def _air(self, station: Station, t: datetime) -> dict[str, Any]:
        hour = beijing_hour(t)
        pm25 = min(rush_hours(hour) * AIR_LOAD[station.code] * math.exp(station.drift), CLEAN_PM25)
        if self._episode(station, t, self.air_breaches_per_day / len(AIR)):
            # PM2.5 125–195 µg/m³: AQI 160–250, heavy pollution (重度) at the top.
            pm25 = 125 + 70 * station.episode_level + float(self.rng.normal(0, 3))
        pm10 = pm25 * float(self.rng.uniform(1.45, 1.7))
        o3 = (18 + 95 * bell(hour, 14.5, 2.3)) * math.exp(station.drift / 2)
        values = {"PM2.5": round(pm25), "PM10": round(pm10), "O3": round(o3)}
        return {**values, "AQI": aqi({k: float(v) for k, v in values.items()})}

    def _water(self, station: Station, t: datetime) -> dict[str, Any]:
        sun = math.sin((beijing_hour(t) - 9) / 24 * 2 * math.pi)  # highest mid-afternoon
        noise = [float(x) for x in self.rng.normal(0, 1, 4)]
        cod = min(16.5 + 1.2 * station.drift * 10 + 0.6 * noise[0], 19.6)
        nh3n = min(0.72 + 0.06 * noise[1], 0.95)
        do = max(6.0 + 0.9 * sun + 0.2 * noise[2], 5.2)  # algae: oxygen by day, less at dawn
        ph = 7.45 + 0.25 * sun + 0.05 * noise[3]
        if self._episode(station, t, self.water_breaches_per_day):
            cod = 21 + 7 * station.episode_level
            nh3n = 1.1 + 0.7 * station.episode_level
            do = 4.8 - 1.3 * station.episode_level
        return {
            "COD": round(cod, 1),
            "NH3N": round(nh3n, 2),
            "pH": round(ph, 2),
            "DO": round(do, 1),
        }

    def complaint(self, t: datetime) -> Record:
        """A 12369 complaint; one in five taken by phone with an address and no point."""
        kind, _, texts = pick(self.rng, COMPLAINTS, [c[1] for c in COMPLAINTS])
        record: Record = {
            "tsbh": f"12369-320281-{beijing(t):%Y%m%d}-{next(self._numbers):04d}",
            "tslx": kind,
            "nr": str(self.rng.choice(texts)),
            "dz": street_address(self.rng, self.town.name),
            "tssj": beijing_text(t),
        }
        if self.rng.random() >= 0.2:
            lon, lat = town_point(self.rng, self.town.boundary, self.town.centre, 0.5)
            record |= {"lon": round(lon, 6), "lat": round(lat, 6)}
        return record
