"""A simulated week for the rebuild tests: 100,000 events from the feed simulators, operator
actions queued as the API queues them, and a clock that the engine sweeps by.

The week is generated once per test session (about ten seconds), then written tick by tick:
the records of each ten simulated minutes through the sink, a few actions on open cases
as the API queues them (its body models, its check, its entry on `commands`), and the clock
moved on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import redis
from pydantic import TypeAdapter
from redis.typing import EncodableT, FieldT

from cases.commands import check
from cases.lifecycle import IllegalCommand
from cases.lifecycle_events import Merge, command_to_dict
from cases.model import Case
from cases.routing import table
from cases.store import load_case
from core.event import Event
from core.keys import Keys
from core.replies import text
from dashboard.actions import ActionBody, to_command
from dashboard.api import COMMANDS_MAXLEN
from ingest.adapter import Result
from ingest.feeds import FEEDS as ADAPTERS
from ingest.sim.common import Episode
from ingest.sim.fleet import Options, build
from ingest.sink import RedisSink
from layers.town import Town

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 in Beijing
TICK = timedelta(minutes=10)
TICKS = 7 * 24 * 6  # a week
EVENTS = 100_000
# 数字城管 with its status updates (~81 % of the events), governance, Open311 and safety
# reports, river gauges and air stations, CAP warnings, and module metrics.
FEEDS = (
    "urban", "governance", "open311", "safety", "environment", "water", "cap", "service_hall",
    "tourism",
)  # fmt: skip
URBAN_RATE = 0.0455  # new urban records per second: ~3,900 a day, 100,000 events in 6.9 days
RAIN = Episode(timedelta(days=2, hours=3), timedelta(hours=4))
ACTIONS_PER_TICK = 4
CLOCK_KEY = "test-clock"  # under the prefix: the time the engine process sweeps by


@dataclass(frozen=True)
class Tick:
    at: datetime
    results: list[Result]  # what the adapters made of the tick's bodies


class _Week:
    """The week's ticks, made as they are first asked for and kept for the next test."""

    def __init__(self, town: Town, events: int, seed: int, days: int, rain: Episode) -> None:
        self.ticks: list[Tick] = []
        self._made = _ticks(town, events, seed, days, rain)

    def __iter__(self) -> Iterator[Tick]:
        yield from list(self.ticks)
        for tick in self._made:  # a test running beside an engine process makes them as it goes
            self.ticks.append(tick)
            yield tick


_weeks: dict[tuple[int, int, int, Episode], _Week] = {}


def week(
    town: Town, events: int = EVENTS, seed: int = 11, days: int = 7, rain: Episode = RAIN
) -> Iterable[Tick]:
    """The week's ticks: exactly ``events`` Events, then ticks that only move the clock.

    Made once per session for each size, seed and length (the town is the shipped one).
    """
    if (events, seed, days, rain) not in _weeks:
        _weeks[events, seed, days, rain] = _Week(town, events, seed, days, rain)
    return _weeks[events, seed, days, rain]


