"""The push's pure planner: `plan(state, reads, now)` → the messages the page gets.

`Browser` applies the messages the way ag-grid and Dash's renderer do, and refuses what they
would warn about (an add of a known row, an update of an unknown one), then acknowledges
them as the page does (the rows' mark, the map's draw mark), so these tests check what the
wall would really show, not only what the server sends.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash import Patch

from cases.counts import Counts
from dashboard import ids
from dashboard.filters import CaseFilter, filter_of
from dashboard.map_patch import ZMAX_FLOOR, MapTraces, zmax
from dashboard.modules import ModuleData
from dashboard.push import (
    MAP_EARLY_SECONDS,
    MAP_REST_SECONDS,
    PERIODIC_SLACK_SECONDS,
    PERIODS,
    QUIET_SECONDS,
    Limits,
    Link,
    Mirror,
    Reads,
    Snapshot,
    WallState,
    build_view,
    map_rest_left,
    mirror_from_store,
    mirror_to_store,
    periodic_at,
    plan,
    rows_lost,
    start,
    wanted,
    with_acks,
)

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
NOW = T0.timestamp() + 3600
TRACES = MapTraces(choropleth=0, halo=2, points=3, locations=("G1", "G2", "G3"))
LIMITS = Limits(max_rows=5, max_points=4)
ROWS = ids.WALL_PUSH_ROWS


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

    def receive(self, messages: list[tuple[Any, dict[str, Any]]]) -> dict[str, int]:
        """Apply the rows' and the map's messages; the marks the page acknowledges."""
        acks = {}
        for cid, props in messages:
            if cid == ids.WALL_PUSH_ROWS:
                change = props["data"]
                if "rowData" in change:
                    self.rows = {r["id"]: r for r in change["rowData"]}
                else:
                    self.apply(dict(change["transaction"]), None)
                acks["rows_ack"] = change["mark"]
            elif cid == ids.WALL_MAP:
                operations = props["figure"].to_plotly_json()["operations"]
                for op in operations:
                    self._patch(op)
                acks["map_ack"] = self.figure["layout"]["meta"]
        return acks

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
            target = target.setdefault(key, {}) if isinstance(target, dict) else target[key]
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
    data = [{"z": list(view.z), "zmax": zmax(view.z)}, {}, halo, points, {}]
    return {"data": data, "layout": {}}


def begin(
    cases: list[dict[str, Any]], grid: dict[str, int] | None = None
) -> tuple[WallState, Browser]:
    """A fresh page with these cases, its grid up (it acknowledged the page load)."""
    view = build_view(cases, grid or {}, lang="zh", limits=LIMITS, locations=TRACES.locations)
    state = start(
        "zh", "1-0", view.mirror, limits=LIMITS, traces=TRACES, case_filter=CaseFilter(), now=NOW
    )
    return replace(state, rows=Link(0, 0, NOW)), Browser(view.rows, figure_for(view))


def counts(overdue: int, open_total: int, today: int) -> Counts:
    """The header's figures as cases/counts.py reads them."""
    return Counts(T0, open_total=open_total, today_total=today, response_overdue=overdue)


class Tick:
    def __init__(self, messages: list[tuple[Any, dict[str, Any]]]) -> None:
        self.messages = messages
        rows = [p["data"] for c, p in messages if c == ids.WALL_PUSH_ROWS]
        self.transaction = rows[0].get("transaction") if rows else None
        self.patch = next((p["figure"] for c, p in messages if c == ids.WALL_MAP), None)


def step(
    state: WallState, browser: Browser, reads: Reads, now: float | None = None
) -> tuple[WallState, Tick]:
    """One plan (by default once the map has rested since its last patch); the browser
    applies its messages and its acknowledgements are read back."""
    now = max(NOW, state.map.at + MAP_REST_SECONDS) if now is None else now
    state, messages = plan(state, reads, now)
    acks = browser.receive(messages)
    state, more = plan(state, Reads(**acks), now)  # type: ignore[arg-type]
    acks = browser.receive(more)  # the map's patch, once the rows are in
    state, _ = plan(state, Reads(**acks), now)  # type: ignore[arg-type]
    return state, Tick(messages + more)


