"""The push loop's small parts: reply parsing, the heartbeat's pace, the page liveness check."""

from __future__ import annotations

from collections.abc import Coroutine
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dashboard import ids, live
from dashboard.filters import filter_of
from dashboard.live import Pusher


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """What the pusher would send (outside a callback, `set_props` has nowhere to go)."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(live, "set_props", lambda cid, props: calls.append((cid, props)))
    return calls


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Drive a coroutine that never really waits (no event loop: Playwright may own one)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine waited")


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
    assert run(p.page_alive(socket)) is True  # too soon to ask
    p.last_check -= live.LIVENESS_SECONDS
    assert run(p.page_alive(socket)) is answers
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
    run(p.push_lights())
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
    run(p.push_lights())
    assert len(sent) == 1  # too soon to read again
    p.next_lights.next -= live.FEEDS_SECONDS
    run(p.push_lights())
    assert len(sent) == 2 and sent[-1][1]["data"][0]["last_at"] == rows[0]["last_at"]
    p.next_lights.next -= live.FEEDS_SECONDS
    run(p.push_lights())
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
    run(pusher().grid_ready(socket))
    assert socket.asked == [ids.WALL_PUSH_READY]


def test_on_a_page_without_the_walls_stores_the_push_ends_at_once() -> None:
    assert run(live.run_push(cast(Any, None), None)) is None


def test_the_ticker_goes_out_first_then_only_when_the_alerts_change(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, dict[str, Any]]]
) -> None:
    found: list[dict[str, Any]] = []

    async def alerts(ar: Any, keys: Any, now: Any) -> list[dict[str, Any]]:
        return list(found)

    monkeypatch.setattr(live, "aread_alerts", alerts)
    p = Pusher(cast(Any, SimpleNamespace(ar=None, keys=None)), "zh", None, "7-0")
    run(p.push_alerts())
    assert [(cid, props["className"]) for cid, props in sent] == [
        (ids.WALL_HEADER_TICKER, "wall-ticker-track is-empty")
    ]
    found.append({"id": "cap:1", "title": "暴雨橙色预警", "severity": 3, "attrs": {}})
    run(p.push_alerts())
    assert len(sent) == 1  # too soon to read again
    p.next_alerts.next -= live.ALERTS_SECONDS
    run(p.push_alerts())
    assert sent[-1][1]["className"] == "wall-ticker-track" and len(sent) == 2
    p.next_alerts.next -= live.ALERTS_SECONDS
    run(p.push_alerts())
    assert len(sent) == 2  # nothing changed: nothing sent


def test_a_case_the_pages_filter_hides_reads_as_closed() -> None:
    cases = [
        {"id": "urban:1", "feed": "urban", "category": "parking", "status": "open"},
        {"id": "urban:2", "feed": "urban", "category": "street_vending", "status": "open"},
    ]
    assert live.shown(cases, filter_of({})) is cases
    hidden = live.shown(cases, filter_of({"category": "-parking"}))
    assert hidden == [{"id": "urban:1", "status": "closed"}, cases[1]]
