"""The wall's health strip: any notice shows, in the page's language, critical first, and the
push sends it only when it changed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from dash.development.base_component import Component

from dashboard import ids
from dashboard.components.notices import notice_class, notice_items, notice_strip
from dashboard.health import Notice
from dashboard.push import Reads, plan

ENGINE = Notice("engine-stopped", "critical", "case engine stopped")
CHILD = Notice("child-down", "critical", "process wall is down", {"child": "wall", "exit_code": 3})
CALENDAR = Notice("calendar-ends", "warning", "no holiday arrangement after 2027-01-01")


def test_critical_notices_come_first_in_chinese_with_their_params_translated() -> None:
    items = notice_items([CALENDAR, ENGINE, CHILD], "zh")
    assert [i["code"] for i in items] == ["engine-stopped", "child-down", "calendar-ends"]
    assert items[0]["text"] == "处置引擎已停止 · 事件数据未在更新"
    assert "大屏服务" in items[1]["text"]  # `child.wall`, not the process's name
    assert notice_class(items) == "wall-notices is-critical"


def test_english_and_a_notice_without_a_text_of_its_own_shows_its_detail() -> None:
    [engine, calendar] = notice_items([ENGINE, CALENDAR], "en")
    assert engine["text"] == "Case engine stopped · cases are not being updated"
    assert calendar["text"] == CALENDAR.detail  # no `notice.calendar-ends` text (yet)
    assert notice_class([calendar]) == "wall-notices is-warning"


def test_a_text_naming_a_param_the_notice_lacks_falls_back_to_the_detail() -> None:
    bare = Notice("child-down", "critical", "process ? is down")
    assert notice_items([bare], "zh")[0]["text"] == "process ? is down"
    odd = Notice("child-down", "critical", "x", {"child": "watcher-2"})
    assert "watcher-2" in notice_items([odd], "en")[0]["text"]  # no text: the value itself


def test_the_strip_is_hidden_when_all_is_well_and_names_each_notice_by_its_content() -> None:
    empty = notice_strip([])
    assert (empty.id, empty.className, empty.children) == (
        ids.WALL_HEADER_NOTICES,
        "wall-notices is-empty",
        [],
    )
    strip = notice_strip(notice_items([ENGINE, CHILD], "zh"))
    spans = cast(list[Component], strip.children)
    assert [s.className for s in spans] == ["wall-notice is-critical"] * 2
    assert all(s.id["type"] == ids.NOTICE_ITEM_TYPE for s in spans)
    assert len({s.id["key"] for s in spans}) == 2


def test_the_push_sends_the_strip_first_then_only_when_it_changed() -> None:
    from tests.unit.test_dashboard_push import NOW, begin

    state, _ = begin([])
    classes = []
    for found in ([], [], [ENGINE], [ENGINE]):
        state, messages = plan(replace(state, lang="en"), Reads(notices=found), NOW)
        classes += [p["className"] for c, p in messages if c == ids.WALL_HEADER_NOTICES]
    assert classes == ["wall-notices is-empty", "wall-notices is-critical"]


def test_the_wall_carries_the_strip_with_the_notices_read_at_load() -> None:
    from core.keys import Keys
    from core.settings import Settings
    from dashboard.components.wall_map import map_traces
    from dashboard.context import WallContext
    from dashboard.pages.wall import build_wall
    from dashboard.push import Snapshot, build_view
    from layers.town import default_town
    from tests.unit.test_dashboard_layout import CASE, walk
    from tests.unit.test_dashboard_push import counts as header

    town = default_town()
    settings = Settings(REDIS_URL="redis://127.0.0.1:1/0")
    none = cast(Any, None)
    wall = WallContext(settings, Keys(), town, map_traces(town), none, none)
    snap = Snapshot("5-0", [CASE], {}, header(0, 1, 1))
    view = build_view(snap.cases, {}, lang="zh", limits=wall.limits, locations=())
    tree = build_wall(wall, snap, view, "zh", notices=notice_items([ENGINE], "zh"))
    [strip] = [c for c in walk(tree) if getattr(c, "id", None) == ids.WALL_HEADER_NOTICES]
    assert strip.className == "wall-notices is-critical"
    # In the header's ticker row: the header keeps its height and the strip covers no data.
    [header] = [c for c in walk(tree) if getattr(c, "className", None) == "wall-header"]
    [row] = [c for c in walk(header) if getattr(c, "className", None) == "wall-ticker-row"]
    assert strip in list(walk(row))
    assert "处置引擎已停止" in str(strip.children)
