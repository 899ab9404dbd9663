"""Duplicate reports join one case in the engine (cases/dedup.py), on a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cases import store
from cases.engine import Engine
from cases.lifecycle_events import Cancel, command_to_dict
from core.keys import Keys
from dashboard.api import api_router
from tests.support.pipeline import drain, push
from tests.support.urban import DEFAULT_POINT, around, offset, urban_record

pytestmark = pytest.mark.redis

LON, LAT = DEFAULT_POINT
PARENT = "urban:T-000001"


def parking(n: int, east_m: float = 0.0, at: str = "09:12:33", **fields: str) -> dict[str, object]:
    return urban_record(n, *offset(LON, LAT, east_m, 0.0), sbsj=f"2026-11-28 {at}", **fields)


@pytest.fixture
def api(r: redis.Redis, keys: Keys) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(api_router(r, keys, wait_s=1))
    with TestClient(app) as client:
        yield client


def test_a_second_report_nearby_is_merged_into_the_first_and_listed_under_it(
    r: redis.Redis, keys: Keys, engine: Engine, api: TestClient
) -> None:
    push(r, keys, [parking(1)])
    drain(engine)
    push(r, keys, [parking(2, east_m=20, at="09:30:00")])
    drain(engine)

    child = store.get_case(r, keys, "urban:T-000002")
    assert child is not None
    assert (child["status"], child["stage"], child["parent"]) == ("closed", "merged", PARENT)
    assert (child["closed_by"], child["version"], child["queue"]) == ("engine", 1, None)
    [entry] = store.case_history(r, keys, "urban:T-000002")
    assert entry["type"] == "created" and entry["reason"].startswith(f"duplicate of {PARENT}")
    assert "30 m" in entry["reason"], "the rule that decided is named"
    assert [c["id"] for c in store.open_cases(r, keys)] == [PARENT]
    assert store.grid_open_counts(r, keys) == {store.get_case(r, keys, PARENT)["grid"]: 1}

    parent = api.get(f"/api/cases/{PARENT}").json()
    assert [d["id"] for d in parent["duplicates"]] == ["urban:T-000002"]
    assert parent["duplicates"][0]["reported_at"] == child["reported_at"]
    assert api.get("/api/cases/urban:T-000002").json()["duplicates"] == []


def test_within_one_batch_the_first_is_the_parent_of_the_rest(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [parking(1), parking(2, east_m=10), parking(3, east_m=-10, at="09:40:00")])
    drain(engine)
    parents = {c["id"]: c["parent"] for c in store.get_cases(r, keys, store.all_case_ids(r, keys))}
    assert parents == {PARENT: None, "urban:T-000002": PARENT, "urban:T-000003": PARENT}
    assert r.lrange(keys.duplicates(PARENT), 0, -1) == ["urban:T-000002", "urban:T-000003"]


def test_too_far_too_late_another_category_or_no_point_of_its_own_is_a_case_of_its_own(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [parking(1)])
    drain(engine)
    push(
        r,
        keys,
        [
            parking(2, east_m=40),  # parking: 30 m
            parking(3, east_m=5, at="10:13:00"),  # parking: one hour
            parking(4, east_m=5, xlbm="0102", xlmc="暴露垃圾"),  # another category
        ],
    )
    drain(engine)
    assert len(store.open_cases(r, keys)) == 4
    assert r.llen(keys.duplicates(PARENT)) == 0


def test_a_closed_case_takes_no_more_duplicates_and_a_merged_one_stays_merged(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [parking(1), parking(2, east_m=5)])
    drain(engine)
    assert r.zcard(keys.near("parking")) == 1, "only the parent is a candidate"
    at = store.load_case(r, keys, PARENT).reported_at  # type: ignore[union-attr]
    close = Cancel(actor="值班员", at=at, reason="无效上报")
    r.xadd(
        keys.commands, {"case_id": PARENT, "c": orjson.dumps(command_to_dict(close)), "reason": ""}
    )
    drain(engine)
    assert r.zcard(keys.near("parking")) == 0, "a cancelled case is no parent"

    push(r, keys, [parking(3, east_m=5, at="09:20:00"), parking(2, east_m=5, zt="已受理")])
    drain(engine)
    assert store.get_case(r, keys, "urban:T-000003")["status"] == "open"  # type: ignore[index]
    merged = store.get_case(r, keys, "urban:T-000002")
    assert merged is not None and (merged["status"], merged["stage"]) == ("closed", "merged")
    assert merged["source_status"] == "已受理", "the source's word is recorded, not obeyed"


def test_an_operator_merge_lists_the_case_under_its_parent(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    push(r, keys, [parking(1), urban_record(2, *around(LON, LAT, 0))])  # 60 m apart
    drain(engine)
    command = {"action": "merge", "actor": "值班员", "at": "2026-11-28T02:00:00+00:00",
               "parent_id": PARENT, "reason": "同一车辆"}  # fmt: skip
    r.xadd(
        keys.commands,
        {"case_id": "urban:T-000002", "c": orjson.dumps(command), "reason": "同一车辆"},
    )
    drain(engine)
    assert r.lrange(keys.duplicates(PARENT), 0, -1) == ["urban:T-000002"]