def tick(
    state: WallState,
    browser: Browser,
    cases: list[dict[str, Any]],
    grid: dict[str, int] | None = None,
) -> tuple[WallState, Tick]:
    state, result = step(state, browser, Reads(cursor="2-0", cases=cases, grid=grid))
    mirror = state.mirror
    assert mirror is not None and set(browser.rows) == set(mirror.rows)
    assert browser.point_ids == list(mirror.points)
    halo, points = (browser.figure["data"][i] for i in (TRACES.halo, TRACES.points))
    assert (halo["lon"], halo["lat"]) == (points["lon"], points["lat"])
    return state, result


def test_a_new_case_is_added_then_updated_then_removed() -> None:
    state, browser = begin([])
    state, first = tick(state, browser, [case(1)])
    assert [r["id"] for r in first.transaction["add"]] == ["urban:1"]
    state, second = tick(state, browser, [{**case(1), "title": "改"}])
    assert set(second.transaction) == {"update"}
    assert browser.rows["urban:1"]["summary"] == "改"
    state, third = tick(state, browser, [case(1, status="closed")])
    assert third.transaction["remove"] == [{"id": "urban:1"}]
    assert browser.rows == {} and browser.point_ids == []


def test_one_tick_carries_every_change_in_one_transaction() -> None:
    state, browser = begin([case(1), case(2)])
    state, result = tick(
        state, browser, [case(3), case(4), {**case(1), "title": "x"}, case(2, status="closed")]
    )
    assert [r["id"] for r in result.transaction["add"]] == ["urban:3", "urban:4"]
    assert [r["id"] for r in result.transaction["update"]] == ["urban:1"]
    assert result.transaction["remove"] == [{"id": "urban:2"}]


def test_a_case_closed_that_the_wall_never_showed_sends_nothing() -> None:
    state, browser = begin([])
    state, result = tick(state, browser, [case(7, status="closed")])
    assert result.transaction is None and result.patch is None


def test_the_row_cap_drops_the_oldest_reports_even_ones_added_in_the_same_tick() -> None:
    state, browser = begin([case(n) for n in range(10, 15)])
    state, result = tick(state, browser, [case(20), case(1)])  # case 1 is older than every row
    assert [r["id"] for r in result.transaction["add"]] == ["urban:20"]
    assert result.transaction["remove"] == [{"id": "urban:10"}]
    assert len(browser.rows) == LIMITS.max_rows


def test_points_append_move_and_go_and_the_cap_drops_the_oldest() -> None:
    state, browser = begin([case(1), case(2)])
    assert browser.point_ids == ["urban:1", "urban:2"]  # oldest first
    state, _ = tick(state, browser, [{**case(1), "lon": 120.5}])
    assert browser.figure["data"][TRACES.points]["lon"][0] == 120.5
    state, _ = tick(state, browser, [case(3), case(4), case(5)])
    assert browser.point_ids == ["urban:2", "urban:3", "urban:4", "urban:5"]
    state, _ = tick(state, browser, [case(4, status="closed"), case(6, lon=None)])
    assert browser.point_ids == ["urban:2", "urban:3", "urban:5"]


def test_consecutive_new_points_go_out_as_one_extend_per_array() -> None:
    state, browser = begin([])
    state, result = tick(state, browser, [case(1), case(2), case(3)])
    operations = result.patch.to_plotly_json()["operations"]
    extends = [op for op in operations if op["operation"] == "Extend"]
    assert len(extends) == 6  # halo lon, lat; point lon, lat, marker.color, customdata


def test_z_goes_out_only_when_the_counts_change_with_a_floored_top() -> None:
    state, browser = begin([case(1)], {"G1": 1})
    assert state.mirror is not None and state.mirror.z == (1, 0, 0)
    state, unchanged = tick(state, browser, [{**case(1), "title": "x"}], {"G1": 1})
    assert unchanged.patch is not None  # the point is rewritten, but z is not sent
    assert all(op["location"][-1] != "z" for op in unchanged.patch.to_plotly_json()["operations"])
    state, _ = tick(state, browser, [case(2, grid="G3")], {"G1": 1, "G3": 1})
    assert browser.figure["data"][0]["z"] == [1, 0, 1]
    assert browser.figure["data"][0]["zmax"] == ZMAX_FLOOR
    state, _ = tick(state, browser, [case(3, grid="G3")], {"G3": 9})
    assert browser.figure["data"][0]["zmax"] == 9


