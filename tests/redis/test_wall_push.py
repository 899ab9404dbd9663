"""The wall's push as production runs it (dashboard/live.py's scheduler over the planner) on a
real Redis and the real engine, with a page that acknowledges what it applied: a change goes
out at once while the link is idle; while a message is in flight, the changes that arrive
wait in the stream and go out merged in the next one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
import redis
import redis.asyncio as aredis

from cases.engine import Engine
from core.keys import Keys
from core.settings import Settings
from dashboard import ids, live, rows_link
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from layers.town import Town
from tests.support.aio import run_apart
from tests.support.pipeline import drain_now
from tests.support.reports import Report, write_events

pytestmark = pytest.mark.redis
PAGE = "page-1"
WAIT_S = 10.0


class Page:
    """The page's side of Dash's socket: it answers for its stores."""

    is_shutdown = False

    async def get_prop(self, component_id: str, prop: str, timeout: float) -> Any:
        return {}


class RowsSocket:
    """The page's rows link, open (its grid is up): keeps the rows messages it is sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))


async def until(found: Callable[[], bool]) -> None:
    """Wait (with a timeout) until `found()` holds."""
    async with asyncio.timeout(WAIT_S):
        while not found():
            await asyncio.sleep(0.01)


def test_a_change_goes_out_at_once_and_those_that_come_while_it_is_in_flight_go_merged(
    r: redis.Redis,
    keys: Keys,
    settings: Settings,
    town: Town,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(live, "set_props", lambda cid, props: sent.append((cid, props)))
    page, socket = Page(), RowsSocket()
    monkeypatch.setattr(live, "ctx", SimpleNamespace(websocket=page))
    link = rows_link.PageLink(socket=cast(Any, socket))
    monkeypatch.setitem(rows_link._pages, PAGE, link)
    now = datetime.now(UTC)

    def report(n: int) -> None:
        write_events(r, keys, [Report(n, "urban", "parking", now).event(now)])
        drain_now(engine)

    def rows() -> list[dict[str, Any]]:
        return socket.sent

    def beats() -> int:
        return sum(1 for cid, _ in sent if cid == ids.WALL_PUSH_BEAT)

    async def scenario() -> None:
        ar = aredis.Redis.from_url(settings.redis_url or "", decode_responses=True)
        wall = WallContext(settings, keys, town, map_traces(town), r, ar)
        store = {"cursor": "0-0", "lang": "zh", "filter": {}, "fresh": True, "rows": {}}
        push = asyncio.create_task(live.run_push(wall, store, {"pageId": PAGE}))
        try:
            report(1)
            await until(lambda: len(rows()) == 1)  # idle link: at once
            [first] = rows()
            for n in (2, 3, 4):
                await asyncio.to_thread(report, n)
            seen = beats()
            await until(lambda: beats() >= seen + 2)  # the loop went round, the page silent
            assert len(rows()) == 1  # one message in flight: the others wait
            rows_link.received(link, json.dumps({"link": "rows_ack", "mark": first["mark"]}))
            await until(lambda: len(rows()) == 2)
            merged = rows()[1]["transaction"]["add"]
            assert [row["id"] for row in merged] == [f"urban:R-{n:06d}" for n in (2, 3, 4)]
            assert rows()[1]["mark"] > first["mark"]
        finally:
            page.is_shutdown = True
            await push
            await ar.aclose()

    run_apart(scenario())
    assert [row["id"] for row in rows()[0]["transaction"]["add"]] == ["urban:R-000001"]
