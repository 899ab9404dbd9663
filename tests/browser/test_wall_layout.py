"""The wall's layout in Chromium at 3840×2160 (16:9) and 7680×2160 (32:9): it fits, draws,
reads in a CJK font, keeps the map near square, cuts no text (with the registry's modules and
with sixteen panels of five figures), says 演示数据 while the simulator feeds the centre,
shows the alerts in force, and its address filters the queue."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from playwright.sync_api import Browser, Page, expect
from shapely import geometry

from cases.counts import today_start_ms
from core.keys import Keys
from dashboard import ids
from dashboard.modules import MODULES
from dashboard.theme import FONT_STACK
from layers.town import default_town
from tests.browser.conftest import VIEWPORT, WallPage, open_wall
from tests.browser.seed import make_case, seed_town, spread_cases, write_case
from tests.support.pixels import calm_share
from tests.support.webserver import WallServer
from towncc.embedded import EmbeddedRedis

pytestmark = [pytest.mark.browser, pytest.mark.redis]
SIZES = {"3840x2160": VIEWPORT, "7680x2160": {"width": 7680, "height": 2160}}
MAP_RATIO = (0.8, 1.6)  # the map's width over its height, at every size
ROTATE_S = 1.0  # the module panels' pages turn this fast here, so a test sees them all
AREAS = (".wall-header", ".wall-queue", ".wall-map", ".wall-modules", ".wall-trends")
QUEUE_REM = 56  # --queue-width in wall.css: the queue keeps it at every width
TIMEOUT_MS = 15_000
ALERT_ZH = "江阴市气象台发布暴雨橙色预警"
ALERT_EN = "Orange rainstorm warning for Xiake town"
ROWS = f"dash_ag_grid.getApi('{ids.WALL_QUEUE_GRID}')"
# Every row the grid holds (rendered or not): (id, category) pairs.
ROW_DATA = (
    f"() => {{ const rows = []; {ROWS}.forEachNode(n => rows.push([n.id, n.data.category]));"
    " return rows; }"
)
# The width of one CJK glyph drawn with the page's own font stack, in ems (tofu is narrower).
GLYPH_EMS = """() => {
  const context = document.createElement("canvas").getContext("2d");
  context.font = "100px " + getComputedStyle(document.body).fontFamily;
  const text = "霞客镇综合指挥调度中心";
  return context.measureText(text).width / text.length / 100;
}"""
# The same, measured on the page: the text of an element over its font size, per character.
TEXT_EMS = """(selector) => {
  const element = document.querySelector(selector);
  const range = document.createRange();
  range.selectNodeContents(element);
  const style = getComputedStyle(element);
  const n = element.textContent.length;
  const spacing = parseFloat(style.letterSpacing) || 0;
  return (range.getBoundingClientRect().width - n * spacing) / n / parseFloat(style.fontSize);
}"""


def alert(block: int, language: str, title: str) -> dict[str, Any]:
    """One info block of a CAP Alert in force, as the engine keeps it in `latest:alert`."""
    now = datetime.now(UTC)
    identifier = "32028141600000_TEST_0"
    attrs: dict[str, Any] = {
        "identifier": identifier, "sender": "江阴市气象台", "sent": now.isoformat(),
        "status": "Actual", "msgType": "Alert", "language": language,
        "expires": (now + timedelta(hours=6)).isoformat(), "headline": title,
    }  # fmt: skip
    west, south, east, north = default_town().bbox
    attrs["geometry"] = geometry.mapping(
        geometry.box(west, south, east, north)
    )  # over the town: the town's
    return {
        "id": f"cap:{identifier}#{block}-{language}:x", "feed": "cap", "kind": "alert",
        "source_id": f"{identifier}#{block}-{language}", "title": title, "severity": 3,
        "occurred_at": now.isoformat(), "attrs": attrs, "retired": None,
    }  # fmt: skip


@pytest.fixture(scope="module")
def wall_server(
    redis_server: EmbeddedRedis, wall_keys: Keys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WallServer]:
    """The web process as conftest.py starts it, with the module panels' pages turning fast."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    server = WallServer(redis_server.url, wall_keys, log)
    server.env["TOWNCC_WALL_PANEL_ROTATE_S"] = str(ROTATE_S)
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def seeded(wall_redis: redis.Redis, wall_keys: Keys) -> None:
    # The simulator's mark, as the intake records it for a body it sent (ingest/http.py).
    wall_redis.set(wall_keys.simulated_at, datetime.now(UTC).isoformat())
    for case in spread_cases(default_town(), 40, seed=5):
        write_case(wall_redis, wall_keys, case)
    for block, (language, title) in enumerate([("zh-CN", ALERT_ZH), ("en-US", ALERT_EN)]):
        value = orjson.dumps(alert(block, language, title))
        wall_redis.hset(wall_keys.latest("alert"), f"cap:{block}", value)
    assert seed_town(wall_redis, wall_keys) > 0