def test_random_ticks_keep_the_browser_equal_to_the_mirror() -> None:
    rng = random.Random(7)
    state, browser = begin([case(n) for n in range(8)])
    for _ in range(300):
        batch = {}
        for _ in range(rng.randint(1, 6)):
            n = rng.randint(0, 30)
            batch[n] = case(
                n,
                status=rng.choice(["open", "open", "closed"]),
                lon=rng.choice([120.4, 120.41, None]),
            )
        state, _ = tick(state, browser, list(batch.values()))
        assert len(browser.rows) <= LIMITS.max_rows
        assert len(browser.point_ids) <= LIMITS.max_points
        assert state.mirror is not None
        assert all(row["id"] in state.mirror.rows for row in browser.rows.values())


def test_build_view_orders_rows_newest_first_and_points_oldest_first() -> None:
    cases = [case(n) for n in range(8)] + [case(9, status="closed")]
    view = build_view(cases, {"G2": 3}, lang="en", limits=LIMITS, locations=TRACES.locations)
    assert [r["id"] for r in view.rows] == [f"urban:{n}" for n in (7, 6, 5, 4, 3)]
    assert [p.id for p in view.points] == [f"urban:{n}" for n in (4, 5, 6, 7)]
    assert view.z == (0, 3, 0)
    assert view.rows[0]["category"] == "Illegal parking"


def test_a_page_whose_state_is_unknown_gets_whole_rows_and_whole_point_arrays() -> None:
    stale = Browser([case(9)], figure_for(build_view([case(9)], {}, lang="zh", limits=LIMITS,
                                                      locations=())))  # fmt: skip
    state = start("zh", "1-0", None, limits=LIMITS, traces=TRACES, case_filter=CaseFilter(),
                  now=NOW)  # fmt: skip
    snap = Snapshot("9-0", [case(1), late(2)], {"G1": 2}, counts(1, 2, 2))
    state, result = step(replace(state, rows=Link(0, 0, NOW)), stale, Reads(snapshot=snap))
    assert list(stale.rows) == ["urban:2", "urban:1"]  # late first
    assert stale.point_ids == ["urban:1", "urban:2"]
    assert stale.figure["data"][0]["z"] == [2, 0, 0]
    assert state.cursor == "9-0" and state.mirror is not None
    assert (ids.WALL_PUSH_CURSOR, {"data": {"cursor": "9-0", "lang": "zh", "filter": {}}}) in (
        result.messages
    )


def test_a_change_goes_out_at_once_and_the_map_follows_once_the_rows_are_in() -> None:
    state, browser = begin([])
    state = replace(state, map=Link(0, 0, NOW - MAP_REST_SECONDS))  # rested

    def sent(reads: Reads, now: float) -> list[Any]:
        nonlocal state
        state, messages = plan(state, reads, now)
        acks.update(browser.receive(messages))
        return [c for c, _ in messages if c in (ids.WALL_PUSH_ROWS, ids.WALL_MAP)]

    acks: dict[str, int] = {}
    assert sent(Reads(cursor="2-0", cases=[case(1)]), NOW) == [ids.WALL_PUSH_ROWS]  # at once
    assert sent(Reads(), NOW) == []  # the rows not acknowledged yet: one in flight
    assert sent(Reads(rows_ack=acks["rows_ack"]), NOW) == [ids.WALL_MAP]  # now the map
    # While the map's patch is not drawn, rows go on; the map's changes wait, merged.
    assert sent(Reads(cursor="3-0", cases=[case(2)]), NOW + 0.1) == [ids.WALL_PUSH_ROWS]
    assert sent(Reads(rows_ack=acks["rows_ack"]), NOW + 0.1) == []
    assert sent(Reads(cursor="4-0", cases=[case(3)]), NOW + 0.2) == [ids.WALL_PUSH_ROWS]
    assert sent(Reads(rows_ack=acks["rows_ack"]), NOW + 0.2) == []
    assert state.map_pending.keys() == {"urban:2", "urban:3"}
    assert sent(Reads(map_ack=acks["map_ack"]), NOW + 0.5) == []  # drawn, not rested
    assert sent(Reads(), NOW + MAP_REST_SECONDS) == [ids.WALL_MAP]  # both in one patch
    assert browser.point_ids == ["urban:1", "urban:2", "urban:3"]
    assert state.map_pending == {}


