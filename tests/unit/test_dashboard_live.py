"""The push loop's small parts: reply parsing, the heartbeat's pace, the page liveness check."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from dash import Patch

from dashboard import ids, live
from dashboard.filters import filter_of
from dashboard.live import Pusher
from dashboard.meters import Meters
from dashboard.push import MapTraces, Mirror
from tests.support.aio import run_now


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """What the pusher would send (outside a callback, `set_props` has nowhere to go)."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(live, "set_props", lambda cid, props: calls.append((cid, props)))
    return calls


def pusher() -> Pusher:
    return Pusher(cast(Any, None), "en", None, "7-0")


def test_xread_replies_give_their_entries() -> None:
    reply = [["t:case-events", [("1-0", {"case_id": "a"}), ("2-0", {"case_id": "b"})]]]
    assert [e[0] for e in live._entries(reply)] == ["1-0", "2-0"]
    assert live._entries([]) == [] and live._entries(None) == []


def test_the_heartbeat_goes_out_at_most_once_a_second_unless_its_state_changes(
    sent: list[tuple[Any, dict[str, Any]]],
) -> None:
    p = pusher()
    p.beat(ok=True)
    p.beat(ok=True)
    p.beat(ok=False)
    assert [props["data"]["ok"] for cid, props in sent] == [True, False]
    assert all(cid == ids.WALL_PUSH_BEAT for cid, _ in sent)


def test_the_cursor_store_keeps_position_language_and_filter_only(
    sent: list[tuple[Any, dict[str, Any]]],
) -> None:
    pusher().save_cursor()
    empty = {"cursor": "7-0", "lang": "en", "filter": {}}
    view = filter_of({"feed": "urban", "category": ["-parking"]})
    Pusher(cast(Any, None), "zh", None, "8-0", view).save_cursor()
    only = {"cursor": "8-0", "lang": "zh", "filter": {"feed": "urban", "category": "-parking"}}
    assert sent == [(ids.WALL_PUSH_CURSOR, {"data": empty}), (ids.WALL_PUSH_CURSOR, {"data": only})]


class Socket:
    def __init__(self, answers: bool) -> None:
        self.answers, self.asked = answers, 0

    async def get_prop(self, component_id: str, prop: str, timeout: float) -> Any:
        self.asked += 1
        if not self.answers:
            raise TimeoutError
        return {}


@pytest.mark.parametrize("answers", [True, False])
def test_a_page_that_stops_answering_ends_its_push(answers: bool) -> None:
    p, socket = pusher(), Socket(answers)
    assert run_now(p.page_alive(socket)) is True  # too soon to ask
    p.last_check -= live.LIVENESS_SECONDS
    assert run_now(p.page_alive(socket)) is answers
    assert socket.asked == 1


def lights_pusher(monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, Any]]) -> Pusher:
    async def feeds_status(ar: Any, keys: Any, feeds: Any) -> list[dict[str, Any]]:
        return rows

    monkeypatch.setattr(live, "afeeds_status", feeds_status)
    wall = SimpleNamespace(ar=None, keys=None, feeds=("urban", "party"))
    return Pusher(cast(Any, wall), "zh", None, "7-0")


def test_the_lights_go_out_first_then_only_when_they_change_and_at_most_every_5_s(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, dict[str, Any]]]
) -> None:
    rows = [{"feed": "urban", "status": "live", "last_at": "2026-11-28T01:00:00+00:00"}]
    p = lights_pusher(monkeypatch, rows)
    run_now(p.push_lights())
    assert sent == [
        (
            ids.WALL_PUSH_FEEDS,
            {
                "data": [
                    {"feed": "urban", "status": "live", "last_at": rows[0]["last_at"]},
                    {"feed": "party", "status": "never", "last_at": None},
                ]
            },
        )
    ]
    rows[0] = {**rows[0], "last_at": "2026-11-28T01:00:05+00:00"}
    run_now(p.push_lights())
    assert len(sent) == 1  # too soon to read again
    p.next_lights.next -= live.FEEDS_SECONDS
    run_now(p.push_lights())
    assert len(sent) == 2 and sent[-1][1]["data"][0]["last_at"] == rows[0]["last_at"]
    p.next_lights.next -= live.FEEDS_SECONDS
    run_now(p.push_lights())
    assert len(sent) == 2  # nothing changed: nothing sent


class ReadySocket:
    is_shutdown = False

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def get_prop(self, component_id: str, prop: str, timeout: float) -> Any:
        self.asked.append(component_id)
        return True


def test_the_push_waits_for_the_pages_grid_before_its_first_transaction() -> None:
    socket = ReadySocket()
    run_now(pusher().grid_ready(socket))
    assert socket.asked == [ids.WALL_PUSH_READY]


def test_on_a_page_without_the_walls_stores_the_push_ends_at_once() -> None:
    assert run_now(live.run_push(cast(Any, None), None)) is None


def test_the_ticker_goes_out_first_then_only_when_the_alerts_change(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, dict[str, Any]]]
) -> None:
    found: list[dict[str, Any]] = []

    async def alerts(ar: Any, keys: Any, now: Any) -> list[dict[str, Any]]:
        return list(found)

    monkeypatch.setattr(live, "aread_alerts", alerts)
    p = Pusher(cast(Any, SimpleNamespace(ar=None, keys=None)), "zh", None, "7-0")
    run_now(p.push_alerts())
    assert [(cid, props["className"]) for cid, props in sent] == [
        (ids.WALL_HEADER_TICKER, "wall-ticker-track is-empty")
    ]
    found.append({"id": "cap:1", "title": "暴雨橙色预警", "severity": 3, "attrs": {}})
    run_now(p.push_alerts())
    assert len(sent) == 1  # too soon to read again
    p.next_alerts.next -= live.ALERTS_SECONDS
    run_now(p.push_alerts())
    assert sent[-1][1]["className"] == "wall-ticker-track" and len(sent) == 2
    p.next_alerts.next -= live.ALERTS_SECONDS
    run_now(p.push_alerts())
    assert len(sent) == 2  # nothing changed: nothing sent


