"""The KPI buckets the engine keeps equal a full recount (cases/kpi.py over every case), for
random cases driven through the real engine: reports through the urban adapter, operator
commands at random moments (accept, handle, rework, close, extend, park, cancel), checked as
time runs, for the running day, month, year and a from/to, and for periods already over —
also when only the clock moves (an open case falls due, becomes overdue, without an event).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
import redis

from cases import kpi_projection
from cases.engine import Engine
from cases.kpi import GroupBy, KpiRow, group, kpi_row
from cases.kpi_read import read_kpis
from cases.kpi_store import read_facts
from cases.lifecycle_events import Command, Extend
from cases.model import Case
from cases.periods import Period, between, month_of, parse_period
from cases.places import Geography
from core.keys import Keys, glob_escape
from core.times import BEIJING
from dashboard.kpi_api import unit_names
from layers.town import Town
from tests.redis.test_kpi_api import command, sbsj, step
from tests.support.clock import Clock
from tests.support.pipeline import drain_now, push
from tests.support.urban import STEP_M, offset, urban_record

pytestmark = pytest.mark.redis
# Three points in two villages; a report there is in a grid, one with xlbm 9999 in no
# department (it waits in the duty officer's queue).
BASES = ((120.39961, 31.78212), (120.3981, 31.7957), (120.41516, 31.76969))
FIRST = datetime(2026, 11, 29, 0, tzinfo=BEIJING)  # two days before December
DAYS = 4
CASES = 240
BY: tuple[GroupBy, ...] = ("grid", "village", "department")


def point(n: int) -> tuple[float, float]:
    """Case n's own place: a lattice around one of the bases, wider than a duplicate's reach."""
    lon, lat = BASES[n % len(BASES)]
    k = n // len(BASES)
    return offset(lon, lat, (k % 9 - 4) * STEP_M, (k // 9 % 9 - 4) * STEP_M)


def timeline(seed: int) -> tuple[list[tuple[datetime, int]], list[tuple[datetime, int, Command]]]:
    """Random reports over DAYS days and each case's commands at random later moments."""
    rng = np.random.default_rng(seed)
    reports: list[tuple[datetime, int]] = []
    commands: list[tuple[datetime, int, Command]] = []
    span = DAYS * 24 * 3600
    for n in range(1, CASES + 1):
        at = FIRST + timedelta(seconds=int(rng.integers(0, span)))
        reports.append((at, n))
        path = str(rng.choice(["close", "close", "close", "rework", "open", "extend", "park",
                                "cancel", "accept"]))  # fmt: skip
        if path == "open":
            continue
        moments = iter(
            sorted(at + timedelta(seconds=int(s)) for s in rng.integers(1, 40 * 3600, 7))
        )
        actions = {
            "close": ["accept", "handle", "verify", "close"],
            "rework": ["accept", "handle", "rework", "handle", "verify", "close"],
            "extend": ["accept", "extend", "handle", "verify", "close"],
            "park": ["accept", "park"],
            "cancel": ["cancel"],
            "accept": ["accept"],
        }[path]
        for action in actions:
            moment = next(moments)
            if action == "extend":
                later = moment + timedelta(hours=int(rng.integers(2, 60)))
                made: Command = Extend(
                    actor="队长", at=moment, new_deadline=later, approver="副镇长"
                )
            else:
                made = step(action, moment)
            commands.append((moment, n, made))
    return sorted(reports), sorted(commands, key=lambda c: (c[0], c[1]))


def recount(r: redis.Redis, keys: Keys, so_far: Period, by: GroupBy,
            names: dict[str, str]) -> tuple[KpiRow, list[KpiRow]]:  # fmt: skip
    facts = read_facts(r, keys, so_far)
    rows = [kpi_row(key, found, so_far) for key, found in group(facts, by, names).items()]
    return kpi_row(None, facts, so_far), rows


def periods(now: datetime) -> Iterator[Period]:
    """The running day, month and year at ``now``, a from/to running since the first day,
    and the day and the month before (over)."""
    today = now.astimezone(BEIJING).date()
    yield parse_period(today.isoformat())
    yield month_of(now)
    yield parse_period(str(today.year))
    yield between(FIRST.date().isoformat(), today.isoformat())
    yesterday = today - timedelta(days=1)
    yield parse_period(yesterday.isoformat())
    yield parse_period("2026-11")
    yield between("2026-11-28", "2026-12-01")


def check(r: redis.Redis, keys: Keys, town: Town, now: datetime) -> int:
    """Every period and grouping at ``now``: buckets == recount. How many rows compared."""
    compared = 0
    for period in periods(now):
        if period.start >= now:
            continue
        so_far = period.until(now)
        for by in BY:
            names = unit_names(town, by)
            expected = recount(r, keys, so_far, by, names)
            assert read_kpis(r, keys, so_far, by, names) == expected, (now, period.label, by)
            compared += 1 + len(expected[1])
    return compared


@pytest.mark.parametrize("seed", [1, 2])
def test_buckets_equal_a_full_recount_as_time_runs(
    r: redis.Redis, keys: Keys, geography: Geography, town: Town, seed: int
) -> None:
    clock = Clock(FIRST)
    engine = Engine(r, keys, geography, clock=clock)
    engine.ensure_group()
    reports, commands = timeline(seed)
    compared = 0
    moment = FIRST
    while moment < FIRST + timedelta(days=DAYS + 2):
        moment += timedelta(hours=5, minutes=17)
        clock.now = moment
        due = [n for at, n in reports if moment - timedelta(hours=5, minutes=17) < at <= moment]
        if due:
            records = [urban_record(n, *point(n), sbsj=sbsj(at), **({"xlbm": "9999", "xlmc": "无"}
                       if n % 7 == 0 else {})) for at, n in reports if n in set(due)]  # fmt: skip
            push(r, keys, records, received_at=moment)
            drain_now(engine)
        for at, n, made in commands:
            if moment - timedelta(hours=5, minutes=17) < at <= moment:
                command(r, keys, n, made)
        drain_now(engine)
        engine.sweep()
        compared += check(r, keys, town, moment + timedelta(seconds=1))
    # Nothing happens any more; the clock alone moves cases into "overdue" and periods end.
    for later in (timedelta(hours=3), timedelta(days=2), timedelta(days=40), timedelta(days=400)):
        compared += check(r, keys, town, moment + later)
    closed = sum(1 for case in read_facts(r, keys) if case.closed_at is not None)
    assert closed > CASES // 4, "enough cases went the whole way"
    assert compared > 1000