def platform_fonts(page: Page, selector: str) -> list[dict[str, Any]]:
    """The fonts Chromium really used for the element's text (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts: list[dict[str, Any]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})[
            "fonts"
        ]
        return fonts
    finally:
        cdp.detach()


def assert_cjk(page: Page, selector: str) -> None:
    """Drawn in a CJK font of the stack, each glyph about 1 em wide: no tofu, no fallback."""
    stack = [name.strip().strip('"') for name in FONT_STACK.split(",")]
    fonts = platform_fonts(page, selector)
    assert fonts and fonts[0]["familyName"] in stack, fonts
    assert 0.95 <= page.evaluate(TEXT_EMS, selector) <= 1.05


# Per module panel: [id, hidden, bottom within the column, figures with a value, every
# figure's text inside the panel (nothing clipped on either edge)].
PANELS = """() => {
  const body = document.querySelector(".wall-modules-body");
  const bottom = body.getBoundingClientRect().bottom + 1;
  const inside = (p) => {  // a panel waiting for its page is measured shown, for a moment
    const was = p.hidden; p.hidden = false; const box = p.getBoundingClientRect();
    const ok = Array.from(p.querySelectorAll(".wall-module-figure > span")).every((s) => {
      const r = s.getBoundingClientRect();
      return r.width === 0 || (r.right <= box.right + 1 && r.bottom <= box.bottom + 1); });
    p.hidden = was; return ok; };
  return Array.from(body.querySelectorAll(".wall-module")).map((p) => [
    p.id, p.hidden, p.getBoundingClientRect().bottom <= bottom,
    Array.from(p.querySelectorAll(".wall-module-value")).filter((v) => v.textContent).length,
    inside(p)]);
}"""


def assert_module_panels(page: Page) -> None:
    """Every module of the registry has a panel with figures; the shown ones fit the column,
    the others wait for their page (wall.js rotates them)."""
    page.wait_for_function(f"() => ({PANELS})().every((p) => p[1] || p[2])")
    panels = page.evaluate(PANELS)
    assert len(panels) == len(MODULES)
    for panel_id, hidden, fits, values, inside in panels:
        assert values >= 1, f"{panel_id} shows no figures"
        assert hidden or fits, f"{panel_id} is shown but does not fit"
        assert inside, f"{panel_id} clips a figure"


# Every element with text of its own that the wall shows cut or spilling: [element, text, why].
# Its text is wider than its box (scrollWidth over clientWidth: an ellipsis too), its lines
# reach out of its box (an inline element's: out of its parent's), or past an ancestor that
# hides its overflow. Vertically a line's glyph box may pass its line box by the font's own
# leading (a CJK font's ascent and descent are about 1.45 em, more than a line-height of 1.3):
# that is blank, not cut ink. Not checked, as cut on purpose: the ticker's scrolling track,
# the queue's body (a list as long as its viewport, its cells ellipsised: the tablet and the
# console show them whole), and what the charts and the map draw themselves (SVG, canvas).
OVERFLOWS = """(also) => {
  const exempt = ".wall-ticker-track, .wall-queue .ag-body, .js-plotly-plot svg, .maplibregl-map"
    + (also ? ", " + also : "");
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + Array.from(e.classList).map((c) => "." + c).join("");
  const root = document.querySelector(".wall");
  const range = document.createRange();
  const found = [];
  for (const e of root.querySelectorAll("*")) {
    const own = Array.from(e.childNodes).filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length || e.closest(exempt) || !e.getClientRects().length) continue;
    const style = getComputedStyle(e);
    if (style.visibility !== "visible") continue;
    const text = own.map((n) => n.textContent.trim()).join(" ").slice(0, 40);
    const rects = own.flatMap((n) => { range.selectNodeContents(n);
      return Array.from(range.getClientRects()); }).filter((r) => r.width > 0 && r.height > 0);
    if (!rects.length) continue;
    const box = { left: Math.min(...rects.map((r) => r.left)),
      right: Math.max(...rects.map((r) => r.right)), top: Math.min(...rects.map((r) => r.top)),
      bottom: Math.max(...rects.map((r) => r.bottom)) };
    const line = parseFloat(style.lineHeight);
    const glyph = Math.max(...rects.map((r) => r.height));
    const slack = 1 + (Number.isNaN(line) ? 0 : Math.max(0, (glyph - line) / 2));
    const outside = (a, x, y) => {
      const r = a.getBoundingClientRect();
      const left = r.left + a.clientLeft, top = r.top + a.clientTop;
      return (x && (box.left < left - 1 || box.right > left + a.clientWidth + 1))
        || (y && (box.top < top - slack || box.bottom > top + a.clientHeight + slack));
    };
    if (style.display !== "inline"
        && (e.scrollWidth > e.clientWidth + 1 || outside(e, false, true))) {
      found.push([name(e), text, `overflows its box: ${e.scrollWidth}×${e.scrollHeight}`
        + ` in ${e.clientWidth}×${e.clientHeight}`]);
      continue;
    }
    if (style.display === "inline" && outside(e.parentElement, true, true)) {
      found.push([name(e), text, "overflows " + name(e.parentElement)]);
      continue;
    }
    for (let a = e.parentElement; a && a !== root.parentElement; a = a.parentElement) {
      const s = getComputedStyle(a);
      const x = s.overflowX !== "visible", y = s.overflowY !== "visible";
      if ((x || y) && outside(a, x, y)) {
        found.push([name(e), text, "cut by " + name(a)]);
        break;
      }
    }
  }
  return found;
}"""
FIRST_PAGE = (
    f"() => /^(1\\/|$)/.test(document.getElementById('{ids.WALL_MODULES_PAGE}').textContent)"
)
SHOWN_PANELS = (
    "() => Array.from(document.querySelectorAll('.wall-modules-body > .wall-module'))"
    ".filter((p) => !p.hidden).map((p) => p.id)"
)
PADDED = 16  # module panels: the five pillars and the features to come
# Pads the module column to `target` panels of five figures each (built as panels.py builds
# them), with the longest labels and values the modules send: the layout must hold them.
PAD_MODULES = """(target) => {
  const FIGURES = [["社会消费品零售总额", "1,234.56", "亿元", "+12.3%"],
    ["支部 / 党员中心户", "12 / 345", "个", ""], ["按时办结率", "100", "%", ""],
    ["在园游客", "11,136", "人", ""], ["欠薪预警", "1,023", "件", "-4.5%"]];
  const TITLES = ["安全生产监管", "生态环境", "平安建设", "乡村振兴", "民生保障", "水利防汛",
    "数字城管", "综治中心"];
  const make = (tag, className, text) => { const e = document.createElement(tag);
    e.className = className; if (text !== undefined) e.textContent = text; return e; };
  const figure = ([label, value, unit, note]) => { const f = make("div", "wall-module-figure");
    f.append(make("span", "wall-module-label", label), make("span", "wall-module-value", value),
      make("span", "wall-module-unit", unit), make("span", "wall-module-note", note));
    return f; };
  const body = document.querySelector(".wall-modules-body");
  for (const figures of body.querySelectorAll(".wall-module-figures")) {
    for (let n = figures.children.length; n < FIGURES.length; n += 1) {
      figures.append(figure(FIGURES[n]));
    }
  }
  for (let n = body.querySelectorAll(".wall-module").length; n < target; n += 1) {
    const panel = make("section", "wall-module has-data");
    panel.id = `wall-module-padded-${n}`;
    const figures = make("div", "wall-module-figures");
    FIGURES.forEach((f) => figures.append(figure(f)));
    panel.append(make("h3", "wall-module-title", TITLES[n % TITLES.length]), figures);
    body.append(panel);
  }
}"""


def assert_nothing_cut(page: Page, panels: int, also_exempt: str = "") -> None:
    """No text cut anywhere (but in `also_exempt`, a selector), on every page of module panels
    as wall.js turns them, until all `panels` were shown; fails naming each element that cuts
    its text."""
    seen: set[str] = set()
    cut: dict[tuple[str, str, str], None] = {}
    deadline = time.monotonic() + 10 * panels * ROTATE_S + 10
    while len(seen) < panels and time.monotonic() < deadline:
        shown, found = page.evaluate(
            f"(also) => [({SHOWN_PANELS})(), ({OVERFLOWS})(also)]", also_exempt
        )
        seen.update(shown)
        cut.update(dict.fromkeys(tuple(f) for f in found))
        page.wait_for_timeout(int(ROTATE_S * 300))
    assert not cut, "text cut or spilling:\n" + "\n".join(" · ".join(c) for c in cut)
    assert len(seen) == panels, f"only {len(seen)} of {panels} module panels were ever shown"


def assert_map_near_square(page: Page) -> None:
    box = page.locator(f"#{ids.WALL_MAP}").bounding_box()
    assert box is not None
    ratio = box["width"] / box["height"]
    low, high = MAP_RATIO
    assert low <= ratio <= high, f"the map is {box['width']:.0f}×{box['height']:.0f} px"


def wait_drawn(page: Page) -> float:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while (share := calm_share(page)) <= 0.05 and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # polling the canvas until MapLibre has drawn it
    return share


def assert_trends(page: Page, r: redis.Redis, keys: Keys, band: dict[str, float]) -> None:
    """Both trend charts drawn inside the band; today's bars as many as Redis has reports."""
    graphs = page.locator(f"#{ids.WALL_TRENDS} .wall-trend-graph .js-plotly-plot")
    expect(graphs).to_have_count(2)
    for n in range(2):
        box = graphs.nth(n).bounding_box()
        assert box is not None and box["height"] > 100, "a chart too small to read"
        assert band["y"] <= box["y"] and box["y"] + box["height"] <= band["y"] + band["height"]
    midnight = today_start_ms(datetime.now(UTC))
    today = int(r.zcount(keys.all_cases, midnight, "+inf"))
    shown = page.evaluate(
        f"() => document.querySelector('#{ids.wall_trend('reports')} .js-plotly-plot')"
        ".data[0].y.reduce((a, b) => a + (b || 0), 0)"
    )
    assert shown == today
    bars = page.locator(f"#{ids.wall_trend('reports')} .bars path").count()
    assert bars > 0 or today == 0  # the seeded cases are of the last 10 h: today but near 0:00