def test_the_pages_store_is_marked_not_fresh_once_per_loop_not_with_every_change() -> None:
    state, browser = begin([])
    marks = []
    for n in range(1, 4):
        state, tick = step(state, browser, Reads(cursor=f"{n + 1}-0", cases=[case(n)]))
        marks += [props for c, props in tick.messages if c == ids.WALL_PUSH_CURSOR]
        state, _ = step(state, browser, Reads(rows_ack=state.rows.sent))
    assert marks == [{"data": {"cursor": "2-0", "lang": "zh", "filter": {}}}]
    # A loop started again from that store (a reconnect) knows nothing of the page: resync.
    assert mirror_from_store(marks[0]["data"]) is None
    assert browser.point_ids == ["urban:1", "urban:2", "urban:3"]


def test_the_maps_patch_may_go_the_moment_the_rows_are_acknowledged_once_rested() -> None:
    state, browser = begin([])
    assert map_rest_left(state, NOW) == float("inf")  # nothing waits for the map
    state = replace(state, map=Link(0, 0, NOW - MAP_REST_SECONDS / 2))  # half rested
    state, messages = plan(state, Reads(cursor="2-0", cases=[case(1)]), NOW)
    assert map_rest_left(state, NOW) == float("inf")  # the rows are in flight
    acks = browser.receive(messages)
    state, _ = plan(state, Reads(rows_ack=acks["rows_ack"]), NOW)
    # Not early enough for the acknowledgement: once rested and the rows quiet.
    wait = max(MAP_REST_SECONDS / 2, QUIET_SECONDS)
    assert map_rest_left(state, NOW) == pytest.approx(wait)
    later = NOW + wait
    assert map_rest_left(state, later) == 0
    state, tick = step(state, browser, Reads(), later)
    assert tick.patch is not None and browser.point_ids == ["urban:1"]
    assert map_rest_left(state, later) == float("inf")  # not drawn yet: nothing waits anyway


def test_the_maps_patch_keeps_to_the_rows_acknowledgements_and_never_runs_into_a_change() -> None:
    state, browser = begin([])
    nearly = NOW - (MAP_REST_SECONDS - MAP_EARLY_SECONDS / 2)  # its rest nearly over
    state = replace(state, map=Link(0, 0, nearly))
    state, messages = plan(state, Reads(cursor="2-0", cases=[case(1)]), NOW)
    acks = browser.receive(messages)
    assert map_rest_left(state, NOW) > 0  # without an acknowledgement: not yet
    state, tick = step(state, browser, Reads(rows_ack=acks["rows_ack"]), NOW)
    assert tick.patch is not None  # with it: at once, a little early
    state, tick = step(state, browser, Reads(map_ack=state.map.sent), NOW + 0.1)
    sent_at = NOW + 0.6
    state, messages = plan(state, Reads(cursor="3-0", cases=[case(2)]), sent_at)
    acks = browser.receive(messages)
    state, tick = step(state, browser, Reads(rows_ack=acks["rows_ack"]), sent_at)
    assert tick.patch is None  # rested too little even for an early patch
    # Its rest over, it still keeps clear of the change a steady stream brings next: one gap
    # between its last two changes after the last.
    rested = NOW + MAP_REST_SECONDS
    expected = sent_at + (sent_at - NOW)
    assert abs(rested - expected) < QUIET_SECONDS
    assert map_rest_left(state, rested) == pytest.approx(expected + QUIET_SECONDS - rested)
    assert map_rest_left(state, expected + QUIET_SECONDS) == 0


