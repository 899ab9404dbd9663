"""Every feed simulator, built from one set of options: what ``towncc simulate`` runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from ingest.sim import FeedSimulator
from ingest.sim.cap import CapFeed
from ingest.sim.common import Episode
from ingest.sim.economy import EconomyFeed
from ingest.sim.enterprise import EnterpriseFeed
from ingest.sim.environment import EnvironmentFeed
from ingest.sim.firms import Firm, town_firms
from ingest.sim.governance import GovernanceFeed
from ingest.sim.inspection import InspectionFeed
from ingest.sim.labour import LabourFeed
from ingest.sim.open311 import Open311Feed
from ingest.sim.party import PartyFeed
from ingest.sim.safety import SafetyFeed
from ingest.sim.service_hall import ServiceHallFeed
from ingest.sim.tourism import TourismFeed
from ingest.sim.urban import PER_DAY, UrbanFeed, UrbanSimulator
from ingest.sim.water import RAIN, WaterFeed
from layers.town import Town

# The feeds whose records become cases and whose past the assessment reads: what the demo's
# history (`towncc warmup`) runs through; telemetry, alerts and module figures start live.
HISTORY_FEEDS = ("urban", "governance", "open311", "environment", "safety")
GOVERNANCE_PER_DAY = 240.0  # 39 grids' 网格员 on their rounds: about six events a grid a day
OPEN311_PER_DAY = 24.0
COMPLAINTS_PER_DAY = 12.0  # 生态环境 complaints


@dataclass(frozen=True)
class Options:
    """What a run varies. ``first_number`` starts every numbering (case, event, hazard …
    numbers), so that a restarted simulator does not reuse the numbers of the last run."""

    seed: int = 0
    first_number: int = 1
    urban_rate: float | None = None  # new urban cases a second, flat (a stress), not the curve
    urban_source_closes: bool = False  # 数字城管 acknowledges and closes its cases itself
    speed: float = 1.0  # every report feed's arrivals a day, times this
    backfill: timedelta = timedelta(0)
    no_backfill: frozenset[str] = frozenset()  # feeds whose history is there already
    interval: timedelta | None = None  # every telemetry feed's; None: each its own cadence
    rain: Episode = field(default=RAIN)

    def __post_init__(self) -> None:
        if self.interval is not None and self.interval <= timedelta(0):
            raise ValueError(f"the telemetry interval must be positive, not {self.interval}")
        if self.speed < 0 or (self.urban_rate is not None and self.urban_rate < 0):
            raise ValueError("the speed and the urban rate cannot be negative")
        if self.rain.length <= timedelta(0) or self.rain.after < timedelta(0):
            raise ValueError("the rain episode needs a positive length and a start not before 0")

    def backfill_of(self, feed: str) -> timedelta:
        return timedelta(0) if feed in self.no_backfill else self.backfill

    def cadence(self, native: timedelta) -> timedelta:
        """A telemetry feed's reporting interval: its source's own, unless one is forced."""
        return self.interval if self.interval is not None else native


Builder = Callable[[Town, Options, Callable[[], list[Firm]]], FeedSimulator]


# The reporting intervals of the real systems: HJ 212 stations send real-time data every
# minute (and hourly means), SL 651 gauges a timed report every 5 minutes, people counters at
# scenic spots every 5 minutes.
ENVIRONMENT_CADENCE = timedelta(minutes=1)
WATER_CADENCE = timedelta(minutes=5)
TOURISM_CADENCE = timedelta(minutes=5)


def _urban(town: Town, o: Options, firms: Callable[[], list[Firm]]) -> FeedSimulator:
    sim = UrbanSimulator(
        town.boundary, town.centre, seed=o.seed, first_number=o.first_number,
        source_closes=o.urban_source_closes,
    )  # fmt: skip
    return UrbanFeed(sim, PER_DAY * o.speed, o.backfill_of("urban"), rate=o.urban_rate)


BUILDERS: dict[str, Builder] = {
    "urban": _urban,
    "governance": lambda town, o, firms: GovernanceFeed(
        town,
        GOVERNANCE_PER_DAY * o.speed,
        seed=o.seed,
        first_number=o.first_number,
        backfill_span=o.backfill_of("governance"),
    ),
    "environment": lambda town, o, firms: EnvironmentFeed(
        town,
        o.cadence(ENVIRONMENT_CADENCE),
        seed=o.seed,
        first_number=o.first_number,
        backfill_span=o.backfill_of("environment"),
        complaints_per_day=COMPLAINTS_PER_DAY * o.speed,
    ),
    "water": lambda town, o, firms: WaterFeed(
        o.cadence(WATER_CADENCE), seed=o.seed, rain=o.rain, backfill_span=o.backfill_of("water")
    ),
    "cap": lambda town, o, firms: CapFeed(town, rain=o.rain),
    "safety": lambda town, o, firms: SafetyFeed(
        firms(), seed=o.seed, first_number=o.first_number, backfill_span=o.backfill_of("safety")
    ),
    "open311": lambda town, o, firms: Open311Feed(
        town,
        OPEN311_PER_DAY * o.speed,
        seed=o.seed,
        first_number=o.first_number,
        backfill_span=o.backfill_of("open311"),
    ),
    "service_hall": lambda town, o, firms: ServiceHallFeed(
        seed=o.seed, first_number=o.first_number, backfill_span=o.backfill
    ),
    "economy": lambda town, o, firms: EconomyFeed(seed=o.seed),
    "enterprise": lambda town, o, firms: EnterpriseFeed(firms(), seed=o.seed),
    "labour": lambda town, o, firms: LabourFeed(
        firms(), seed=o.seed, first_number=o.first_number, backfill_span=o.backfill
    ),
    "tourism": lambda town, o, firms: TourismFeed(
        town, o.cadence(TOURISM_CADENCE), seed=o.seed, backfill_span=o.backfill_of("tourism")
    ),
    "party": lambda town, o, firms: PartyFeed(
        town, firms(), seed=o.seed, first_number=o.first_number
    ),
    "inspection": lambda town, o, firms: InspectionFeed(
        town,
        firms(),
        seed=o.seed,
        first_number=o.first_number,
        backfill_span=o.backfill_of("inspection"),
    ),
}
FEEDS = tuple(BUILDERS)


def build(town: Town, options: Options, feeds: Iterable[str] = FEEDS) -> list[FeedSimulator]:
    """The simulators of ``feeds``, in that order; they share one enterprise roster."""
    chosen = list(feeds)
    unknown = sorted(set(chosen) - set(BUILDERS))
    if unknown:
        raise ValueError(f"unknown feed(s) {', '.join(unknown)}; known: {', '.join(FEEDS)}")

    @cache
    def firms() -> list[Firm]:
        return town_firms(town, options.seed)

    return [BUILDERS[name](town, options, firms) for name in chosen]


def drive(sim: FeedSimulator, start: datetime, duration: timedelta, step: timedelta) -> list[bytes]:
    """Run a simulator through simulated time, as the runner does through real time: its
    backfill at ``start``, then a tick every ``step`` for ``duration``."""
    bodies = sim.backfill(start)
    elapsed = step
    while elapsed <= duration:
        bodies += sim.tick(start + elapsed, step.total_seconds())
        elapsed += step
    return bodies
