"""The wall's rows socket (dashboard/rows_link.py) as a page lives it: one that opens but is
not its push's (behind a proxy that sent it to another server process) is no live wall; one
that opens late loses no acknowledgement."""

from __future__ import annotations

import re

import pytest
import redis
from playwright.sync_api import Browser, WebSocketRoute, expect

from core.keys import Keys
from dashboard import ids
from tests.browser.conftest import VIEWPORT
from tests.browser.seed import make_case, write_case
from tests.browser.test_wall import MAP_STORE_IDS
from tests.support.access import screen

pytestmark = [pytest.mark.browser, pytest.mark.redis]
# Records the mark of each figure the map finishes drawing (window.drawnMarks), watching the
# graph from the moment it exists.
WATCH_DRAWS = f"""
window.drawnMarks = [];
const watch = setInterval(() => {{
  const gd = window.towncc_framework && window.towncc_framework.graphDiv('{ids.WALL_MAP}');
  if (gd) {{
    clearInterval(watch);
    gd.on('plotly_afterplot', () => window.drawnMarks.push(gd.layout.meta));
  }}
}}, 5);
"""


def test_a_page_whose_rows_socket_is_not_its_pushs_shows_the_link_lost_banner(
    browser: Browser, wall_url: str
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    opened: list[str] = []

    def elsewhere(socket: WebSocketRoute) -> None:
        opened.append(socket.url)  # open, and no server behind it: no hello reaches the push

    page.route_web_socket(re.compile(r".*/_wall-rows\b.*"), elsewhere)
    try:
        page.goto(screen(f"{wall_url}/wall"))
        page.wait_for_selector(".maplibregl-canvas", timeout=30_000)
        # Beats keep coming (Dash's socket is fine), and say the push has no rows link.
        expect(page.locator(f"#{ids.WALL_LINK_BANNER}")).to_have_class(
            re.compile(r"\bis-shown\b"), timeout=30_000
        )
        expect(page.locator(f"#{ids.WALL_HEADER_LINK}")).to_have_class(re.compile(r"\bis-down\b"))
        assert opened and "page=" in opened[0]
    finally:
        context.close()


def test_a_map_patch_drawn_before_the_rows_link_opened_is_acknowledged_once_it_does(
    browser: Browser, wall_url: str, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    """The push sends the map its first patch (the overlay layers) at once, and the next only
    once the page says it drew that one, on the rows link. A page whose rows link opens after
    that draw (a slow grid, a retry) must still say so: otherwise the map stays frozen for
    the push's STUCK_SECONDS while rows arrive."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    hold = [True]

    def late(socket: WebSocketRoute) -> None:
        if hold[0]:
            socket.close()  # refused: the page tries again (wall.js ROWS_RETRY_MS)
        else:
            socket.connect_to_server()

    page.route_web_socket(re.compile(r".*/_wall-rows\b.*"), late)
    page.add_init_script(WATCH_DRAWS)
    try:
        page.goto(screen(f"{wall_url}/wall"))
        # The push's first patch drawn while the page's rows link is refused.
        page.wait_for_function(
            "() => window.drawnMarks.some(m => typeof m === 'number')", timeout=30_000
        )
        hold[0] = False
        case = make_case("urban:LATE-LINK-1", description="迟开链接：路面塌陷")
        write_case(wall_redis, wall_keys, case)
        expect(page.locator(".ag-row", has_text="迟开链接")).to_have_count(1, timeout=30_000)
        page.wait_for_function(
            f"() => ({MAP_STORE_IDS})().includes('urban:LATE-LINK-1')", timeout=10_000
        )
    finally:
        context.close()


# Every message of the page's rows socket, each way, with its time (performance.now()).
WATCH_ROWS_SOCKET = """
window.rowsSocket = [];
const Native = window.WebSocket;
window.WebSocket = function (url, protocols) {
  const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
  if (String(url).includes('/_wall-rows')) {
    const note = (way, data) => window.rowsSocket.push([way, performance.now(), data]);
    socket.addEventListener('message', (e) => note('in', e.data));
    const send = socket.send.bind(socket);
    socket.send = (data) => { note('out', data); send(data); };
  }
  return socket;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
"""


def test_rows_are_acknowledged_once_the_grid_has_them_in_its_model(
    browser: Browser, wall_url: str, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    """The push answers a rows acknowledgement with the map's patch, whose redraw holds the
    page's main thread: acknowledged before the grid has taken the rows in (its
    `modelUpdated`), the rows would wait behind the redraw."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(WATCH_ROWS_SOCKET)
    try:
        page.goto(screen(f"{wall_url}/wall"))
        expect(page.locator(f"#{ids.WALL_HEADER_LINK}")).to_have_class(
            re.compile(r"\bis-ok\b"), timeout=30_000
        )
        page.wait_for_function("() => window.rowsSocket.some(([way]) => way === 'out')")
        page.evaluate(
            f"""() => {{
              const api = dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}');
              const look = () => {{
                if (api.getRowNode('urban:ACK-ORDER-1')) {{
                  api.removeEventListener('modelUpdated', look);
                  window.rowsSocket.push(['model', performance.now(), 'urban:ACK-ORDER-1']);
                }}
              }};
              api.addEventListener('modelUpdated', look);
            }}"""
        )
        write_case(wall_redis, wall_keys, make_case("urban:ACK-ORDER-1", description="确认次序"))
        # One log, in the order things happened: the rows message, the grid's word, the ack.
        order = page.wait_for_function(
            """() => {
              const log = window.rowsSocket;
              const got = log.find(([way, , data]) =>
                way === 'in' && data.includes('urban:ACK-ORDER-1'));
              const model = log.findIndex(([way]) => way === 'model');
              if (!got || model < 0) return null;
              const mark = JSON.parse(got[2]).mark;
              const ack = log.findIndex(([way, , data]) =>
                way === 'out' && JSON.parse(data).link === 'rows_ack'
                && JSON.parse(data).mark === mark);
              return ack < 0 ? null : {received: log.indexOf(got), model, ack};
            }""",
            timeout=10_000,
        ).json_value()
        assert order["received"] < order["model"] < order["ack"]
    finally:
        context.close()
