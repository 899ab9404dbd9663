"""The push loop's small parts: reply parsing, the heartbeat's pace, the page liveness check."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, cast

import pytest

from dashboard import ids, live
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


def test_the_cursor_store_keeps_position_and_language_only(
    sent: list[tuple[Any, dict[str, Any]]],
) -> None:
    pusher().save_cursor()
    assert sent == [(ids.WALL_PUSH_CURSOR, {"data": {"cursor": "7-0", "lang": "en"}})]


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
