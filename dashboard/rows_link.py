"""The wall's rows link: a WebSocket of each page's own, `ROWS_PATH?page=<page id>`.

The push (dashboard/live.py) sends the queue's rows on it, and the page (assets/wall.js)
answers on it with the mark of each rows message it applied and each map patch it drew.
Through Dash, every rows message went through the page's store and a clientside callback,
and every acknowledgement through a server callback: the renderer's work on the page's main
thread for each change. A page's socket and its push loop each come and go on their own (a
reconnect of either): each finds the other here, by the page's id (its config's `pageId`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

ROWS_PATH = "/_wall-rows"  # access/policy.py: a reader's, from the page's own origin
HELLO = "hello"  # the page's socket (re)opened: its grid is up
Acks = asyncio.Queue[tuple[str, int]]  # ("rows_ack" | "map_ack" | HELLO, mark)
ACK_LINKS = frozenset({"rows_ack", "map_ack"})
MAX_ACK_BYTES = 256  # an acknowledgement is a few dozen bytes: more is not one


@dataclass
class PageLink:
    """A page's rows socket, and the queue its push loop reads acknowledgements from."""

    socket: WebSocket | None = None
    acks: Acks | None = None


_pages: dict[str, PageLink] = {}


def _greet(link: PageLink) -> None:
    if link.socket is not None and link.acks is not None:
        link.acks.put_nowait((HELLO, 0))


def _forget(page: str, link: PageLink) -> None:
    if link.socket is None and link.acks is None and _pages.get(page) is link:
        del _pages[page]


def attach(page: str) -> tuple[PageLink, Acks]:
    """A push loop starts for `page`: its own queue (told at once if the socket is open)."""
    link = _pages.setdefault(page, PageLink())
    acks = link.acks = Acks()
    _greet(link)
    return link, acks


def detach(page: str, link: PageLink, acks: Acks) -> None:
    if link.acks is acks:  # (a newer loop of the same page may have taken its place)
        link.acks = None
    _forget(page, link)


def parse_ack(text: str) -> tuple[str, int] | None:
    """An acknowledgement from the page (`{"link": "rows_ack", "mark": 17}`); None for
    anything else, which is ignored."""
    if len(text) > MAX_ACK_BYTES:
        return None
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(found, dict) or found.get("link") not in ACK_LINKS:
        return None
    mark = found.get("mark")
    if not isinstance(mark, int) or isinstance(mark, bool) or not 0 <= mark < 2**63:
        return None
    return str(found["link"]), mark


def received(link: PageLink, text: str) -> None:
    """What the page sent on its socket: an acknowledgement goes to its push loop."""
    ack = parse_ack(text)
    if ack is not None and link.acks is not None:
        link.acks.put_nowait(ack)


async def rows_socket(websocket: WebSocket) -> None:
    """The route: one socket a page (a second for the same id is refused)."""
    page = websocket.query_params.get("page", "")
    link = _pages.setdefault(page, PageLink()) if page else None
    if link is None or link.socket is not None:
        await websocket.close(code=4409, reason="one rows link a page")
        return
    await websocket.accept()
    link.socket = websocket
    _greet(link)
    try:
        while True:
            received(link, await websocket.receive_text())
    except (WebSocketDisconnect, RuntimeError):
        pass  # the page is gone (or sent a binary frame): its push resyncs it if it returns
    finally:
        if link.socket is websocket:
            link.socket = None
        _forget(page, link)


async def send_rows(socket: WebSocket | None, props: dict[str, Any]) -> bool:
    """A rows message on the page's socket; False when it could not go."""
    if socket is None:
        return False
    try:
        await socket.send_text(orjson.dumps(props["data"]).decode())
    except (WebSocketDisconnect, RuntimeError, OSError):
        return False
    return True


async def acknowledged(queue: Acks, wait: float) -> dict[str, int]:
    """The newest mark acknowledged on each link (and HELLO if the page's socket opened),
    waiting up to `wait` seconds for one."""
    found: list[tuple[str, int]] = []
    if wait > 0 and queue.empty():
        try:
            found.append(await asyncio.wait_for(queue.get(), wait))
        except TimeoutError:
            return {}
    while not queue.empty():
        found.append(queue.get_nowait())
    return {link: max(m for n, m in found if n == link) for link, _ in found}
