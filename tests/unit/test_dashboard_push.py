"""The push's pure core: changed cases → one grid transaction and one map patch.

`Browser` applies transactions and patches the way ag-grid and Dash's renderer do, and
refuses what they would warn about (an add of a known row, an update of an unknown one), so
these tests check what the wall would really show, not only what the server sends.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash import Patch

from dashboard.push import (
    ZMAX_FLOOR,
    Limits,
    MapTraces,
    Mirror,
    build_view,
    mirror_from_store,
    mirror_to_store,
    plan_tick,
    resync_patch,
    zmax,
)

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
TRACES = MapTraces(choropleth=0, halo=2, points=3, locations=("G1", "G2", "G3"))
LIMITS = Limits(max_rows=5, max_points=4)


def case(
    n: int, *, status: str = "open", grid: str = "G1", lon: float | None = 120.4
) -> dict[str, Any]:
    return {
        "id": f"urban:{n}", "category": "parking", "group": "order", "title": f"案件{n}",
        "description": "", "status": status, "grid": grid, "grid_name": "第一网格",
        "village_name": "甲村", "lon": lon, "lat": None if lon is None else 31.78,
        "reported_at": (T0 + timedelta(minutes=n)).isoformat(), "response_due": None,
        "responded_at": None, "severity": 1, "overdue": False,
    }  # fmt: skip


class Browser:
    """ag-grid rows by id and the figure's live traces, changed as the browser changes them."""

    def __init__(self, rows: list[dict[str, Any]], figure: dict[str, Any]) -> None:
        self.rows = {r["id"]: r for r in rows}
        self.figure = figure

    def apply(self, transaction: dict[str, Any] | None, patch: Patch | None) -> None:
        if transaction:
            for row in transaction.pop("add", []):
                assert row["id"] not in self.rows, "ag-grid: duplicate row id"
                self.rows[row["id"]] = row
            for row in transaction.pop("update", []):
                assert row["id"] in self.rows, "ag-grid: no row to update"
                self.rows[row["id"]] = row
            for row in transaction.pop("remove", []):
                assert self.rows.pop(row["id"], None) is not None, "ag-grid: no row to remove"
            assert not transaction
        if patch is not None:
            for op in patch.to_plotly_json()["operations"]:
                self._patch(op)

    def _patch(self, op: dict[str, Any]) -> None:
        *path, last = op["location"]
        target: Any = self.figure
        for key in path:
            target = target[key]
        if op["operation"] == "Assign":
            target[last] = op["params"]["value"]
        elif op["operation"] == "Delete":
            del target[last]
        elif op["operation"] == "Extend":
            target[last].extend(op["params"]["value"])
        else:
            raise AssertionError(f"unexpected patch operation {op['operation']}")

    @property
    def point_ids(self) -> list[str]:
        return list(self.figure["data"][TRACES.points]["customdata"])


def figure_for(view: Any) -> dict[str, Any]:
    points = {
        "lon": [p.lon for p in view.points],
        "lat": [p.lat for p in view.points],
        "marker": {"color": [p.colour for p in view.points]},
        "customdata": [p.id for p in view.points],
    }
    halo = {"lon": list(points["lon"]), "lat": list(points["lat"])}
    return {"data": [{"z": list(view.z), "zmax": zmax(view.z)}, {}, halo, points, {}]}


def start(
    cases: list[dict[str, Any]], counts: dict[str, int] | None = None
) -> tuple[Mirror, Browser]:
    view = build_view(cases, counts or {}, lang="zh", limits=LIMITS, locations=TRACES.locations)
    return view.mirror, Browser(view.rows, figure_for(view))


def tick(
    mirror: Mirror,
    browser: Browser,
    cases: list[dict[str, Any]],
    counts: dict[str, int] | None = None,
) -> Any:
    result = plan_tick(mirror, cases, counts, lang="zh", limits=LIMITS, traces=TRACES)
    browser.apply(dict(result.transaction) if result.transaction else None, result.patch)
    assert set(browser.rows) == set(mirror.rows)
    assert browser.point_ids == mirror.points
    halo, points = (browser.figure["data"][i] for i in (TRACES.halo, TRACES.points))
    assert (halo["lon"], halo["lat"]) == (points["lon"], points["lat"])
    return result


