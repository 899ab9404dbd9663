"""The push scheduler's I/O: what it reads for a state, and how it sends the planner's messages."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

import pytest
from dash import Patch

from dashboard import ids, live, rows_link
from dashboard.push import PERIODS, Link
from tests.support.aio import run_apart, run_now
from tests.unit.test_dashboard_push import begin, case


class Page:
    """The page's side of the socket: answers the stores the push asks for."""

    is_shutdown = False

    def __init__(self, **stores: Any) -> None:
        self.stores, self.asked = stores, list[str]()

    async def get_prop(self, component_id: str, prop: str, timeout: float) -> Any:
        self.asked.append(component_id)
        if component_id not in self.stores:
            raise TimeoutError
        return self.stores[component_id]


class Stream:
    """An async Redis that holds one XREAD reply."""

    def __init__(self, reply: Any) -> None:
        self.reply, self.reads = reply, 0

    async def xread(self, streams: Any, count: int, block: int) -> Any:
        self.reads += 1
        return self.reply


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(live.asyncio, "sleep", sleep)
    return slept


def quiet(state: Any) -> Any:
    """No periodic read due."""
    return replace(state, due=dict.fromkeys(PERIODS, live.time.time() + 3600))


def test_while_the_rows_are_in_flight_the_stream_waits_for_the_pages_acknowledgement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def read_changes(ar: Any, keys: Any, changed: list[str], now: Any) -> Any:
        return [case(1)], {}, None

    monkeypatch.setattr(live, "read_changes", read_changes)
    stream = Stream([["t:case-events", [("8-0", {"case_id": "urban:1"})]]])
    wall = cast(Any, SimpleNamespace(ar=stream, keys=SimpleNamespace(case_events="t:ce")))
    state, _ = begin([])
    busy = quiet(replace(state, rows=Link(sent=2**62, acked=5, at=live.time.time())))

    async def steps() -> tuple[Any, Any]:
        acks = rows_link.Acks()
        waiting = await live.read(wall, Page(), busy, acks)  # none comes: no read
        acks.put_nowait(("rows_ack", 2**62 - 1))
        acks.put_nowait(("rows_ack", 2**62))
        return waiting, await live.read(wall, Page(), busy, acks)

    waiting, freed = run_apart(steps())
    assert (waiting.rows_ack, waiting.cursor) == (None, None)
    assert (freed.rows_ack, freed.cursor, stream.reads) == (2**62, "8-0", 1)
    assert [c["id"] for c in freed.cases] == ["urban:1"]


def test_a_page_whose_grid_is_not_up_waits_for_its_rows_link() -> None:
    state, _ = begin([])
    waiting = quiet(replace(state, rows=Link(0, None, live.time.time())))
    stream = Stream(None)
    wall = cast(Any, SimpleNamespace(ar=stream, keys=SimpleNamespace(case_events="t:ce")))
    acks = rows_link.Acks()
    reads = run_apart(live.read(wall, Page(), waiting, acks))
    assert (reads.hello, reads.rows_ack, stream.reads) == (False, None, 0)
    acks.put_nowait((rows_link.HELLO, 0))  # the page's rows link opened: its grid is up
    reads = run_apart(live.read(wall, Page(), waiting, acks))
    assert reads.hello and stream.reads == 1  # and at once it reads the stream


class Socket:
    """The page's rows socket: keeps what it was sent, or fails as a closed one does."""

    def __init__(self, *, closed: bool = False) -> None:
        self.closed, self.texts = closed, list[str]()

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise RuntimeError("Cannot call send once a close message has been sent.")
        self.texts.append(text)


def test_the_rows_go_on_the_rows_socket_and_a_map_patch_in_a_websocket_batch_of_its_own(
    monkeypatch: pytest.MonkeyPatch, no_waits: list[float]
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(live, "set_props", lambda cid, props: sent.append(cid))
    beat, kpi = ids.WALL_PUSH_BEAT, ids.wall_kpi("open")
    rows = (ids.WALL_PUSH_ROWS, {"data": {"transaction": {"add": [{"id": "a"}]}, "mark": 3}})
    socket = Socket()
    assert run_now(live.send([rows, (kpi, {}), (beat, {})], cast(Any, socket)))
    assert [json.loads(t) for t in socket.texts] == [rows[1]["data"]]
    assert no_waits == []  # the rows are not in Dash's batch
    run_now(live.send([(kpi, {}), (ids.WALL_MAP, {"figure": Patch()}), (beat, {})], None))
    assert no_waits == [live.BATCH_GAP_SECONDS] * 2  # before the map, and after it
    run_now(live.send([(ids.WALL_MAP, {"figure": Patch()})], None))
    run_now(live.send([(kpi, {}), (beat, {})], None))
    assert len(no_waits) == 2  # alone, or nothing to keep apart: no wait
    assert sent == [kpi, beat, kpi, ids.WALL_MAP, beat, ids.WALL_MAP, kpi, beat]
    # Rows that cannot go (no socket, or a closed one) say so: the loop resyncs the page.
    assert not run_now(live.send([rows, (beat, {})], None))
    assert not run_now(live.send([rows], cast(Any, Socket(closed=True))))
    assert sent[-1] == beat  # the rest still goes


def test_on_a_page_without_the_walls_stores_the_push_ends_at_once() -> None:
    assert run_now(live.run_push(cast(Any, None), None)) is None


def test_an_unanswered_question_reads_as_none() -> None:
    assert run_now(live.ask(Page(), ids.WALL_PUSH_CURSOR)) is None
    assert run_now(live.ask(Page(**{ids.WALL_PUSH_CURSOR: {}}), ids.WALL_PUSH_CURSOR)) == {}
