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
from ingest.sim.labour import LabourFeed
from ingest.sim.open311 import Open311Feed
from ingest.sim.party import PartyFeed
from ingest.sim.safety import SafetyFeed
from ingest.sim.service_hall import ServiceHallFeed
from ingest.sim.tourism import TourismFeed
from ingest.sim.urban import UrbanFeed, UrbanSimulator
from ingest.sim.water import RAIN, WaterFeed
from layers.town import Town


@dataclass(frozen=True)
class Options:
    """What a run varies. ``first_number`` starts every numbering (case, event, hazard …
    numbers), so that a restarted simulator does not reuse the numbers of the last run."""

    seed: int = 0
    first_number: int = 1
    urban_rate: float = 0.2
    backfill: timedelta = timedelta(0)
    interval: timedelta = timedelta(seconds=60)
    rain: Episode = field(default=RAIN)

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError(f"the telemetry interval must be positive, not {self.interval}")
        if self.rain.length <= timedelta(0) or self.rain.after < timedelta(0):
            raise ValueError("the rain episode needs a positive length and a start not before 0")


Builder = Callable[[Town, Options, Callable[[], list[Firm]]], FeedSimulator]


def _urban(town: Town, o: Options, firms: Callable[[], list[Firm]]) -> FeedSimulator:
    sim = UrbanSimulator(town.boundary, town.centre, seed=o.seed, first_number=o.first_number)
    return UrbanFeed(sim, o.urban_rate, o.backfill)


BUILDERS: dict[str, Builder] = {
    "urban": _urban,
    "governance": lambda town, o, firms: GovernanceFeed(
        town, seed=o.seed, first_number=o.first_number, backfill_span=o.backfill
    ),
    "environment": lambda town, o, firms: EnvironmentFeed(
        town, o.interval, seed=o.seed, first_number=o.first_number, backfill_span=o.backfill
    ),
    "water": lambda town, o, firms: WaterFeed(
        o.interval, seed=o.seed, rain=o.rain, backfill_span=o.backfill
    ),
    "cap": lambda town, o, firms: CapFeed(town, rain=o.rain),
    "safety": lambda town, o, firms: SafetyFeed(
        firms(), seed=o.seed, first_number=o.first_number, backfill_span=o.backfill
    ),
    "open311": lambda town, o, firms: Open311Feed(
        town, seed=o.seed, first_number=o.first_number, backfill_span=o.backfill
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
        town, o.interval, seed=o.seed, backfill_span=o.backfill
    ),
    "party": lambda town, o, firms: PartyFeed(
        town, firms(), seed=o.seed, first_number=o.first_number
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