def test_a_new_case_is_added_then_updated_then_removed() -> None:
    mirror, browser = start([])
    first = tick(mirror, browser, [case(1)])
    assert [r["id"] for r in first.transaction["add"]] == ["urban:1"]
    second = tick(mirror, browser, [{**case(1), "title": "改"}])
    assert set(second.transaction) == {"update"}
    assert browser.rows["urban:1"]["summary"] == "改"
    third = tick(mirror, browser, [case(1, status="closed")])
    assert third.transaction["remove"] == [{"id": "urban:1"}]
    assert browser.rows == {} and browser.point_ids == []


def test_one_tick_carries_every_change_in_one_transaction() -> None:
    mirror, browser = start([case(1), case(2)])
    result = tick(
        mirror, browser, [case(3), case(4), {**case(1), "title": "x"}, case(2, status="closed")]
    )
    assert [r["id"] for r in result.transaction["add"]] == ["urban:3", "urban:4"]
    assert [r["id"] for r in result.transaction["update"]] == ["urban:1"]
    assert result.transaction["remove"] == [{"id": "urban:2"}]


def test_a_case_closed_that_the_wall_never_showed_sends_nothing() -> None:
    mirror, browser = start([])
    result = tick(mirror, browser, [case(7, status="closed")])
    assert result.transaction is None and result.patch is None


def test_the_row_cap_drops_the_oldest_reports_even_ones_added_in_the_same_tick() -> None:
    mirror, browser = start([case(n) for n in range(10, 15)])
    result = tick(mirror, browser, [case(20), case(1)])  # case 1 is older than every row
    assert [r["id"] for r in result.transaction["add"]] == ["urban:20"]
    assert result.transaction["remove"] == [{"id": "urban:10"}]
    assert len(browser.rows) == LIMITS.max_rows


def test_points_append_move_and_go_and_the_cap_drops_the_oldest() -> None:
    mirror, browser = start([case(1), case(2)])
    assert browser.point_ids == ["urban:1", "urban:2"]  # oldest first
    tick(mirror, browser, [{**case(1), "lon": 120.5}])
    assert browser.figure["data"][TRACES.points]["lon"][0] == 120.5
    tick(mirror, browser, [case(3), case(4), case(5)])
    assert browser.point_ids == ["urban:2", "urban:3", "urban:4", "urban:5"]
    tick(mirror, browser, [case(4, status="closed"), case(6, lon=None)])
    assert browser.point_ids == ["urban:2", "urban:3", "urban:5"]


def test_consecutive_new_points_go_out_as_one_extend_per_array() -> None:
    mirror, browser = start([])
    result = tick(mirror, browser, [case(1), case(2), case(3)])
    operations = result.patch.to_plotly_json()["operations"]
    extends = [op for op in operations if op["operation"] == "Extend"]
    assert len(extends) == 6  # halo lon, lat; point lon, lat, marker.color, customdata


def test_z_goes_out_only_when_the_counts_change_with_a_floored_top() -> None:
    mirror, browser = start([case(1)], {"G1": 1})
    assert mirror.z == [1, 0, 0]
    unchanged = tick(mirror, browser, [{**case(1), "title": "x"}], {"G1": 1})
    assert unchanged.patch is not None  # the point is rewritten, but z is not sent
    assert all(op["location"][-1] != "z" for op in unchanged.patch.to_plotly_json()["operations"])
    tick(mirror, browser, [case(2, grid="G3")], {"G1": 1, "G3": 1})
    assert browser.figure["data"][0]["z"] == [1, 0, 1]
    assert browser.figure["data"][0]["zmax"] == ZMAX_FLOOR
    tick(mirror, browser, [case(3, grid="G3")], {"G3": 9})
    assert browser.figure["data"][0]["zmax"] == 9


def test_random_ticks_keep_the_browser_equal_to_the_mirror() -> None:
    rng = random.Random(7)
    mirror, browser = start([case(n) for n in range(8)])
    for _ in range(300):
        batch = {}
        for _ in range(rng.randint(1, 6)):
            n = rng.randint(0, 30)
            batch[n] = case(
                n,
                status=rng.choice(["open", "open", "closed"]),
                lon=rng.choice([120.4, 120.41, None]),
            )
        tick(mirror, browser, list(batch.values()))
        assert len(browser.rows) <= LIMITS.max_rows
        assert len(browser.point_ids) <= LIMITS.max_points
        assert all(row["id"] in mirror.rows for row in browser.rows.values())


