"""The map's layers in Chromium: a gauge stands where the sites file puts it with its level;
layers turn off and on from the legend, and the address keeps them for a reload; a name from a
feed reads as text in its hover label, whatever markup it holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from cases.telemetry import StationState
from core.keys import Keys
from dashboard import ids
from dashboard.components.wall_map import LAYER_TRACES
from tests.browser.conftest import open_wall
from tests.browser.seed import make_case, write_case
from tests.support.browser import MAP_POINT

pytestmark = [pytest.mark.browser, pytest.mark.redis]
GAUGE = "water:63201234"
TIMEOUT_MS = 15_000
# [name, visible, labels] of every trace, as Dash holds the figure (what a redraw shows).
TRACES = (
    f"() => window.dash_component_api.getLayout('{ids.WALL_MAP}').props.figure.data"
    ".map(t => [t.name, t.visible !== false, t.hovertext || null])"
)


def visible(page: Page, layer: str) -> list[bool]:
    traces: list[Any] = page.evaluate(TRACES)
    return [traces[i][1] for i in LAYER_TRACES[layer]]


def test_layers_turn_off_and_on_and_the_address_keeps_them(
    browser: Browser, wall_url: str, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    now = datetime.now(UTC)
    reading = {"title": "璜塘河闸", "lon": None, "lat": None, "attrs": {"z": 3.52},
               "occurred_at": now.isoformat()}  # fmt: skip
    wall_redis.hset(wall_keys.latest("telemetry"), GAUGE, orjson.dumps(reading))
    state = StationState(GAUGE, "river_gauge", now)
    wall_redis.hset(wall_keys.alarm_state, GAUGE, state.to_json())

    for wall in open_wall(browser, f"{wall_url}/wall?hide=teams", reduced_motion="reduce"):
        page = wall.page
        labels = page.evaluate(TRACES)[LAYER_TRACES["stations"][0]][2]
        assert "璜塘河闸 3.52 m" in labels, "the gauge, placed by layers/data/sites.json"
        assert visible(page, "teams") == [False] and visible(page, "cases") == [True, True]
        off = re.compile(r"\bis-off\b")
        expect(page.locator(f"#{ids.wall_layer('teams')}")).to_have_class(off)

        page.locator(f"#{ids.wall_layer('cases')}").click()
        expect(page.locator(f"#{ids.wall_layer('cases')}")).to_have_class(off)
        assert visible(page, "cases") == [False, False]
        assert "hide=cases%2Cteams" in page.url or "hide=cases,teams" in page.url
        other = page.locator(f"#{ids.WALL_HEADER_LANG}").get_attribute("href") or ""
        assert "cases" in other and "teams" in other, "the other language keeps the layers"

        page.locator(f"#{ids.wall_layer('teams')}").click()
        page.wait_for_function(f"() => ({TRACES})()[{LAYER_TRACES['teams'][0]}][1]")
        assert visible(page, "cases") == [False, False], "one layer at a time"
        assert "teams" not in page.url.split("hide=", 1)[-1]

        page.reload()
        page.wait_for_selector(f"#{ids.wall_layer('cases')}", timeout=TIMEOUT_MS)
        assert visible(page, "cases") == [False, False] and visible(page, "teams") == [True]
        assert wall.errors == []


# Where the map draws point `n` of trace `t`, in page pixels.
PROJECT = (
    f"([map, t, n]) => ({MAP_POINT})(document.querySelector('#' + map + ' .js-plotly-plot'), t, n)"
)
HOSTILE = (
    '<a href="https://evil.example/">璜塘河闸</a><img src=x onerror="window.__owned=1">'
    "<script>window.__owned=2</script><b>粗</b>"
)


def test_an_enterprise_name_with_markup_reads_as_text_in_its_hover_label(
    browser: Browser, wall_url: str, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    # A safety feed's hazard report: its enterprise's name is the case's title.
    hazard = make_case("safety:YH-XSS-1", feed="safety", category="enterprise_hazard",
                       group="safety", title=HOSTILE)  # fmt: skip
    write_case(wall_redis, wall_keys, hazard)

    for wall in open_wall(browser, f"{wall_url}/wall?hide=teams", reduced_motion="reduce"):
        page = wall.page
        trace = LAYER_TRACES["enterprises"][0]
        labels = page.evaluate(TRACES)[trace][2]
        point = next(n for n, label in enumerate(labels) if "璜塘河闸" in label)
        x, y = page.evaluate(PROJECT, [ids.WALL_MAP, trace, point])
        page.mouse.move(x, y)
        label = page.locator(".hoverlayer .hovertext").first
        expect(label).to_contain_text("璜塘河闸", timeout=TIMEOUT_MS)
        shown = label.text_content() or ""
        assert HOSTILE in shown, shown  # every character as it came, markup as text
        assert page.locator(".hoverlayer a, .hoverlayer img, .hoverlayer script").count() == 0
        assert page.locator(".hoverlayer [font-weight='bold']").count() == 0
        assert page.evaluate("() => window.__owned") is None
        assert wall.errors == []
