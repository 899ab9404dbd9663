"""Text from feeds is text on every page: a link, a `<script>` and an `<img onerror>` in every
text field of every feed (tests/support/hostile.py), sent through the real intake and applied
by the engine, show as the characters they are on the wall and the admin page, in every hover
label that holds them and in every dead letter's detail; nothing links, loads or runs. (The
English wall is the same page: the feeds' text goes through the same code.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page

from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from dashboard import ids
from layers.town import default_town
from tests.browser.conftest import WallPage, open_wall
from tests.support.access import bearer, token
from tests.support.browser import MAP_POINT
from tests.support.hostile import ATTACKER, Hostile, hostile_records
from tests.support.pipeline import drain_now
from tests.support.webserver import WallServer
from towncc.embedded import EmbeddedRedis

pytestmark = [pytest.mark.browser, pytest.mark.redis]
DESK = {"width": 1920, "height": 1080}
TIMEOUT_MS = 20_000
SHOWN = "<script>window.__owned.push("  # the payload's characters, as a screen shows them
OWNED = "window.__owned = [];"
# The feeds whose text the wall shows (in the queue, the ticker or a panel); the others give
# it only figures. A feed's text that stops showing fails the test, as markup that runs does.
WALL_TEXT = {
    "urban",
    "governance",
    "environment",
    "open311",
    "cap",
    "economy",
    "safety",
}  # what the payload's script or onerror would add to

# What the page made of the payload: elements it should never have, the text it shows.
INSPECT = """() => {
  const svgText = [...document.querySelectorAll('svg text, svg tspan')]
    .map(e => e.textContent).join('\\n');
  return {
    links: document.querySelectorAll('[href*="ATTACKER"], [*|href*="ATTACKER"]').length,
    images: document.querySelectorAll('img[src="x"]').length,
    scripts: [...document.scripts].filter(s => s.textContent.includes('__owned')).length,
    owned: window.__owned.slice(),
    text: document.body.textContent + '\\n' + svgText,
  };
}""".replace("ATTACKER", ATTACKER)
# Every point of every chart whose data holds the payload: [graph, trace, point, type].
POINTS = """(attacker) => {
  const out = [];
  document.querySelectorAll('.js-plotly-plot').forEach((gd, g) => {
    (gd._fullData || []).forEach((tr, t) => {
      if (tr.hoverinfo === 'skip' || tr.visible !== true) return;
      const arrays = [tr.hovertext, tr.text, tr.x, tr.y, tr.labels].filter(Array.isArray);
      const n = Math.max(0, ...arrays.map(a => a.length));
      for (let i = 0; i < n; i++) {
        if (arrays.some(a => String(a[i]).includes(attacker))) out.push([g, t, i, tr.type]);
      }
    });
  });
  return out;
}"""
# Hover one point: a map's through the mouse where MapLibre draws it, a chart's through Fx.
HOVER = f"""([g, t, n, type]) => {{
  const gd = document.querySelectorAll('.js-plotly-plot')[g];
  if (type.endsWith('map')) return ({MAP_POINT})(gd, t, n);
  Plotly.Fx.hover(gd, [{{curveNumber: t, pointNumber: n}}]);
  return null;
}}"""
LABEL = """([g]) => {
  const layer = document.querySelectorAll('.js-plotly-plot')[g].querySelector('.hoverlayer');
  return layer ? {text: layer.textContent,
                  markup: layer.querySelectorAll('a, img, script, [font-weight="bold"]').length}
               : {text: '', markup: 0};
}"""


@pytest.fixture(scope="module")
def hostile_town(
    wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys, redis_server: EmbeddedRedis
) -> list[Hostile]:
    """Every feed's hostile records through the intake (each feed's own token), then the
    engine: cases, readings, alerts, layers and dead letters, as the centre makes them."""
    records = hostile_records(default_town(), datetime.now(UTC))
    with httpx.Client(base_url=wall_server.url, timeout=30) as client:
        for h in records:
            feed_token = token(redis_server.url, wall_keys, "feed", feed=h.feed)
            headers = {**bearer(feed_token), "Content-Type": h.media}
            sent = client.post(f"/api/ingest/{h.feed}", content=h.accepted, headers=headers)
            assert sent.status_code == 202 and sent.json()["accepted"] >= 1, (h.feed, sent.text)
            if h.refused is not None:
                sent = client.post(f"/api/ingest/{h.feed}", content=h.refused, headers=headers)
                assert sent.json()["deadlettered"] >= 1, (h.feed, sent.text)
    engine = Engine(wall_redis, wall_keys, Geography(default_town()), batch=200)
    engine.ensure_group()
    assert drain_now(engine) > 0
    return records


def _armed(page: Page) -> None:
    page.add_init_script(OWNED)  # before any of the page's scripts: the payload's target


def _clean(page: Page, where: str) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(INSPECT)
    assert found["links"] == 0, f"{where}: a link to {ATTACKER} was made"
    assert found["images"] == 0, f"{where}: an <img src=x> was made"
    assert found["scripts"] == 0, f"{where}: a <script> from a feed is in the page"
    assert found["owned"] == [], f"{where}: a feed's markup ran: {found['owned']}"
    return found


def _hover_every_label(page: Page, where: str) -> int:
    """Hover every point whose data holds the payload; its label shows it as text."""
    points = page.evaluate(POINTS, ATTACKER)
    for point in points:
        at = page.evaluate(HOVER, point)
        if at is not None:
            page.mouse.move(*at)
        page.wait_for_function(f"([g]) => ({LABEL})([g]).text.includes('链接')", arg=[point[0]])
        label = page.evaluate(LABEL, [point[0]])
        assert SHOWN in label["text"], f"{where} {point}: {label['text'][:300]}"
        assert label["markup"] == 0, f"{where} {point}: the label holds markup"
        _clean(page, f"{where} hover {point}")
    return len(points)


def _wall(browser: Browser, url: str) -> Iterator[WallPage]:
    for wall in open_wall(browser, url, reduced_motion="reduce"):
        _armed(wall.page)
        wall.page.reload()
        wall.page.wait_for_selector(f"#{ids.WALL_HEADER_LINK}.is-ok", timeout=30_000)
        yield wall


def test_feed_markup_reads_as_text_on_the_wall_and_its_hover_labels(
    browser: Browser, wall_url: str, hostile_town: list[Hostile]
) -> None:
    for wall in _wall(browser, f"{wall_url}/wall"):
        page = wall.page
        # The queue's rows, the ticker's alert and the panels carry feed text: wait until
        # every feed's that the wall shows is there.
        page.wait_for_function(
            "(feeds) => feeds.every(f => document.body.textContent.includes(`push('${f}')`))",
            arg=sorted(WALL_TEXT),
            timeout=TIMEOUT_MS,
        )
        found = _clean(page, "wall")
        shown = {h.feed for h in hostile_town if f"push('{h.feed}')" in found["text"]}
        assert shown == WALL_TEXT, shown
        hovered = _hover_every_label(page, "wall")
        print(f"wall: feeds shown {sorted(shown)}, {hovered} labels hovered")
        assert hovered > 0, "no hover label held a feed's text"
        assert wall.dialogs == [] and wall.errors == []


def test_feed_markup_reads_as_text_on_the_admin_page_and_in_every_dead_letter(
    browser: Browser, wall_server: WallServer, hostile_town: list[Hostile]
) -> None:
    context = browser.new_context(viewport=DESK)
    try:
        page = context.new_page()
        _armed(page)
        name, password = wall_server.admin
        signed = context.request.post(
            f"{wall_server.url}/auth/login", data={"username": name, "password": password}
        )
        assert signed.ok, signed.text()
        page.goto(f"{wall_server.url}/admin")
        rows = page.locator(f"#{ids.ADMIN_DEAD_GRID} .ag-center-cols-container .ag-row")
        rows.first.wait_for(timeout=TIMEOUT_MS)
        refused = sum(h.refused is not None for h in hostile_town)
        page.wait_for_function(
            f"() => document.querySelectorAll('#{ids.ADMIN_DEAD_GRID} "
            f".ag-center-cols-container .ag-row').length >= {refused}",
            timeout=TIMEOUT_MS,
        )
        _clean(page, "admin")
        detail = page.locator(f"#{ids.ADMIN_DEAD_DETAIL}")
        for n in range(rows.count()):
            rows.nth(n).click()
            page.wait_for_function(
                f"() => document.getElementById('{ids.ADMIN_DEAD_DETAIL}').innerText"
                f".includes({ATTACKER!r})",
                timeout=TIMEOUT_MS,
            )
            assert SHOWN in detail.inner_text(), f"dead letter {n}: {detail.inner_text()[:300]}"
            _clean(page, f"admin dead letter {n}")
        print(f"admin: {rows.count()} dead letters opened")
    finally:
        context.close()