def test_build_view_orders_rows_newest_first_and_points_oldest_first() -> None:
    cases = [case(n) for n in range(8)] + [case(9, status="closed")]
    view = build_view(cases, {"G2": 3}, lang="en", limits=LIMITS, locations=TRACES.locations)
    assert [r["id"] for r in view.rows] == [f"urban:{n}" for n in (7, 6, 5, 4, 3)]
    assert [p.id for p in view.points] == [f"urban:{n}" for n in (4, 5, 6, 7)]
    assert view.z == [0, 3, 0]
    assert view.rows[0]["category"] == "Illegal parking"


def test_a_resync_replaces_the_live_arrays_wholesale() -> None:
    stale = Browser(
        [], figure_for(build_view([case(9)], {}, lang="zh", limits=LIMITS, locations=()))
    )
    view = build_view(
        [case(1), case(2)], {"G1": 2}, lang="zh", limits=LIMITS, locations=TRACES.locations
    )
    stale.apply(None, resync_patch(view, TRACES))
    assert stale.point_ids == ["urban:1", "urban:2"]
    assert stale.figure["data"][0]["z"] == [2, 0, 0]


@pytest.mark.parametrize("fresh", [True, False])
def test_only_a_fresh_page_carries_its_mirror(fresh: bool) -> None:
    mirror = Mirror({"urban:1": 5}, ["urban:1"], [1, 0, 0])
    data = mirror_to_store(mirror, "12-0", "en", fresh=fresh)
    assert (data["cursor"], data["lang"]) == ("12-0", "en")
    back = mirror_from_store(data)
    if fresh:
        assert back == Mirror({"urban:1": 5}, ["urban:1"], None)  # z unknown: sent on a change
    else:
        assert back is None  # the browser's state is unknown: the push resyncs
    assert mirror_from_store(None) is None


def test_rows_added_by_a_tick_carry_the_stamp_the_browser_flashes_them_by() -> None:
    mirror, _ = start([case(1)])
    result = plan_tick(
        mirror, [case(2), {**case(1), "title": "x"}], None,
        lang="zh", limits=LIMITS, traces=TRACES, stamp=1234,
    )  # fmt: skip
    assert [r.get("pushed_at") for r in result.transaction["add"]] == [1234]
    assert "pushed_at" not in result.transaction["update"][0]
    assert all("pushed_at" not in row for row in start([case(3)])[1].rows.values())


def test_overdue_rows_are_kept_first_when_the_queue_is_capped() -> None:
    late = [{**case(n), "overdue": True} for n in (1, 2)]
    view = build_view(
        [*late, *(case(n) for n in range(10, 16))],
        {}, lang="zh", limits=LIMITS, locations=TRACES.locations,
    )  # fmt: skip
    assert [r["id"] for r in view.rows] == [
        "urban:2", "urban:1", "urban:15", "urban:14", "urban:13",
    ]  # fmt: skip
    assert view.mirror.overdue == {"urban:1", "urban:2"}
    browser = Browser(view.rows, figure_for(view))
    result = tick(view.mirror, browser, [case(20), {**case(3), "handling_overdue": True}])
    # Two rows in, two out: the oldest of those not overdue, never an overdue one.
    assert result.transaction["remove"] == [{"id": "urban:13"}, {"id": "urban:14"}]
    assert {"urban:1", "urban:2", "urban:3"} <= set(browser.rows)
    tick(view.mirror, browser, [{**case(1), "overdue": False}, case(21)])
    assert "urban:1" not in browser.rows  # answered: an old row like any other


def test_a_fresh_store_round_trips_the_overdue_rows_and_every_store_keeps_the_filter() -> None:
    mirror = Mirror({"urban:1": 5, "urban:2": 6}, [], None, {"urban:2", "urban:9"})
    query = {"category": "-parking"}
    data = mirror_to_store(mirror, "3-0", "zh", fresh=True, query=query)
    back = mirror_from_store(data)
    assert back is not None and back.overdue == {"urban:2"}  # only rows the page holds
    assert data["filter"] == query
    assert mirror_to_store(mirror, "3-0", "zh", fresh=False, query=query)["filter"] == query
