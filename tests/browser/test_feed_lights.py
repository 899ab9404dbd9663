"""The wall's per-feed link lights in Chromium: one per feed, green with a ticking age once data
arrives, amber when a feed fell silent, grey "从未" for a feed never heard from."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from playwright.sync_api import Browser, Locator, expect

from core.keys import Keys
from dashboard import ids
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from tests.browser.conftest import VIEWPORT, WallPage, open_wall
from tests.support.urban import urban_record

pytestmark = [pytest.mark.browser, pytest.mark.redis]
PUSH_MS = 15_000  # the loop reads freshness every 5 s, between XREADs of up to 2 s
NAMES = {"urban": "数字城管", "open311": "市民诉求", "party": "党建", "governance": "综治"}


def dom_id(component_id: dict[str, Any]) -> str:
    """A dict id as Dash writes it into the DOM (keys sorted, compact JSON)."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def light(wall: WallPage, feed: str) -> Locator:
    return wall.page.locator(f"[id='{dom_id(ids.feed_light(feed))}']")


def age(wall: WallPage, feed: str) -> Locator:
    return wall.page.locator(f"[id='{dom_id(ids.feed_age(feed))}']")


@pytest.fixture
def lights_wall(browser: Browser, wall_url: str) -> Iterator[WallPage]:
    yield from open_wall(browser, f"{wall_url}/wall")


def test_the_header_shows_one_light_per_feed_and_still_fits_the_screen(
    lights_wall: WallPage, screenshots: Path
) -> None:
    page = lights_wall.page
    expect(page.locator(".wall-feed")).to_have_count(len(FEEDS))
    for feed, name in NAMES.items():
        expect(light(lights_wall, feed).locator(".wall-feed-name")).to_have_text(name)
    box = page.locator(".wall-header").bounding_box()
    assert box is not None and box["height"] < 0.15 * VIEWPORT["height"]
    clipped = page.evaluate(
        "() => [...document.querySelectorAll('.wall-feed-name, .wall-feed-age')]"
        ".filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)"
    )
    assert clipped == []
    tops = {round(b["y"]) for b in (light(lights_wall, f).bounding_box() or {} for f in FEEDS)}
    assert len(tops) == 1, "the lights wrapped onto a second row"
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert sizes[0] <= VIEWPORT["width"] and sizes[1] <= VIEWPORT["height"]
    page.screenshot(path=screenshots / "wall-header.png", clip={"x": 0, "y": 0, "width": 3840,
                                                                 "height": 400})  # fmt: skip
    assert lights_wall.errors == []


def test_a_feed_that_sends_turns_green_with_a_ticking_age_and_the_others_say_so(
    lights_wall: WallPage, wall_redis: redis.Redis, wall_keys: Keys, screenshots: Path
) -> None:
    expect(light(lights_wall, "party")).to_have_class("wall-feed is-never")
    expect(age(lights_wall, "party")).to_have_text("从未")
    now = datetime.now(UTC)
    body = orjson.dumps(urban_record(1, sbsj=f"{now:%Y-%m-%d %H:%M:%S}"))
    outcome = RedisSink(wall_keys, 10_000).write(wall_redis, FEEDS["urban"].parse(body, now))
    assert outcome.accepted == 1
    # Water gauges report at least hourly: four quiet hours is past its three-hour window.
    wall_redis.hset(
        wall_keys.feed_stats("water"), "last_at", (now - timedelta(hours=4)).isoformat()
    )
    expect(light(lights_wall, "urban")).to_have_class("wall-feed is-live", timeout=PUSH_MS)
    expect(age(lights_wall, "urban")).to_have_text(re.compile(r"^\d+秒前$"))
    first = age(lights_wall, "urban").inner_text()
    # No push carries ages: the browser ticks them (the next push may be 5 s away).
    expect(age(lights_wall, "urban")).not_to_have_text(first, timeout=3_000)
    expect(light(lights_wall, "water")).to_have_class("wall-feed is-silent")
    expect(age(lights_wall, "water")).to_have_text("4小时前")
    expect(light(lights_wall, "party")).to_have_class("wall-feed is-never")
    expect(age(lights_wall, "party")).to_have_text("从未")
    colour = (
        light(lights_wall, "urban")
        .locator(".wall-feed-dot")
        .evaluate("e => getComputedStyle(e).backgroundColor")
    )
    assert colour == "rgb(47, 213, 101)"  # --ok
    lights_wall.page.screenshot(
        path=screenshots / "wall-lights.png", clip={"x": 0, "y": 0, "width": 3840, "height": 400}
    )
    assert lights_wall.errors == []


def test_english_lights_fit_too(browser: Browser, wall_url: str) -> None:
    for wall in open_wall(browser, f"{wall_url}/wall?lang=en"):
        expect(light(wall, "open311").locator(".wall-feed-name")).to_have_text("311 requests")
        clipped = wall.page.evaluate(
            "() => [...document.querySelectorAll('.wall-feed-name')]"
            ".filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)"
        )
        assert clipped == []
        expect(age(wall, "party")).to_have_text("never")
        assert wall.errors == []