@pytest.mark.parametrize("size", SIZES)
def test_the_wall_fills_the_screen_draws_the_map_and_the_queue_and_reads_in_cjk(
    browser: Browser,
    wall_url: str,
    seeded: None,
    wall_redis: redis.Redis,
    wall_keys: Keys,
    screenshots: Path,
    size: str,
) -> None:
    viewport = SIZES[size]
    for wall in open_wall(browser, f"{wall_url}/wall", viewport, reduced_motion="reduce"):
        page = wall.page
        open_now = int(wall_redis.zcard(wall_keys.open_cases))
        page.wait_for_function(f"() => {ROWS}.getDisplayedRowCount() === {open_now}")
        assert wait_drawn(page) > 0.05, "no level-2 grid drawn in the map's centre"
        expect(page.locator(f"#{ids.WALL_HEADER_TICKER}")).to_contain_text(ALERT_ZH)
        page.wait_for_function(FIRST_PAGE)  # the module panels' first page, for the picture
        page.screenshot(path=screenshots / f"wall-{size}.png")

        scroll = page.evaluate(
            "() => { const e = document.documentElement;"
            " return [e.scrollWidth, e.scrollHeight, e.clientWidth, e.clientHeight]; }"
        )
        assert scroll == [viewport["width"], viewport["height"]] * 2
        boxes = {area: page.locator(area).bounding_box() for area in AREAS}
        for area, box in boxes.items():
            assert box is not None and box["width"] > 0 and box["height"] > 0, area
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], area
            assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], area
        queue, chart, side = (boxes[a] or {} for a in (".wall-queue", ".wall-map", ".wall-modules"))
        rem = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert rem == viewport["height"] / 72
        # The extra width of 32:9 goes to the module panels and the trends under them, not to
        # the queue, nor to the map (it keeps near square: the whole height, a little wider).
        assert abs(queue["width"] - QUEUE_REM * rem) < 2
        wide = viewport["width"] > VIEWPORT["width"]
        assert chart["width"] > (2000 if wide else 1300)
        assert side["width"] > (3000 if wide else 650)
        trends = boxes[".wall-trends"] or {}
        assert trends["width"] > (3000 if wide else 2000)
        cell = page.locator(".wall-queue .ag-center-cols-container .ag-cell").first
        assert cell.evaluate("e => getComputedStyle(e).fontSize") == "30px"

        assert_module_panels(page)
        assert_trends(page, wall_redis, wall_keys, boxes[".wall-trends"] or {})
        assert 0.95 <= page.evaluate(GLYPH_EMS) <= 1.05
        assert_cjk(page, ".wall-trend-title")
        assert_cjk(page, ".wall-module:not([hidden]) .wall-module-title")
        assert_cjk(page, ".wall-legend h3")
        assert "Noto Sans CJK SC" in cell.evaluate("e => getComputedStyle(e).fontFamily")
        assert page.locator(".wall-banner.is-shown").count() == 0
        assert wall.errors == []