def test_a_case_the_pages_filter_hides_reads_as_closed() -> None:
    cases = [
        {"id": "urban:1", "feed": "urban", "category": "parking", "status": "open"},
        {"id": "urban:2", "feed": "urban", "category": "street_vending", "status": "open"},
    ]
    assert live.shown(cases, filter_of({})) is cases
    hidden = live.shown(cases, filter_of({"category": "-parking"}))
    assert hidden == [{"id": "urban:1", "status": "closed"}, cases[1]]


class Stream:
    """An async Redis that holds one XREAD reply."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply

    async def xread(self, streams: Any, count: int, block: int) -> Any:
        return self.reply


def test_a_ticks_rows_go_to_the_rows_store_not_to_a_grid_prop(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, dict[str, Any]]]
) -> None:
    """dash-ag-grid keeps every `rowTransaction` it is given: the page applies them itself."""
    new = {"id": "urban:1", "status": "open", "reported_at": "2026-11-28T01:00:00+00:00"}

    async def read_changes(ar: Any, keys: Any, changed: list[str], now: Any) -> Any:
        return [new], {}, 1, 1

    monkeypatch.setattr(live, "read_changes", read_changes)
    reply = [["t:case-events", [("8-0", {"case_id": "urban:1"})]]]
    wall = SimpleNamespace(
        ar=Stream(reply), keys=SimpleNamespace(case_events="t:case-events"),
        limits=SimpleNamespace(max_rows=10), meters=Meters(),
    )  # fmt: skip
    p = Pusher(cast(Any, wall), "zh", Mirror(), "7-0")
    assert run_now(p.step()) is True
    rows = [props["data"] for cid, props in sent if cid == ids.WALL_PUSH_ROWS]
    assert [[r["id"] for r in tx["add"]] for tx in rows] == [["urban:1"]]
    assert all(cid != ids.WALL_QUEUE_GRID for cid, _ in sent)
    assert p.cursor == "8-0" and p.mirror is not None and set(p.mirror.rows) == {"urban:1"}


class DrawingPage:
    """A page whose map reports the mark of the figure it drew last."""

    is_shutdown = False

    def __init__(self) -> None:
        self.drawn = 0

    async def get_prop(self, component_id: str, prop: str, timeout: float) -> Any:
        assert (component_id, prop) == (ids.WALL_MAP_DRAWN, "data")
        return self.drawn


def map_pusher(monkeypatch: pytest.MonkeyPatch) -> tuple[Pusher, DrawingPage]:
    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(live.asyncio, "sleep", no_wait)
    traces = MapTraces(choropleth=0, halo=1, points=2, locations=("G1",))
    wall = SimpleNamespace(limits=SimpleNamespace(max_points=10), traces=traces)
    p = Pusher(cast(Any, wall), "zh", Mirror(), "7-0")
    p.ws = DrawingPage()
    return p, p.ws


def moved(p: Pusher, n: int) -> None:
    """A case with a place arrived: the map has something to send."""
    p.map_pending[f"urban:{n}"] = {"id": f"urban:{n}", "status": "open", "lon": 120.4, "lat": 31.8}
    p.next_map_check = 0.0


def marks(sent: list[tuple[Any, dict[str, Any]]]) -> list[int]:
    figures = [props["figure"] for cid, props in sent if cid == ids.WALL_MAP]
    return [f.to_plotly_json()["operations"][-1]["params"]["value"] for f in figures]


def test_the_map_gets_its_next_patch_once_every_figure_change_sent_is_drawn(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, dict[str, Any]]]
) -> None:
    """An overlay patch between two map patches is waited for too: counting draws instead,
    each such change kept one more figure queued in the browser for good."""
    p, page = map_pusher(monkeypatch)
    moved(p, 1)
    run_now(p.flush_map())
    [first] = marks(sent)
    moved(p, 2)
    run_now(p.flush_map())
    assert len(marks(sent)) == 1  # not drawn yet
    p.send_map(Patch())  # the overlay layers changed
    overlay = marks(sent)[-1]
    assert overlay > first
    page.drawn = first
    moved(p, 3)
    run_now(p.flush_map())
    assert len(marks(sent)) == 2  # the overlay patch is not drawn yet
    page.drawn = overlay
    moved(p, 4)
    run_now(p.flush_map())
    assert len(marks(sent)) == 3 and marks(sent)[-1] > overlay
    assert p.map_pending == {}


def test_a_page_that_never_says_it_drew_gets_the_next_patch_after_a_while(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, dict[str, Any]]]
) -> None:
    p, _ = map_pusher(monkeypatch)
    moved(p, 1)
    run_now(p.flush_map())
    p.send_map(Patch())  # a later change does not put the deadline off
    moved(p, 2)
    run_now(p.flush_map())
    assert len(marks(sent)) == 2
    p.map_sent_at -= live.MAP_STUCK_SECONDS + 1
    moved(p, 3)
    run_now(p.flush_map())
    assert len(marks(sent)) == 3