def test_the_edge_of_a_case_due_today_and_closed_tomorrow(
    r: redis.Redis, keys: Keys, engine: Engine, town: Town
) -> None:
    """Due at 11:00 on 2 Dec, closed at 10:00 on 3 Dec: in 2 Dec's figures only its deadline
    is (due, unclosed, overdue at the day's end); in 3 Dec's only its close (due, closed late)."""
    reported = datetime(2026, 12, 2, 9, tzinfo=BEIJING)
    push(r, keys, [urban_record(1, *point(1), sbsj=sbsj(reported))], received_at=reported)
    drain_now(engine)
    names = unit_names(town, "grid")
    command(r, keys, 1, step("accept", reported + timedelta(minutes=5)))
    drain_now(engine)
    morning = datetime(2026, 12, 2, 10, tzinfo=BEIJING)
    evening = datetime(2026, 12, 2, 20, tzinfo=BEIJING)
    for now in (morning, evening):  # the day running: due only once the deadline has passed
        so_far = parse_period("2026-12-02").until(now)
        total, _ = read_kpis(r, keys, so_far, "grid", names)
        assert total == recount(r, keys, so_far, "grid", names)[0]
        assert (total.due_to_close, total.open_overdue) == ((0, 0) if now == morning else (1, 1))
    for action, hours in (("handle", 24), ("verify", 24.5), ("close", 25)):
        command(r, keys, 1, step(action, reported + timedelta(hours=hours)))
    drain_now(engine)
    now = datetime(2026, 12, 5, tzinfo=BEIJING)
    day2, day3 = parse_period("2026-12-02"), parse_period("2026-12-03")
    two, _ = read_kpis(r, keys, day2, "grid", names)
    three, _ = read_kpis(r, keys, day3, "grid", names)
    assert (two.due_to_close, two.closed, two.open_overdue) == (1, 0, 1)
    assert (three.due_to_close, three.closed, three.closed_on_time) == (1, 1, 0)
    for period in (day2, day3, parse_period("2026-12")):
        assert read_kpis(r, keys, period.until(now), "grid", names) == recount(
            r, keys, period.until(now), "grid", names
        )


def buckets(r: redis.Redis, keys: Keys) -> dict[str, Any]:
    """Every KPI key under the prefix, its counters without the zeros a difference leaves (and
    not the years written, which only grow)."""
    found: dict[str, Any] = {}
    for name in sorted(r.scan_iter(match=f"{glob_escape(keys.kpi(''))}*")):
        if name == keys.kpi("years"):
            continue
        kind = r.type(name)
        if kind == "hash":
            found[name] = {k: v for k, v in r.hgetall(name).items() if v != "0"}
        elif kind == "zset":
            found[name] = r.zrange(name, 0, -1, withscores=True)
        else:
            found[name] = r.smembers(name)
    return {name: value for name, value in found.items() if value}


def test_a_case_changed_many_ways_leaves_what_its_last_state_writes_at_once(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    """Moved to another grid, village and department, answered, extended, reworked, closed
    late, reopened into a park: the differences written on the way add up to the last state."""
    reported = datetime(2026, 11, 30, 22, tzinfo=BEIJING)
    push(r, keys, [urban_record(1, *point(1), sbsj=sbsj(reported))], received_at=reported)
    drain_now(engine)
    (case,) = [Case.from_json(v) for v in r.mget(r.keys(keys.case("*")))]
    hours = [timedelta(hours=h) for h in range(60)]
    states = [
        replace(case, responded_at=reported + hours[1]),
        replace(case, grid="XXK-02-01", village="XXK-02", department=None, responded_at=None),
        replace(case, handling_due=reported + hours[40], extension_count=1, rework_count=2),
        replace(
            case,
            status="closed",
            stage="closed",
            closed_at=reported + hours[50],
            responded_at=reported + hours[2],
        ),
        replace(
            case,
            status="closed",
            stage="closed",
            closed_at=reported + hours[3],
            grid=None,
            village=None,
            department="enforce-central",
        ),
        replace(case, stage="parked", responded_at=reported + hours[2]),
        replace(
            case,
            department="enforce-central",
            responded_at=reported + hours[5],
            handling_due=reported + hours[4],
        ),
    ]
    before: Case | None = case
    for state in states:
        pipe = r.pipeline(transaction=True)
        kpi_projection.write(pipe, keys, {case.id: before}, {case.id: state})
        pipe.execute()
        at_once = Keys(keys.prefix + "at-once:")
        pipe = r.pipeline(transaction=True)
        kpi_projection.write(pipe, at_once, {case.id: None}, {case.id: state})
        pipe.execute()
        stepped = buckets(r, keys)
        fresh = buckets(r, at_once)
        rename = len(keys.prefix + "at-once:")
        assert stepped == {keys.prefix + name[rename:]: v for name, v in fresh.items()}, state
        for name in r.keys(f"{glob_escape(at_once.prefix)}*"):
            r.delete(name)
        before = state