def module_columns(page: Page) -> int:
    return int(
        page.evaluate(
            "() => getComputedStyle(document.querySelector('.wall-modules-body'))"
            ".gridTemplateColumns.split(' ').length"
        )
    )


@pytest.mark.parametrize("size", SIZES)
def test_no_text_is_cut_the_map_stays_near_square_and_the_demo_mark_shows(
    browser: Browser, wall_url: str, seeded: None, screenshots: Path, size: str
) -> None:
    for wall in open_wall(browser, f"{wall_url}/wall", SIZES[size], reduced_motion="reduce"):
        page = wall.page
        assert wait_drawn(page) > 0.05
        assert_map_near_square(page)
        mark = page.locator(".wall-header .wall-demo")
        expect(mark).to_be_visible()
        expect(mark).to_have_text("演示数据")
        expect(mark).to_have_attribute("aria-label", re.compile("模拟器"))
        assert_nothing_cut(page, len(MODULES))
        # The modules to come: sixteen panels of five figures each.
        page.evaluate(PAD_MODULES, PADDED)
        page.wait_for_function(f"() => ({PANELS})().every((p) => p[1] || p[2])")  # paged again
        assert_nothing_cut(page, PADDED)
        assert module_columns(page) >= (4 if size == "7680x2160" else 1)
        page.screenshot(path=screenshots / f"wall-{size}-{PADDED}-modules.png")
        assert_map_near_square(page)
        assert wall.errors == []