def test_rows_wait_for_the_pages_grid_and_a_link_never_acknowledged_frees_after_a_while() -> None:
    state = start("zh", "1-0", Mirror(), limits=LIMITS, traces=TRACES, case_filter=CaseFilter(),
                  now=NOW)  # fmt: skip
    assert not state.rows.free(NOW)  # the page has not said its grid is up
    assert plan(state, Reads(rows_ack=0), NOW)[0].rows.free(NOW)
    assert state.rows.free(NOW + 31)
    sent = state.rows.send(NOW)
    assert sent.sent >= NOW * 1000 and not replace(sent, acked=sent.sent - 1).free(NOW)


def test_the_pages_rows_link_opening_frees_the_rows_and_a_reopened_one_resyncs() -> None:
    state = start("zh", "1-0", Mirror(), limits=LIMITS, traces=TRACES, case_filter=CaseFilter(),
                  now=NOW)  # fmt: skip
    greeted, messages = plan(state, Reads(hello=True), NOW)
    assert greeted.rows.free(NOW) and greeted.mirror == Mirror() and messages[-1][0] != ROWS
    # Rows went out, then the link dropped and came back: which the page applied is unknown.
    sent, messages = plan(greeted, Reads(cursor="2-0", cases=[case(1)]), NOW)
    assert [c for c, _ in messages].count(ROWS) == 1 and not sent.rows.free(NOW)
    again, _ = plan(sent, Reads(hello=True), NOW + 1)
    assert again.mirror is None and again.rows.free(NOW + 1)  # the next read is a snapshot
    snap = Snapshot("3-0", [case(1), case(2)], {"G1": 2})
    resynced, messages = plan(again, Reads(snapshot=snap), NOW + 1)
    [rows] = [p["data"] for c, p in messages if c == ROWS]
    assert [r["id"] for r in rows["rowData"]] == ["urban:2", "urban:1"]
    assert resynced.mirror is not None and resynced.cursor == "3-0"


def test_rows_that_could_not_go_wait_for_the_link_and_then_resync() -> None:
    state, _ = begin([case(1)])
    state, _ = plan(state, Reads(cursor="2-0", cases=[case(2)]), NOW)
    lost = rows_lost(state, NOW)  # the scheduler found no socket to send them on
    assert lost.mirror is None and not lost.rows.free(NOW + 1)
    back, messages = plan(lost, Reads(hello=True), NOW + 2)
    assert back.rows.free(NOW + 2) and back.mirror is None and messages[-1][0] != ROWS


def test_the_header_figures_are_the_servers_counts_sent_when_they_change() -> None:
    state, _ = begin([])

    def figures(read: Counts) -> dict[str, str]:
        nonlocal state
        state, messages = plan(state, Reads(counts=read), NOW)
        kinds = ("overdue", "open", "today")
        return {k: p["children"] for c, p in messages for k in kinds if c == ids.wall_kpi(k)}

    assert figures(counts(2000, 2100, 5)) == {"overdue": "2000", "open": "2100", "today": "5"}
    assert figures(counts(2000, 2100, 5)) == {}
    assert figures(counts(1999, 2100, 6)) == {"overdue": "1999", "today": "6"}


def test_the_beat_goes_out_at_most_once_a_second_unless_its_state_changes() -> None:
    state, _ = begin([])
    beats = []
    for now, ok in ((NOW, True), (NOW + 0.5, True), (NOW + 0.6, False), (NOW + 1.7, False)):
        state, messages = plan(state, Reads(ok=ok), now)
        beats += [p["data"] for c, p in messages if c == ids.WALL_PUSH_BEAT]
    assert beats == [
        {"at": int(NOW * 1000), "ok": True, "rows": True},
        {"at": int((NOW + 0.6) * 1000), "ok": False, "rows": True},
        {"at": int((NOW + 1.7) * 1000), "ok": False, "rows": True},
    ]
    # A loop without the page's rows link says so in its beat (the page shows the banner).
    lost = rows_lost(state, NOW + 3)
    _, messages = plan(lost, Reads(), NOW + 3)
    assert [p["data"]["rows"] for c, p in messages if c == ids.WALL_PUSH_BEAT] == [False]


