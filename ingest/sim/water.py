"""A plausible 水利 feed: three river gauges (SL 323 fields) reporting every ``interval``, a
rain episode that lifts the rivers past the warning level, and a gauge that falls silent.

The rain episode is a storm compressed into ``rain.length`` (by default 30 minutes, starting
5 minutes after the simulator's start): ``rain_total_mm`` of rain, heaviest in the middle,
drain into the rivers as a linear reservoir whose recession time scales with the episode, so
any length gives the same flood peak. Each gauge rises by its ``rise`` at that peak: 璜塘河闸
passes its warning level (wrz) and stays below its guaranteed level (grz); the others come
close. Then the rivers recede. The gauge ``silent_station`` sends nothing during ``silence``
(by default from minute 15 to 35: a gauge failing in a storm, as they do).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ingest.sim.common import Anchor, Cadence, Episode, Record, beijing_text, json_bodies


@dataclass(frozen=True)
class Gauge:
    stcd: str
    stnm: str
    base: float  # dry-weather level, m
    wrz: float
    grz: float
    rise: float  # metres above base at the design flood peak
    tide: float  # amplitude of the Yangtze's semi-diurnal tide felt at the gauge, m


GAUGES = (
    Gauge("63201234", "璜塘河闸", 3.42, 3.80, 4.30, 0.62, 0.03),
    Gauge("63201251", "东横河霞客站", 3.28, 3.90, 4.40, 0.45, 0.01),
    Gauge("63201276", "青祝河马镇站", 3.35, 3.85, 4.35, 0.40, 0.0),
)
RAIN = Episode(timedelta(minutes=5), timedelta(minutes=30))
SILENCE = Episode(timedelta(minutes=15), timedelta(minutes=20))
TIDE_PERIOD_H = 12.42
RECESSION = 0.5  # the reservoir's time constant, as a share of the episode's length


def design_peak(steps: int = 400) -> float:
    """Peak storage (in units of the total rain) of the noiseless storm: the scale of ``rise``."""
    decay = math.exp(-1 / (RECESSION * steps))
    storage = peak = 0.0
    for k in range(3 * steps):
        share = storm_share((k + 0.5) / steps) / steps if k < steps else 0.0
        storage = storage * decay + share
        peak = max(peak, storage)
    return peak


def storm_share(progress: float) -> float:
    """Rain intensity through the episode (0 → 1), as a share of the total per unit progress."""
    return 2 * math.sin(math.pi * progress) ** 2 if 0 <= progress < 1 else 0.0


@dataclass
class WaterFeed:
    """The hydrological real-time database: one reading per gauge per ``interval``."""

    interval: timedelta = timedelta(seconds=60)
    seed: int = 0
    rain: Episode = RAIN
    rain_total_mm: float = 60.0
    silence: Episode = SILENCE
    silent_station: str = GAUGES[2].stcd
    backfill_span: timedelta = timedelta(0)
    feed: str = "water"
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng([self.seed, 4])
        self._cadence = Cadence(self.interval)
        self._start = Anchor()
        self._storage = 0.0  # mm of the storm still draining
        self._peak = design_peak() * self.rain_total_mm

    def backfill(self, now: datetime) -> list[bytes]:
        self._start(now)
        return json_bodies(self._readings(self._cadence.due(now, since=now - self.backfill_span)))

    def tick(self, now: datetime, seconds: float) -> list[bytes]:
        self._start(now)
        return json_bodies(self._readings(self._cadence.due(now)))

    def _readings(self, slots: list[datetime]) -> list[Record]:
        records = []
        for t in slots:
            drp = self._rain(t)
            silent = self.silence.progress(self._start(t), t) is not None
            records += [
                self.reading(g, t, drp)
                for g in GAUGES
                if not (silent and g.stcd == self.silent_station)
            ]
        return records

    def _rain(self, t: datetime) -> float:
        """Rain of the period ending at ``t`` (mm), which also fills the rivers' storage."""
        step = self.interval.total_seconds()
        progress = self.rain.progress(self._start(t), t)
        drp = 0.0
        if progress is not None:
            share = storm_share(progress) * step / self.rain.length.total_seconds()
            drp = self.rain_total_mm * share * math.exp(float(self.rng.normal(0, 0.15)))
        decay = math.exp(-step / (RECESSION * self.rain.length.total_seconds()))
        self._storage = self._storage * decay + drp
        return drp

    def reading(self, gauge: Gauge, t: datetime, drp: float) -> Record:
        hours = t.timestamp() / 3600
        tide = gauge.tide * math.sin(2 * math.pi * hours / TIDE_PERIOD_H)
        flood = gauge.rise * self._storage / self._peak if self._peak > 0 else 0.0
        z = gauge.base + tide + flood + float(self.rng.normal(0, 0.004))
        return {
            "stcd": gauge.stcd,
            "stnm": gauge.stnm,
            "tm": beijing_text(t, "%Y-%m-%d %H:%M" if t.second == 0 else "%Y-%m-%d %H:%M:%S"),
            "z": round(z, 2),
            "wrz": gauge.wrz,
            "grz": gauge.grz,
            "drp": round(drp, 1),
        }
