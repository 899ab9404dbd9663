"""The 演示数据 mark: the simulator marks its bodies, the mark lasts a window, the push's beat
carries it, and a page loaded while the simulator feeds the centre shows it."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from dash.development.base_component import Component

from core.keys import Keys
from core.settings import Settings
from dashboard import ids
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from dashboard.filters import CaseFilter
from dashboard.pages.wall import build_wall
from dashboard.push import Limits, Reads, Snapshot, build_view, plan, start
from ingest.freshness import SIMULATED_HEADER, SIMULATED_WINDOW_S, simulated
from ingest.sim.runner import _flush
from layers.town import default_town

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def test_the_mark_lasts_the_window_after_the_last_simulated_body() -> None:
    window = timedelta(seconds=SIMULATED_WINDOW_S)
    assert simulated((NOW - window + timedelta(seconds=1)).isoformat(), NOW)
    assert simulated((NOW - timedelta(seconds=5)).isoformat().encode(), NOW)  # a bytes reply
    assert not simulated((NOW - window - timedelta(seconds=1)).isoformat(), NOW)
    assert not simulated(None, NOW)  # never: a real feed alone
    assert not simulated("not a time", NOW)


def test_the_simulator_marks_every_body_it_sends() -> None:
    seen: list[httpx.Request] = []

    def intake(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"accepted": 1})

    with httpx.Client(transport=httpx.MockTransport(intake), base_url="http://intake") as client:
        sent = _flush(client, "urban", deque([b"[]", b"[]"]), "a-token")
    assert sent == 2
    assert [r.headers.get(SIMULATED_HEADER) for r in seen] == ["1", "1"]
    assert all(r.headers["authorization"] == "Bearer a-token" for r in seen)


def beats(reads: list[Reads]) -> list[dict[str, Any]]:
    state = start(
        "zh", "0-0", None, limits=Limits(5, 5), traces=map_traces(default_town()),
        case_filter=CaseFilter(), now=NOW.timestamp(),
    )  # fmt: skip
    found = []
    for n, read in enumerate(reads):
        state, messages = plan(state, read, NOW.timestamp() + 2 * n)
        found += [p["data"] for c, p in messages if c == ids.WALL_PUSH_BEAT]
    return found


def test_the_beat_carries_the_mark_once_the_push_has_read_it() -> None:
    found = beats([Reads(), Reads(simulated=True), Reads(), Reads(simulated=False)])
    assert ["demo" in beat for beat in found] == [False, True, True, True]
    assert [beat.get("demo") for beat in found[1:]] == [True, True, False]


def walk(node: Any) -> list[Component]:
    if isinstance(node, list | tuple):
        return [c for child in node for c in walk(child)]
    if not isinstance(node, Component):
        return []
    return [node, *walk(getattr(node, "children", None))]


def page(lang: str, *, fed_by_simulator: bool) -> Component:
    town = default_town()
    settings = Settings(REDIS_URL="redis://127.0.0.1:1/0")
    none = cast(Any, None)  # the builder never touches Redis
    wall = WallContext(settings, Keys(settings.key_prefix), town, map_traces(town), none, none)
    view = build_view([], {}, lang=lang, limits=wall.limits, locations=())  # type: ignore[arg-type]
    return build_wall(wall, Snapshot(), view, lang, simulated=fed_by_simulator)  # type: ignore[arg-type]


def test_a_page_loaded_while_the_simulator_feeds_the_centre_says_so() -> None:
    for lang, text, why in (("zh", "演示数据", "模拟器"), ("en", "Demo data", "simulator")):
        tree = page(lang, fed_by_simulator=True)
        assert tree.className == "wall is-demo"
        [mark] = [c for c in walk(tree) if getattr(c, "className", None) == "wall-demo"]
        assert mark.children == text
        assert why in mark.title and mark.title == getattr(mark, "aria-label")
        config = next(c for c in walk(tree) if getattr(c, "id", None) == ids.WALL_PAGE_CONFIG)
        assert config.data["demo"] is True
    real = page("zh", fed_by_simulator=False)
    assert real.className == "wall"  # the mark is there, hidden (wall.css)
    config = next(c for c in walk(real) if getattr(c, "id", None) == ids.WALL_PAGE_CONFIG)
    assert config.data["demo"] is False
