"""A recorded hour replayed at speed 60 in Debian's Chromium against the real server: the
queue's rows appear in the order the cases did live, and nothing the replay reads is changed.

The hour is recorded as the engine's audit log records it (`case-events`, each entry stamped
by Redis when it was written): a test cannot wait an hour, so the entries are written with
the ids (times) of an hour ago, cases appearing a minute apart in a shuffled order, some then
dispatched; the cases themselves come through the engine. At speed 60 a minute plays in a
second."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from playwright.sync_api import Browser

from cases.engine import Engine
from cases.places import Geography
from core.keys import Keys
from core.times import BEIJING
from dashboard import ids
from layers.town import default_town
from tests.browser.conftest import WallPage
from tests.support.access import screen
from tests.support.pipeline import drain, push
from tests.support.urban import around, reported_now, urban_record
from tests.support.webserver import WallServer

pytestmark = [pytest.mark.browser, pytest.mark.redis]
LIVE_ORDER = [5, 2, 7, 1, 8, 3, 6, 4]  # the case numbers in the order they appeared
TIMEOUT_MS = 30_000
SEEN = f"""() => {{
  window.__seen = [];
  const look = () => document.querySelectorAll('#{ids.WALL_REPLAY_QUEUE} tr[data-case]')
    .forEach(tr => {{ const id = tr.dataset.case;
      if (!window.__seen.includes(id)) window.__seen.push(id); }});
  new MutationObserver(look).observe(document, {{subtree: true, childList: true}});
}}"""


def case_id(n: int) -> str:
    return f"urban:T-{n:06d}"


def recorded_hour(r: redis.Redis, keys: Keys, start: datetime) -> None:
    """The audit log of an hour: case k appears at minute k (in LIVE_ORDER), each of the
    first three is dispatched two minutes (and 5 s) after it appeared."""
    entries: list[tuple[int, dict[str, str]]] = []
    for k, n in enumerate(LIVE_ORDER):
        at = int((start + timedelta(seconds=30 + 60 * k)).timestamp() * 1000)
        created = {"case_id": case_id(n), "type": "created", "stage": "reported",
                   "status": "open", "level": "grid", "actor": "feed:urban"}  # fmt: skip
        entries.append((at, created))
        if k < 3:
            entries.append((at + 125_000, {"case_id": case_id(n), "type": "dispatched",
                                           "stage": "dispatched", "status": "open",
                                           "level": "grid", "actor": "duty"}))  # fmt: skip
    for at, fields in sorted(entries, key=lambda e: e[0]):
        r.xadd(keys.case_events, fields, id=f"{at}-0")  # type: ignore[arg-type]


def data_keys(url: str, keys: Keys) -> dict[str, bytes | None]:
    """Every key of the centre's data (not the web process's own: sessions, rate limits),
    dumped."""
    raw = redis.Redis.from_url(url)
    try:
        names = [k.decode() for k in raw.scan_iter(match=f"{keys.prefix}*", count=1000)]
        mine = sorted(n for n in names if not n.startswith(keys.access()))
        return {n: raw.dump(n) for n in mine}
    finally:
        raw.close()


@pytest.fixture
def replay(
    browser: Browser, wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys
) -> Iterator[tuple[WallPage, dict[str, bytes | None]]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=61)
    recorded_hour(wall_redis, wall_keys, start)
    engine = Engine(wall_redis, wall_keys, Geography(default_town()), batch=200)
    engine.ensure_group()
    at = reported_now()
    push(wall_redis, wall_keys, [urban_record(n, *around(120.397, 31.7835, n), sbsj=at)
                                 for n in sorted(LIVE_ORDER)])  # fmt: skip
    drain(engine)
    before = data_keys(wall_server.env["REDIS_URL"], wall_keys)
    period = "/".join(
        (start + delta).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S")
        for delta in (timedelta(0), timedelta(hours=1))
    )
    opener = open_wall_replay(browser, f"{wall_server.url}/wall?replay={quote(period)}&speed=60")
    page = next(opener)
    try:
        yield page, before
    finally:
        next(opener, None)


def open_wall_replay(browser: Browser, url: str) -> Iterator[WallPage]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(f"({SEEN})();")  # watching from before the first row
    page = context.new_page()
    wall = WallPage(page)
    page.on("pageerror", lambda e: wall.errors.append(str(e)))
    page.goto(screen(url))
    page.wait_for_selector(f"#{ids.WALL_REPLAY_QUEUE}", state="attached", timeout=TIMEOUT_MS)
    yield wall
    context.close()


def test_a_recorded_hour_replays_in_its_live_order_and_changes_nothing(
    replay: tuple[WallPage, dict[str, bytes | None]],
    wall_server: WallServer,
    wall_keys: Keys,
    screenshots: Path,
) -> None:
    wall, before = replay
    page = wall.page
    started = time.monotonic()
    page.wait_for_function(
        "(n) => (window.__seen || []).length >= n", arg=len(LIVE_ORDER), timeout=TIMEOUT_MS
    )
    played = time.monotonic() - started
    seen = page.evaluate("window.__seen")
    assert seen == [case_id(n) for n in LIVE_ORDER], "rows appear in the order they did live"
    assert played < 20, f"8 minutes of the hour at speed 60 took {played:.1f} s"
    first = page.locator(f"#{ids.WALL_REPLAY_QUEUE} tr").first.get_attribute("data-case")
    assert first == case_id(LIVE_ORDER[-1]), "the newest on top"
    page.wait_for_function(
        "(id) => [...document.querySelectorAll('tr[data-case]')].some(tr => "
        "tr.dataset.case === id && tr.innerText.includes('派遣'))",
        arg=case_id(LIVE_ORDER[0]),
        timeout=TIMEOUT_MS,
    )
    assert "回放" in page.inner_text(".replay-header")
    page.screenshot(path=str(screenshots / "replay-wall.png"))
    after = data_keys(wall_server.env["REDIS_URL"], wall_keys)
    assert after == before, "the replay wrote nothing"
    assert not wall.errors, wall.errors
