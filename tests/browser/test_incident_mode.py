"""Every screen switches to the incident layout, and back, within 2 s, in Debian's Chromium
against the real server: two walls, a duty officer's console and a leader's tablet are open;
a CAP alert of severity Extreme over parts of two villages goes through the intake, the
engine and the emergency watcher (threads, as their commands run them); each page records
when its layout switched (a MutationObserver, in the page's own clock, which is the test's).
The incident's API answer holds what geopandas finds on its own; the leader ends it from the
tablet and every screen is back; its whole timeline is in the audit log."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import redis
import shapely
from playwright.sync_api import Browser, BrowserContext, Page

from access.users import add_user
from cases.engine import Engine
from cases.escalation import Handover
from cases.places import Geography
from cases.routing import table
from core.keys import Keys
from core.settings import LAYERS_DATA
from dashboard import ids
from emergency import store
from emergency.gateway import Simulated
from emergency.incidents import context_for
from emergency.watcher import Watcher
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from layers.town import default_town
from tests.browser.conftest import WallPage, open_wall, sign_in
from tests.support.areas import cap_xml, found_footprint, independent_footprint, two_villages_area
from tests.support.pipeline import engine_thread, worker_thread
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
PASSWORD = "an incident test password"  # noqa: S105  # a test account's
SWITCH_MS = 2000  # the issue's: every open screen within 2 s
TIMEOUT_MS = 20_000
WALL_SIZE = {"width": 1920, "height": 1080}
WATCH = f"""() => {{
  window.__incident = [];
  const seen = () => {{
    const el = document.getElementById('{ids.INCIDENT_VIEW}');
    const on = !!(el && el.classList.contains('incident-on'));
    const last = window.__incident[window.__incident.length - 1];
    if (!last || last.on !== on) window.__incident.push({{on, at: Date.now()}});
  }};
  new MutationObserver(seen).observe(document, {{subtree: true, childList: true,
    attributes: true, attributeFilter: ['class']}});
}}"""


@pytest.fixture
def walls(browser: Browser, wall_server: WallServer) -> Iterator[list[WallPage]]:
    pages: list[WallPage] = []
    openers = [open_wall(browser, f"{wall_server.url}/wall", WALL_SIZE) for _ in range(2)]
    try:
        for opener in openers:
            pages.append(next(opener))
        for wall in pages:
            wall.page.evaluate(WATCH)
        yield pages
    finally:
        for opener in openers:
            next(opener, None)  # past its yield: its context closes


def people(r: redis.Redis, keys: Keys) -> None:
    for name, role in (("inc.duty", "duty"), ("inc.leader", "leader")):
        add_user(r, keys, name, PASSWORD, role=role, display_name=name, now=time.time())


def switched(page: Page, on: bool) -> int:
    """When (epoch ms, the page's clock) the page's layer turned `on` (off: after being on)."""
    done = page.wait_for_function(
        """(on) => {
          const marks = window.__incident || [];
          const last = marks[marks.length - 1];
          return last && last.on === on && (on || marks.some(m => m.on)) ? last.at : null;
        }""",
        arg=on,
        timeout=TIMEOUT_MS,
    )
    return int(done.json_value())


def test_every_screen_switches_to_the_incident_and_back_within_two_seconds(
    browser: Browser,
    wall_server: WallServer,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    walls: list[WallPage],
    opened: list[BrowserContext],
    screenshots: Path,
) -> None:
    r, keys, town = wall_redis, wall_keys, default_town()
    people(r, keys)
    _, console = sign_in(browser, f"{wall_server.url}/console", ("inc.duty", PASSWORD), opened,
                         f"#{ids.CONSOLE_QUEUE}", viewport=WALL_SIZE)  # fmt: skip
    _, tablet = sign_in(browser, f"{wall_server.url}/tablet", ("inc.leader", PASSWORD), opened,
                        f"#{ids.TABLET_TOWN_KPIS}", viewport={"width": 1024, "height": 768},
                        has_touch=True)  # fmt: skip
    pages = [w.page for w in walls] + [console, tablet]
    for page in (console, tablet):
        page.evaluate(WATCH)
    context = context_for(town, LAYERS_DATA / "population.csv", LAYERS_DATA / "emergency.geojson")
    engine = Engine(
        redis.Redis.from_url(wall_server.env["REDIS_URL"]), keys, Geography(town), batch=200
    )
    engine.ensure_group()
    client = redis.Redis.from_url(wall_server.env["REDIS_URL"])  # bytes, as the command's
    handover = Handover(table().escalation, town.roster)
    watcher = Watcher(client, keys, context, handover, Simulated(random.Random(3)))
    watcher.ensure_groups()
    area = two_villages_area(town)
    now = datetime.now(UTC).replace(microsecond=0)
    body = cap_xml(area, severity="Extreme", sent=now - timedelta(minutes=1), identifier="B-1")
    with engine_thread(engine), worker_thread(watcher):
        sent_at = time.time() * 1000
        outcome = RedisSink(keys, 1_000_000).write(r, FEEDS["cap"].parse(body, now))
        assert outcome.accepted == 1
        took = {i: switched(page, True) - sent_at for i, page in enumerate(pages)}
        assert max(took.values()) <= SWITCH_MS, took
        for page in pages:
            header = page.inner_text(".incident-header")
            assert "应急状态" in header and "江阴市气象台发布暴雨红色预警" in header
        [incident_id] = store.active_ids(r, keys)
        answer = console.evaluate(
            "(id) => fetch('/api/incidents/' + id).then(r => r.json())", incident_id
        )
        declared = shapely.geometry.shape(answer["area"])
        assert found_footprint(answer["footprint"]) == independent_footprint(declared, town)
        assert len(answer["footprint"]["villages"]) == 2
        assert console.locator(f"#{ids.INCIDENT_END}").count() == 0, "a duty officer's page"
        for name, page in (("wall", walls[0].page), ("console", console), ("tablet", tablet)):
            page.screenshot(path=str(screenshots / f"incident-{name}.png"))

        tablet.click(f"#{ids.INCIDENT_END}")
        ended_at = time.time() * 1000
        back = {i: switched(page, False) - ended_at for i, page in enumerate(pages)}
        assert max(back.values()) <= SWITCH_MS, back

        # By hand: the leader declares over the alert still in force, from the tablet.
        tablet.goto(f"{wall_server.url}/tablet?view=emergency")
        tablet.fill(f"#{ids.TABLET_DECLARE_TITLE}", "人员转移")
        tablet.evaluate(WATCH)
        walls[0].page.evaluate(WATCH)
        tablet.click(f"#{ids.TABLET_DECLARE_BUTTON}")
        declared_at = time.time() * 1000
        again = {i: switched(p, True) - declared_at for i, p in enumerate([walls[0].page, tablet])}
        assert max(again.values()) <= SWITCH_MS, again
        assert "人员转移" in walls[0].page.inner_text(".incident-header")
        [by_hand] = store.active_ids(r, keys)
        assert (store.get(r, keys, by_hand) or {})["declared_by"] == "inc.leader"
        store.end(r, keys, by_hand, actor="inc.leader", at=datetime.now(UTC))
        for wall in walls:
            switched(wall.page, False)  # back, within a push or two
    for wall in walls:
        assert wall.page.locator(f"#{ids.WALL_MAP}").is_visible(), "the wall's own layout"
    kinds = [e["kind"] for e in store.timeline(r, keys, incident_id)[1]]
    assert kinds[0] == "declared" and kinds[1] == "notices_sent" and kinds[-1] == "ended"
    audit = [orjson.loads(f["e"]) for _, f in r.xrange(keys.incident_events)]
    mine = [e for e, (_, f) in zip(audit, r.xrange(keys.incident_events), strict=True)
            if f["incident"] == incident_id]  # fmt: skip
    assert [e["kind"] for e in mine] == kinds, "the audit log holds the whole timeline"
    assert mine[-1]["actor"] == "inc.leader"
    errors = [e for w in walls for e in w.errors]
    assert not errors, errors
    print(f"switch to the incident (ms): {took}; back: {back}")