def test_periodic_reads_wait_for_a_moment_between_two_changes_unless_late() -> None:
    state, _ = begin([])
    state, _ = plan(state, Reads(lights=[]), NOW)  # lights next due at NOW + 5
    due = NOW + PERIODS["lights"]
    sent = due - 0.1  # a change's rows went out just before
    state, _ = plan(state, Reads(cursor="2-0", cases=[case(1)]), sent)
    assert "lights" not in wanted(state, due)  # the page may still be busy with those rows
    # Once late, or once the rows are quiet, whichever comes first.
    assert periodic_at(state, due) == min(due + PERIODIC_SLACK_SECONDS, sent + QUIET_SECONDS)
    assert "lights" in wanted(state, due, rows_acked=True)  # or the page has caught up
    assert periodic_at(state, due, rows_acked=True) == due
    assert "lights" in wanted(state, sent + QUIET_SECONDS)
    assert "lights" not in wanted(state, due + 0.5, changes=True)  # a step that read changes
    assert "lights" in wanted(state, due + PERIODIC_SLACK_SECONDS, changes=True)  # unless late


def test_periodic_reads_fall_due_after_their_period_and_a_silent_page_ends_the_push() -> None:
    state, _ = begin([])
    assert "lights" in wanted(state, NOW) and "alive" not in wanted(state, NOW)
    state, _ = plan(state, Reads(lights=[]), NOW)
    assert "lights" not in wanted(state, NOW + 4) and "lights" in wanted(state, NOW + 5)
    assert "alive" in wanted(state, NOW + 60)
    assert plan(state, Reads(alive=True), NOW)[0].alive
    assert not plan(state, Reads(alive=False), NOW)[0].alive


def test_a_case_the_pages_filter_hides_leaves_its_queue() -> None:
    state, browser = begin([case(1), case(2)])
    state = replace(state, case_filter=filter_of({"category": "-parking"}))
    state, result = tick(state, browser, [case(1), {**case(3), "category": "street_vending"}])
    assert result.transaction["remove"] == [{"id": "urban:1"}]
    assert [r["id"] for r in result.transaction["add"]] == ["urban:3"]


def test_lights_ticker_and_notices_go_out_first_then_only_when_they_change() -> None:
    state, _ = begin([])
    light = {"feed": "urban", "status": "live", "last_at": "2026-11-28T01:00:00+00:00"}
    alert = {"id": "cap:1", "title": "暴雨橙色预警", "severity": 3, "attrs": {}}
    sent = []
    for reads in (
        Reads(lights=[light], alerts=[], notices=[]),
        Reads(lights=[light], alerts=[], notices=[]),
        Reads(lights=[{**light, "last_at": "2026-11-28T01:00:05+00:00"}], alerts=[alert]),
    ):
        state, messages = plan(state, reads, NOW)
        sent.append(sorted(c for c, _ in messages if c != ids.WALL_PUSH_BEAT))
    assert sent == [  # the first alerts read also draws their (no) areas on the map
        sorted(
            [ids.WALL_PUSH_FEEDS, ids.WALL_HEADER_TICKER, ids.WALL_HEADER_NOTICES, ids.WALL_MAP]
        ),
        [],
        sorted([ids.WALL_PUSH_FEEDS, ids.WALL_HEADER_TICKER]),
    ]


@pytest.mark.parametrize("fresh", [True, False])
def test_only_a_fresh_page_carries_its_mirror(fresh: bool) -> None:
    mirror = Mirror({"urban:1": 5}, ("urban:1",), (1, 0, 0))
    data = mirror_to_store(mirror, "12-0", "en", fresh=fresh)
    assert (data["cursor"], data["lang"]) == ("12-0", "en")
    back = mirror_from_store(data)
    if fresh:
        assert back == Mirror({"urban:1": 5}, ("urban:1",), None)  # z unknown: sent on a change
    else:
        assert back is None  # the browser's state is unknown: the push resyncs
    assert mirror_from_store(None) is None


