from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import orjson
import pytest
import redis

from cases import store
from cases.engine import Engine
from cases.journal import BEGIN_ID, Step
from cases.lifecycle_events import Accept, command_to_dict
from core.event import Event
from core.keys import COMMAND_OUTCOME_TTL_S, Keys
from ingest.coords import CRS, from_wgs84
from ingest.sink import RedisSink
from layers.index import GridIndex
from layers.town import Town
from tests.support.pipeline import drain, push
from tests.support.urban import urban_record

pytestmark = pytest.mark.redis


def test_a_record_becomes_an_open_case_in_its_grid(
    r: redis.Redis, keys: Keys, engine: Engine, town: Town
) -> None:
    lon, lat = town.centre
    push(r, keys, [urban_record(1, lon, lat)])
    assert drain(engine) == 1
    [case] = store.open_cases(r, keys)
    expected = GridIndex.from_town(town).assign_one(lon, lat)
    assert case["id"] == "urban:T-000001" and case["grid"] == expected
    assert case["village"] == town.grid_info(expected).village
    assert store.grid_open_counts(r, keys) == {expected: 1}
    assert [h["type"] for h in store.case_history(r, keys, case["id"])] == ["created"]


def test_the_same_record_twice_is_one_case(r: redis.Redis, keys: Keys, engine: Engine) -> None:
    push(r, keys, [urban_record(1)])
    push(r, keys, [urban_record(1)])
    push(r, keys, [urban_record(1), urban_record(1)])
    drain(engine)
    assert store.all_case_ids(r, keys) == ["urban:T-000001"]
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None and case["version"] == 1
    assert r.xlen(keys.case_events) == 1
    assert sum(store.grid_open_counts(r, keys).values()) == 1


def test_an_update_changes_the_case_and_closing_frees_the_grid(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [urban_record(1)])
    drain(engine)
    push(r, keys, [urban_record(1, zt="已受理"), urban_record(1, zt="已结案")])
    drain(engine)
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    assert (case["status"], case["version"], case["source_status"]) == ("closed", 3, "已结案")
    assert case["responded_at"] is not None
    assert store.open_cases(r, keys) == []
    assert store.grid_open_counts(r, keys) == {}


def _border_point(town: Town) -> tuple[float, float, str, str]:
    """A WGS84 point whose GCJ-02 numbers, read unconverted, fall in a neighbouring grid."""
    index = GridIndex.from_town(town)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = town.bbox
    for lon, lat in zip(rng.uniform(minx, maxx, 5000), rng.uniform(miny, maxy, 5000), strict=True):
        true_grid = index.assign_one(lon, lat)
        naive_grid = index.assign_one(*from_wgs84(lon, lat, CRS.GCJ02))
        if true_grid and naive_grid and true_grid != naive_grid:
            return float(lon), float(lat), true_grid, naive_grid
    raise AssertionError("no border point found")


def test_gcj02_points_land_in_the_grid_of_their_wgs84_position(
    r: redis.Redis, keys: Keys, engine: Engine, town: Town
) -> None:
    lon, lat, true_grid, naive_grid = _border_point(town)
    # Two categories: two reports of one category at one point would be one case (duplicates).
    garbage = {"xlbm": "0102", "xlmc": "暴露垃圾"}
    push(
        r,
        keys,
        [urban_record(1, lon, lat, CRS.GCJ02), urban_record(2, lon, lat, CRS.BD09, **garbage)],
    )
    drain(engine)
    cases = {c["id"]: c for c in store.open_cases(r, keys)}
    assert cases["urban:T-000001"]["grid"] == true_grid != naive_grid
    assert cases["urban:T-000002"]["grid"] == true_grid
    assert abs(cases["urban:T-000001"]["lon"] - lon) < 1e-6


def test_a_point_outside_the_town_makes_a_flagged_case(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [urban_record(1, 121.5, 31.2)])
    drain(engine)
    [case] = store.open_cases(r, keys)
    assert case["outside_town"] is True and case["grid"] is None
    assert "outside_town" in case["flags"]
    assert store.grid_open_counts(r, keys) == {}