@pytest.fixture
def filtered(browser: Browser, wall_url: str, seeded: None) -> Iterator[WallPage]:
    url = f"{wall_url}/wall?lang=en&category=-parking"
    yield from open_wall(browser, url, reduced_motion="reduce")


def test_a_filtered_english_wall_hides_what_its_address_hides_live_too(
    filtered: WallPage, wall_redis: redis.Redis, wall_keys: Keys
) -> None:
    page = filtered.page
    shown = [category for _, category in page.evaluate(ROW_DATA)]
    assert shown and "Illegal parking" not in shown
    expect(page.locator(f"#{ids.WALL_QUEUE_FILTER}")).to_have_text("hiding Illegal parking")
    expect(page.locator(f"#{ids.WALL_HEADER_LANG}")).to_have_attribute("href", "?category=-parking")
    expect(page.locator(f"#{ids.WALL_HEADER_TICKER}")).to_contain_text(ALERT_EN)
    # English words are longer: nothing is cut in English either, the queue's header included.
    assert_nothing_cut(page, len(MODULES))

    parked = make_case("urban:FILTER-P", category="parking", description="filtered out")
    sold = make_case("urban:FILTER-V", category="street_vending", description="kept in")
    write_case(wall_redis, wall_keys, parked)
    write_case(wall_redis, wall_keys, sold)
    row = page.locator(f'#{ids.WALL_QUEUE_GRID} .ag-row[row-id="urban:FILTER-V"]')
    expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    assert "urban:FILTER-P" not in dict(page.evaluate(ROW_DATA))
    # Re-categorised as parking: the row leaves this wall.
    write_case(wall_redis, wall_keys, {**sold, "category": "parking"}, "updated")
    expect(row).to_have_count(0, timeout=TIMEOUT_MS)
    # An alert that comes into force later reaches the ticker through the push (every 10 s);
    # the one withdrawn meanwhile leaves it.
    heat = {**alert(0, "en-US", "Heat warning"), "severity": 4}
    heat["attrs"] = {**heat["attrs"], "identifier": "HEAT-1"}
    wall_redis.hset(wall_keys.latest("alert"), "cap:heat", orjson.dumps(heat))
    withdrawn = {**alert(1, "en-US", ALERT_EN), "retired": "cancelled"}
    wall_redis.hset(wall_keys.latest("alert"), "cap:1", orjson.dumps(withdrawn))
    ticker = page.locator(f"#{ids.WALL_HEADER_TICKER}")
    expect(ticker).to_contain_text("ExtremeHeat warning", timeout=TIMEOUT_MS)
    expect(ticker).not_to_contain_text(ALERT_EN)
    # The simulator stops feeding the centre (its last body ages out of the window): the
    # push's beat takes the mark away.
    mark = page.locator(".wall-header .wall-demo")
    expect(mark).to_have_text("Demo data")
    expect(mark).to_be_visible()
    was = wall_redis.getdel(wall_keys.simulated_at)
    expect(mark).to_be_hidden(timeout=TIMEOUT_MS)
    wall_redis.set(wall_keys.simulated_at, str(was))
    assert filtered.errors == []