def test_rows_added_by_a_tick_carry_the_stamp_the_browser_flashes_them_by() -> None:
    state, browser = begin([case(1)])
    state, result = tick(state, browser, [case(2), {**case(1), "title": "x"}])
    [mark] = [p["data"]["mark"] for c, p in result.messages if c == ids.WALL_PUSH_ROWS]
    assert [r.get("pushed_at") for r in result.transaction["add"]] == [mark]
    assert "pushed_at" not in result.transaction["update"][0]
    assert all("pushed_at" not in row for row in begin([case(3)])[1].rows.values())


def late(n: int, **fields: Any) -> dict[str, Any]:
    return {**case(n), "late": True, **fields}


def test_late_rows_are_kept_first_when_the_queue_is_capped() -> None:
    state, browser = begin([late(1), late(2), *(case(n) for n in range(10, 16))])
    assert list(browser.rows) == ["urban:2", "urban:1", "urban:15", "urban:14", "urban:13"]
    assert state.mirror is not None and state.mirror.late == {"urban:1", "urban:2"}
    # Answered in time but past its handling deadline: late, so it stays.
    state, result = tick(state, browser, [case(20), late(3, handling_overdue=True)])
    # Two rows in, two out: the oldest of those not late, never a late one.
    assert result.transaction["remove"] == [{"id": "urban:13"}, {"id": "urban:14"}]
    assert {"urban:1", "urban:2", "urban:3"} <= set(browser.rows)
    state, _ = tick(state, browser, [case(1), case(21)])
    assert "urban:1" not in browser.rows  # no longer late: an old row like any other


def test_a_fresh_store_round_trips_the_overdue_rows_and_every_store_keeps_the_filter() -> None:
    mirror = Mirror({"urban:1": 5, "urban:2": 6}, (), None, frozenset({"urban:2", "urban:9"}))
    query = {"category": "-parking"}
    data = mirror_to_store(mirror, "3-0", "zh", fresh=True, query=query)
    back = mirror_from_store(data)
    assert back is not None and back.late == {"urban:2"}  # only rows the page holds
    assert data["filter"] == query
    assert mirror_to_store(mirror, "3-0", "zh", fresh=False, query=query)["filter"] == query


def test_module_panels_and_overlay_layers_go_out_first_then_only_when_they_change() -> None:
    state, _ = begin([])
    data = ModuleData(now=T0, counts=counts(0, 2, 1), cases=(case(1),))

    def sent(reads: Reads) -> list[Any]:
        nonlocal state
        state, messages = plan(state, reads, NOW)
        return [c for c, _ in messages if c not in (ids.WALL_PUSH_BEAT,)]

    first = sent(Reads(modules=data, stations=({}, {})))
    bodies = [c for c in first if c != ids.WALL_MAP]
    assert bodies and all(c["type"] == ids.wall_module_body("x")["type"] for c in bodies)
    assert first.count(ids.WALL_MAP) == 1  # the overlay layers, marked like any map change
    assert sent(Reads(modules=data, stations=({}, {}))) == []
    more = ModuleData(now=T0, counts=counts(0, 3, 2), cases=(case(1),))
    assert ids.WALL_MAP not in sent(Reads(modules=more, stations=({}, {})))


