"""What the feed simulators share: day rhythms, Poisson arrivals, reporting slots, scheduled
episodes and updates, points in the town, and bodies.

Time is always passed in (``now``), never read here, so a test can run a day in milliseconds.
Randomness comes from the numpy Generator each simulator owns, so a seed replays a run.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from core.times import beijing

T = TypeVar("T")
Record = dict[str, Any]
BODY_RECORDS = 500  # records per JSON body: the intake takes arrays, not unbounded ones

ROADS = (
    "璜塘路",
    "人民路",
    "霞客大道",
    "马镇路",
    "南街",
    "环镇北路",
    "峭岐路",
    "金凤路",
    "东湖路",
    "镇中路",
)


def beijing_hour(t: datetime) -> float:
    """The hour of the day on Beijing's clock, with its fraction (09:30 → 9.5)."""
    local = beijing(t)
    return local.hour + local.minute / 60 + local.second / 3600


def beijing_text(t: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A time as the source systems write it: Beijing time, no zone."""
    return beijing(t).strftime(fmt)


def since_midnight(now: datetime) -> timedelta:
    """How much of the Beijing day has passed: what a source's "today" export covers."""
    local = beijing(now)
    return local - local.replace(hour=0, minute=0, second=0, microsecond=0)


def bell(hour: float, centre: float, width: float) -> float:
    """A Gaussian bump of height 1 around ``centre`` (hours), for day curves."""
    return math.exp(-0.5 * ((hour - centre) / width) ** 2)


def open_between(hour: float, *spans: tuple[float, float]) -> bool:
    """Whether the Beijing hour falls in one of the [start, end) spans (office hours)."""
    return any(start <= hour < end for start, end in spans)


EVERY_DAY = (1.0,) * 7
# Offices: Monday to Friday only (inspections, the labour office's alerts).
OFFICE_WEEK = (1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)


@dataclass
class DayCurve:
    """A relative rate by Beijing hour and weekday; scaled so that an average day of the week
    holds ``per_day`` arrivals. ``week``: the relative rate of Monday … Sunday."""

    shape: Callable[[float], float]
    week: Sequence[float] = EVERY_DAY
    _area: float = field(init=False)
    _week_mean: float = field(init=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7 or min(self.week) < 0 or not sum(self.week):
            raise ValueError(f"a week curve is 7 non-negative rates, not all 0: {self.week}")
        # The shape's integral over a day, in hours, minute by minute.
        self._area = sum(self.shape(m / 60) for m in range(24 * 60)) / 60
        self._week_mean = sum(self.week) / 7

    def per_second(self, t: datetime, per_day: float) -> float:
        if self._area <= 0:
            return 0.0
        day = self.week[beijing(t).weekday()] / self._week_mean
        return per_day * day * self.shape(beijing_hour(t)) / (self._area * 3600)


def arrivals(
    rng: np.random.Generator,
    rate: Callable[[datetime], float],
    now: datetime,
    seconds: float,
    step: float = 60.0,
) -> list[datetime]:
    """Poisson arrival times in the ``seconds`` before ``now``, in order; ``rate`` (per
    second) is read once per ``step``, so a long window (a backfill) follows the day curve."""
    times: list[datetime] = []
    start = now - timedelta(seconds=seconds)
    done = 0.0
    while done < seconds:
        width = min(step, seconds - done)
        begin = start + timedelta(seconds=done)
        expected = rate(begin + timedelta(seconds=width / 2)) * width
        if expected > 0:
            offsets = np.sort(rng.uniform(0, width, int(rng.poisson(expected))))
            times.extend(begin + timedelta(seconds=float(o)) for o in offsets)
        done += width
    return times


@dataclass
class Arrivals:
    """A Poisson source of ``per_day`` arrivals a day, shaped by a day curve."""

    rng: np.random.Generator
    per_day: float
    curve: DayCurve

    def between(self, now: datetime, seconds: float) -> list[datetime]:
        if self.per_day <= 0 or seconds <= 0:
            return []
        return arrivals(self.rng, lambda t: self.curve.per_second(t, self.per_day), now, seconds)


@dataclass
class Cadence:
    """Reporting slots at multiples of ``interval`` since the epoch, each given exactly once."""

    interval: timedelta
    _last: int | None = None

    def due(self, now: datetime, since: datetime | None = None) -> list[datetime]:
        """The slots up to ``now`` not given yet: on the first call, the latest one only,
        or every slot after ``since`` (a backfill)."""
        step = self.interval.total_seconds()
        latest = math.floor(now.timestamp() / step)
        if self._last is not None:
            first = self._last + 1
        elif since is not None:
            first = math.floor(since.timestamp() / step) + 1
        else:
            first = latest
        if self._last is None or latest > self._last:
            self._last = latest
        return [datetime.fromtimestamp(k * step, tz=UTC) for k in range(first, latest + 1)]


@dataclass
class Anchor:
    """The simulator's start: the first ``now`` it was given (backfill or first tick)."""

    at: datetime | None = None

    def __call__(self, now: datetime) -> datetime:
        if self.at is None:
            self.at = now
        return self.at


@dataclass(frozen=True)
class Episode:
    """A stretch scheduled relative to the simulator's start: from ``after`` for ``length``."""

    after: timedelta
    length: timedelta

    def begins(self, start: datetime) -> datetime:
        return start + self.after

    def ends(self, start: datetime) -> datetime:
        return start + self.after + self.length

    def progress(self, start: datetime, now: datetime) -> float | None:
        """0 → 1 through the episode; None before or after it."""
        if not self.begins(start) <= now < self.ends(start):
            return None
        return (now - self.begins(start)) / self.length


@dataclass
class Pending(Generic[T]):
    """What is due later (status updates), released in time order."""

    _heap: list[tuple[datetime, int, T]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def push(self, when: datetime, item: T) -> None:
        heapq.heappush(self._heap, (when, next(self._order), item))

    def due(self, now: datetime) -> list[T]:
        released = []
        while self._heap and self._heap[0][0] <= now:
            released.append(heapq.heappop(self._heap)[2])
        return released


def pick(rng: np.random.Generator, options: Sequence[T], weights: Sequence[float]) -> T:
    """One of ``options``, drawn with the given relative weights."""
    p = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def town_point(
    rng: np.random.Generator,
    boundary: BaseGeometry,
    centre: tuple[float, float],
    central_share: float,
) -> tuple[float, float]:
    """A WGS84 point in the town: ``central_share`` of them near the centre, the rest anywhere.

    ``boundary`` should be prepared (``shapely.prepare``): this is called in loops.
    """
    minx, miny, maxx, maxy = boundary.bounds
    while True:
        if rng.random() < central_share:
            lon = rng.normal(centre[0], 0.012)
            lat = rng.normal(centre[1], 0.010)
        else:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(boundary, lon, lat):
            return float(lon), float(lat)


def street_address(rng: np.random.Generator, prefix: str = "") -> str:
    """A plausible house address on one of the town's roads."""
    return f"{prefix}{rng.choice(ROADS)}{int(rng.integers(1, 300))}号"


def office_time(rng: np.random.Generator, t: datetime) -> datetime:
    """``t`` if it falls in office hours (Beijing 08:30–17:30), else a moment of the next
    morning: staff update records at their desks, not at night."""
    if open_between(beijing_hour(t), (8.5, 17.5)):
        return t
    local = beijing(t)
    day = local if beijing_hour(t) < 8.5 else local + timedelta(days=1)
    morning = day.replace(hour=8, minute=30, second=0, microsecond=0)
    return morning + timedelta(minutes=float(rng.uniform(0, 150)))


def json_bodies(records: Sequence[Record]) -> list[bytes]:
    """Records as JSON array bodies of at most BODY_RECORDS each; none for no records."""
    return [
        orjson.dumps(list(records[i : i + BODY_RECORDS]))
        for i in range(0, len(records), BODY_RECORDS)
    ]