def _ticks(town: Town, events: int, seed: int, days: int, rain: Episode) -> Iterator[Tick]:
    # The source closes its own cases here: the week is the engine's, not the staff's.
    options = Options(
        seed=seed, urban_rate=URBAN_RATE, urban_source_closes=True,
        interval=timedelta(minutes=10), rain=rain,
    )  # fmt: skip
    sims = build(town, options, FEEDS)
    left = events
    for n in range(1, days * TICKS // 7 + 1):
        at = START + TICK * n
        results: list[Result] = []
        for sim in sims if left else ():
            for body in sim.tick(at, TICK.total_seconds()):
                results += ADAPTERS[sim.feed].parse(body, at)
        kept = [x for x in results if isinstance(x, Event)][:left]
        left -= len(kept)
        yield Tick(at, kept)
    if left:
        raise AssertionError(f"the simulators sent {events - left:,} events, not {events:,}")


def write(r: redis.Redis, keys: Keys, tick: Tick) -> None:
    """The tick's records into the streams, as the intake writes them (one pipeline)."""
    RedisSink(keys, 10_000_000).write(r, tick.results)


def set_clock(r: redis.Redis, keys: Keys, at: datetime) -> None:
    r.set(f"{keys.prefix}{CLOCK_KEY}", at.isoformat())


def redis_clock(r: redis.Redis, keys: Keys) -> Callable[[], datetime]:
    """The simulated time a test sets with ``set_clock``, read by an engine process."""

    def now() -> datetime:
        value: Any = r.get(f"{keys.prefix}{CLOCK_KEY}")
        return datetime.fromisoformat(text(value)) if value else START

    return now


_BODY: TypeAdapter[Any] = TypeAdapter(ActionBody)


class Operator:
    """The duty officer and the departments: a few actions a tick on random open cases, the
    next step of each case's lifecycle mostly, sometimes a side path."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.teams = sorted(table().teams)
        self.queued = 0

    def act(self, r: redis.Redis, keys: Keys, at: datetime, count: int = ACTIONS_PER_TICK) -> None:
        total = r.zcard(keys.open_cases)
        if total < 2:
            return
        pipe = r.pipeline(transaction=False)
        for index in self.rng.integers(0, total, size=count + 1):
            pipe.zrange(keys.open_cases, int(index), int(index))
        picked = [text(found[0]) for found in pipe.execute() if found]
        for case_id in picked[:-1]:
            raw: Any = r.get(keys.case(case_id))
            if raw is None:
                continue
            case = Case.from_json(raw)
            body = self.body(case, picked[-1], at)
            if body is not None:
                self._submit(r, keys, case, body, at)

    def _submit(
        self, r: redis.Redis, keys: Keys, case: Case, body: dict[str, Any], at: datetime
    ) -> None:
        """What POST /api/cases/<id>/actions does, but for waiting on the outcome: the same
        body model, the same check, the same entry on `commands`."""
        command = to_command(_BODY.validate_python(body), at)
        parent = load_case(r, keys, command.parent_id) if isinstance(command, Merge) else None
        try:
            check(case, command, parent)
        except IllegalCommand:  # answered 409, nothing queued
            return
        fields: dict[FieldT, EncodableT] = {
            "case_id": case.id,
            "c": orjson.dumps(command_to_dict(command)),
            "reason": body.get("reason", ""),
        }
        r.xadd(keys.commands, fields, maxlen=COMMANDS_MAXLEN, approximate=True)
        self.queued += 1

    def body(self, case: Case, other: str, at: datetime) -> dict[str, Any] | None:
        """An action on the case: mostly its next step, sometimes a side path."""
        roll = float(self.rng.random())
        base = {"actor": "值班员", "reason": f"tick {at:%m-%d %H:%M}"}
        if roll < 0.03 and other != case.id:
            return {**base, "action": "merge", "parent": other}
        if roll < 0.05:
            return {**base, "action": "cancel"}
        due = (case.handling_due or at) + timedelta(days=1)
        steps: dict[str, list[dict[str, Any]]] = {
            "reported": [{"action": "register"}],
            "registered": [{"action": "dispatch", "department": self._team()}],
            "dispatched": [{"action": "accept"}] * 6
            + [{"action": "return"}, {"action": "park"}, _extend(due)],
            "accepted": [{"action": "handle", "feedback": "已处置"}] * 6
            + [{"action": "return"}, _extend(due)],
            "handled": [{"action": "verify", "passed": True}] * 3
            + [{"action": "verify", "passed": False}],
            "verified": [{"action": "close"}],
            "parked": [{"action": "resume"}],
        }
        choices = steps.get(case.stage)
        if not choices:
            return None
        chosen = choices[int(self.rng.integers(len(choices)))]
        # The team's people take and do the work; a 督查员 (never one of them) verifies it.
        actor = {"accept": "执法队员", "handle": "执法队员", "verify": "督查员"}
        return {**base, **chosen, "actor": actor.get(chosen["action"], base["actor"])}

    def _team(self) -> str:
        return self.teams[int(self.rng.integers(len(self.teams)))]


def _extend(due: datetime) -> dict[str, Any]:
    return {"action": "extend", "new_deadline": due.isoformat(), "approver": "副镇长"}