def steady_stream(period: float, seconds: float = 40.0) -> tuple[list[float], list[float]]:
    """The planner under a change every `period` seconds, woken as dashboard/live.py wakes it:
    at a change (read at once while the rows are all acknowledged), at an acknowledgement
    (rows 40 ms after they go, a map patch drawn 100 ms after it goes), and when the periodic
    reads or the map's patch may go. The changes' times, and the times a slow message (a map
    patch, a periodic read) went out."""
    state, _ = begin([])
    state = replace(state, due={**dict.fromkeys(PERIODS, NOW + 10**6), "lights": NOW + 5})
    changes = [NOW + period * k for k in range(1, int(seconds / period) + 1)]
    acks: list[tuple[float, str, int]] = []
    slow: list[float] = []
    t, n, read = NOW, 0, 0
    while t < NOW + seconds:
        come = [a for a in acks if a[0] <= t]
        acks = [a for a in acks if a[0] > t]
        rows_ack = max((m for _, k, m in come if k == "rows_ack"), default=None)
        map_ack = max((m for _, k, m in come if k == "map_ack"), default=None)
        acked = with_acks(state, t, hello=False, rows_ack=rows_ack, map_ack=map_ack)
        reads: dict[str, Any] = {"rows_ack": rows_ack, "map_ack": map_ack}
        rest = map_rest_left(acked, t, rows_acked=rows_ack is not None)
        if acked.rows.free(t) and rest > 0 and read < len(changes) and changes[read] <= t:
            reads |= {"cursor": f"{read + 10}-0", "cases": [case(100 + read)]}
            read += 1
        kinds = wanted(acked, t, changes="cursor" in reads, rows_acked=rows_ack is not None)
        if "lights" in kinds:
            reads["lights"] = []
            slow.append(t)
        state, messages = plan(state, Reads(**reads), t)
        for component, props in messages:
            if component == ROWS:
                acks.append((t + 0.04, "rows_ack", props["data"]["mark"]))
            elif component == ids.WALL_MAP:
                slow.append(t)
                acks.append((t + 0.1, "map_ack", state.map.sent))
        n += 1
        assert n < 100_000, "the planner does not settle"
        wakes = [a[0] for a in acks] + changes[read : read + 1]
        wakes.append(periodic_at(state, t))
        if (left := map_rest_left(state, t)) < float("inf"):
            wakes.append(t + left)
        t = max(min(wakes), t + 0.001)
    return changes, slow


@pytest.mark.parametrize("period", [0.5, 1.0, 1.05, 1.5, 2.0, 2.05, 2.2, 3.0, 5.0, 7.0])
def test_under_a_steady_stream_nothing_slow_goes_just_before_a_change(period: float) -> None:
    """A map redraw or a panel's update takes the page's main thread for up to a few hundred
    ms: under a change every `period` seconds none goes within 0.25 s before the next change
    (where its rows would wait behind it)."""
    changes, slow = steady_stream(period)
    assert slow, "the map and the panels went out"
    near = [s for s in slow if any(0 <= c - s < 0.25 for c in changes)]
    assert near == [], f"{len(near)} of {len(slow)} slow messages just before a change"


def test_the_incident_layer_is_read_every_second_even_under_changes_and_sent_when_it_changes() -> (
    None
):
    state, _ = begin([])
    off = ({"digest": "none", "incident": ""}, [], "incident")
    on = ({"digest": "d1", "incident": "INC-1"}, ["layout"], "incident incident-on")
    sent = []
    for reads in (Reads(incident=off), Reads(incident=off), Reads(incident=on), Reads(incident=on)):
        state, messages = plan(state, reads, NOW)
        sent.append([p.get("className") for c, p in messages if c == ids.INCIDENT_VIEW])
    assert sent == [["incident"], [], ["incident incident-on"], []]
    due = NOW + PERIODS["incident"]
    assert PERIODS["incident"] <= 1.0
    state, _ = plan(state, Reads(cursor="2-0", cases=[case(1)]), due - 0.1)
    assert "incident" in wanted(state, due, changes=True), "never held back by changes"


def test_the_alerts_areas_go_to_the_map_when_they_change() -> None:
    state, _ = begin([])
    ring = [[120.38, 31.77], [120.41, 31.77], [120.41, 31.8], [120.38, 31.77]]
    alert = {"id": "cap:1", "severity": 4, "attrs": {"geometry": {
        "type": "Polygon", "coordinates": [ring]}}}  # fmt: skip
    figures = []
    for alerts in ([alert], [alert], []):
        state, messages = plan(state, Reads(alerts=alerts), NOW)
        figures.append([p["figure"] for c, p in messages if c == ids.WALL_MAP])
    assert [len(f) for f in figures] == [1, 0, 1], "sent at first, then only when changed"
    first = figures[0][0].to_plotly_json()["operations"]
    assert any(op["location"] == ["data", 11, "lon"] and op["params"]["value"][0] == 120.38
               for op in first)  # fmt: skip