def test_a_corrupt_stream_entry_is_dead_lettered_not_looped_on(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    r.xadd(keys.events, {"feed": "urban", "e": "{not an event"})
    push(r, keys, [urban_record(1)])
    assert drain(engine) == 2
    [(_, dead)] = r.xrange(keys.deadletter)
    assert "not an Event" in dead["reason"]
    assert len(store.open_cases(r, keys)) == 1
    assert r.xpending(keys.events, "engine")["pending"] == 0


def test_telemetry_updates_the_latest_reading_and_makes_no_case(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    base = {
        "feed": "water", "kind": "telemetry", "source_id": "63201234", "category": "river_gauge",
        "title": "璜塘河闸", "description": "", "received_at": "2026-11-28T01:00:00+00:00",
        "raw": "{}",
    }  # fmt: skip
    readings = [
        Event.from_json(
            orjson.dumps(
                {
                    **base,
                    "id": f"water:63201234:{n}",
                    "attrs": {"z": z},
                    "occurred_at": f"2026-11-28T0{n}:00:00+00:00",
                }
            )
        )
        for n, z in ((2, 3.5), (1, 3.4))
    ]
    RedisSink(keys, 1000).write(r, readings)
    drain(engine)
    assert store.all_case_ids(r, keys) == []
    latest = orjson.loads(r.hget(keys.latest("telemetry"), "water:63201234") or "{}")
    assert latest["attrs"] == {"z": 3.5}


FROZEN = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # the engine's clock, nowhere near the wall's


def journal(r: redis.Redis, keys: Keys) -> list[Step]:
    return [Step.parse(f) for e, f in r.xrange(keys.journal) if e != BEGIN_ID]


def test_each_transaction_is_journaled_with_its_entries_and_its_clock(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    engine.clock = lambda: FROZEN
    push(r, keys, [urban_record(1), urban_record(2)])
    drain(engine)
    [created] = journal(r, keys)
    assert created.op == "events" and created.now == FROZEN and created.changes == 2
    assert list(created.ids) == [e for e, _ in r.xrange(keys.events)]
    push(r, keys, [urban_record(1)])  # again: changes nothing, so nothing to replay
    drain(engine)
    assert len(journal(r, keys)) == 1
    first, _ = r.xrange(keys.journal, count=1)[0]
    assert first == BEGIN_ID and r.xrange(keys.journal, count=1)[0][1]["projections"] == "none"


def test_every_time_written_is_the_engines_clock_or_the_inputs(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    engine.clock = lambda: FROZEN
    push(r, keys, [urban_record(1)])
    drain(engine)
    [entry] = store.case_history(r, keys, "urban:T-000001")
    assert entry["at"] == FROZEN.isoformat(), "an audit entry without a time of its own"
    case = store.get_case(r, keys, "urban:T-000001")
    assert case is not None
    stamped = {case["updated_at"], case["received_at"]}
    assert len(stamped) == 1 and FROZEN.isoformat() not in stamped, "the event's own times"


def test_a_commands_outcome_expires_counted_from_when_it_was_queued(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    engine.clock = lambda: FROZEN
    push(r, keys, [urban_record(1)])
    drain(engine)
    accept = Accept(actor="值班员", at=FROZEN)
    command_id = r.xadd(
        keys.commands, {"case_id": "urban:T-000001", "c": orjson.dumps(command_to_dict(accept))}
    )
    drain(engine)
    [step] = [s for s in journal(r, keys) if s.op == "commands"]
    assert step.ids == (command_id,) and step.now == FROZEN
    expires_ms = int(command_id.split("-")[0]) + COMMAND_OUTCOME_TTL_S * 1000
    left_ms = expires_ms - int(r.time()[0]) * 1000
    assert abs(r.pttl(keys.command(command_id)) - left_ms) < 2000
