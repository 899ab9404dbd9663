"""The wall's rows link (dashboard/rows_link.py): one socket a page, acknowledgements only."""

from __future__ import annotations

import time

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dashboard import rows_link
from tests.support.aio import run_now


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"link": "rows_ack", "mark": 17}', ("rows_ack", 17)),
        ('{"link": "map_ack", "mark": 0}', ("map_ack", 0)),
        ('{"link": "hello", "mark": 0}', None),  # only the server says hello
        ('{"link": "rows_ack", "mark": -1}', None),
        ('{"link": "rows_ack", "mark": true}', None),
        ('{"link": "rows_ack", "mark": "17"}', None),
        ('{"link": "rows_ack"}', None),
        ("[1, 2]", None),
        ("not json", None),
        ('{"link": "rows_ack", "mark": 1, "pad": "' + "x" * 300 + '"}', None),
    ],
)
def test_only_an_acknowledgement_is_taken_from_the_page(
    text: str, found: tuple[str, int] | None
) -> None:
    assert rows_link.parse_ack(text) == found


def test_the_rows_socket_is_one_a_page_and_hands_its_acknowledgements_to_the_pages_push() -> None:
    app = Starlette(routes=[WebSocketRoute(rows_link.ROWS_PATH, rows_link.rows_socket)])
    client = TestClient(app)
    with client.websocket_connect(f"{rows_link.ROWS_PATH}?page=p1") as first:
        link = rows_link._pages["p1"]
        link.acks = rows_link.Acks()  # the page's push loop, started after the socket
        rows_link._greet(link)
        second = f"{rows_link.ROWS_PATH}?page=p1"
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(second) as ws:
            ws.receive_text()
        assert refused.value.code == 4409  # a second socket for the page: refused
        first.send_text('{"link": "rows_ack", "mark": 12}')
        first.send_text("<script>")  # not an acknowledgement: ignored, the socket stays
        first.send_text('{"link": "map_ack", "mark": 3}')
        first.send_text('{"link": "rows_ack", "mark": 13}')
        got = until_acks(link.acks, 3)
    assert got == {rows_link.HELLO: 0, "rows_ack": 13, "map_ack": 3}
    link.acks = None
    rows_link._forget("p1", link)
    assert "p1" not in rows_link._pages  # socket and loop gone: nothing kept for the page
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(rows_link.ROWS_PATH) as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 4409 and "" not in rows_link._pages


def until_acks(acks: rows_link.Acks, count: int) -> dict[str, int]:
    """The acknowledgements once `count` of them (besides the hello) are in (the socket's
    server runs in a thread of the test client's)."""
    deadline = time.monotonic() + 10
    while acks.qsize() < count + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    return run_now(rows_link.acknowledged(acks, 0))
