"""The wall's component tree: ids from ids.py, text-only grid, offline map, no scrolling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest
from dash import dcc, html
from dash.development.base_component import Component

from core.keys import Keys
from core.settings import Settings
from dashboard import ids
from dashboard.components.admin_tables import THEME as ADMIN_THEME
from dashboard.components.queue import THEME as QUEUE_THEME
from dashboard.components.queue import column_defs, queue_grid
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from dashboard.filters import filter_of
from dashboard.pages.wall import build_wall, page_config
from dashboard.push import Snapshot, build_view, mirror_from_store
from dashboard.theme import FONT_STACK, FONT_VAR
from ingest.feeds import FEEDS
from layers.town import default_town
from tests.unit.test_dashboard_push import counts as header

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CASE = {
    "id": "urban:A1", "category": "parking", "title": "乱停", "description": "<b>x</b>",
    "status": "open", "grid": "XXK-01-01", "lon": 120.3985, "lat": 31.7805,
    "reported_at": "2026-11-28T01:00:00+00:00", "response_due": None, "responded_at": None,
}  # fmt: skip


@pytest.fixture(scope="module")
def wall() -> WallContext:
    town = default_town()
    settings = Settings(REDIS_URL="redis://127.0.0.1:1/0")
    none = cast(Any, None)  # the builders never touch Redis
    return WallContext(settings, Keys(settings.key_prefix), town, map_traces(town), none, none)


def render(wall: WallContext, lang: str = "zh", *, ok: bool = True) -> Component:
    counts = header(0, 1, 3)
    snap = Snapshot("5-0", [CASE], {"XXK-01-01": 1}, counts) if ok else Snapshot(ok=False)
    view = build_view(
        snap.cases, snap.grid, lang=lang, limits=wall.limits, locations=wall.traces.locations
    )
    return build_wall(wall, snap, view, lang)  # type: ignore[arg-type]


def walk(node: Any) -> list[Component]:
    if isinstance(node, list | tuple):
        return [c for child in node for c in walk(child)]
    if not isinstance(node, Component):
        return []
    return [node, *walk(getattr(node, "children", None))]


def declared_ids() -> set[str]:
    return {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}


def test_declared_ids_are_unique_kebab_case_page_area_role() -> None:
    values = [v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"(wall|admin|console|tablet|incident)(-[a-z]+)+", v) for v in values)


def test_every_id_in_the_tree_comes_from_ids_py_and_appears_once(wall: WallContext) -> None:
    found = [c.id for c in walk(render(wall)) if getattr(c, "id", None) is not None]
    strings = [i for i in found if isinstance(i, str)]
    assert set(strings) <= declared_ids()
    assert len(strings) == len(set(strings))
    kpis = [i for i in found if isinstance(i, dict) and i["type"] == ids.KPI_TILE_TYPE]
    assert kpis == [ids.wall_kpi(k) for k in ("open", "today", "overdue")]
    lights = [i for i in found if isinstance(i, dict) and i["type"] == ids.FEED_LIGHT_TYPE]
    assert lights == [ids.feed_light(f) for f in wall.feeds] and len(lights) == len(FEEDS)
    assert {ids.WALL_MAP, ids.WALL_QUEUE_GRID, ids.WALL_PUSH_CURSOR} <= set(strings)


def test_the_grid_renders_text_only_and_ticks_with_functions_from_the_assets() -> None:
    grid = queue_grid([], "zh")
    assert grid.getRowId == "params.data.id"
    assert not getattr(grid, "dangerously_allow_code", False)
    columns = column_defs("zh")
    assert not any("cellRenderer" in c for c in columns)
    script = (ASSETS / "wall.js").read_text(encoding="utf-8")
    exported = re.search(r"Object\.assign\(dagfuncs, \{([^}]*)\}", script)
    assert exported is not None
    names = {n.strip() for n in exported.group(1).split(",")}
    used = set(re.findall(r"(\w+)\(params", str(columns) + str(grid.defaultColDef)))
    assert used and used <= names
    assert "wallTick" in script


def test_the_map_is_offline_with_circle_points_and_the_live_traces_where_the_push_expects(
    wall: WallContext,
) -> None:
    graph = next(c for c in walk(render(wall)) if isinstance(c, dcc.Graph))
    figure = graph.figure
    assert figure.layout.map.style == "white-bg"
    choropleth = figure.data[wall.traces.choropleth]
    points = figure.data[wall.traces.points]
    assert choropleth.type == "choroplethmap" and list(choropleth.locations) == list(
        wall.traces.locations
    )
    assert sum(choropleth.z) == 1
    assert points.type == "scattermap" and points.marker.symbol is None
    assert list(points.customdata) == ["urban:A1"]


def test_a_page_carries_its_cursor_and_mirror_and_a_failed_read_forces_a_resync(
    wall: WallContext,
) -> None:
    stores = {
        c.id: getattr(c, "data", None) for c in walk(render(wall)) if isinstance(c, dcc.Store)
    }
    mirror = mirror_from_store(stores[ids.WALL_PUSH_CURSOR])
    assert stores[ids.WALL_PUSH_CURSOR]["cursor"] == "5-0"
    assert mirror is not None and list(mirror.rows) == ["urban:A1"]
    failed = {
        c.id: getattr(c, "data", None)
        for c in walk(render(wall, ok=False))
        if isinstance(c, dcc.Store)
    }
    assert mirror_from_store(failed[ids.WALL_PUSH_CURSOR]) is None


def texts_of(tree: Component) -> list[Any]:
    """Every string child in the tree (a child list's strings included)."""
    found: list[Any] = []
    for component in walk(tree):
        children = getattr(component, "children", None)
        found += children if isinstance(children, list) else [children]
    return [text for text in found if isinstance(text, str)]


def test_english_page(wall: WallContext) -> None:
    texts = texts_of(render(wall, "en"))
    assert "Live case queue" in texts and "Xiake Town" in texts
    assert {"Modules", "Trends", "No data yet", "No alerts in force"} <= set(texts)
    config = page_config("en", "/healthz")
    assert config["words"]["link"]["down"] == "Link down"
    assert config["words"]["banner"]["link"] == "Link lost since {time} · reconnecting"


def test_the_reserved_areas_say_they_have_no_data_until_builders_fill_them(
    wall: WallContext,
) -> None:
    tree = render(wall)
    by_id = {c.id: c for c in walk(tree) if isinstance(getattr(c, "id", None), str)}
    for area in (ids.WALL_MODULES, ids.WALL_TRENDS):
        assert texts_of(by_id[area]) == ["暂无数据"]
    panel = html.Div("经济运行", className="module")
    filled = build_wall(
        wall, Snapshot(), build_view([], {}, lang="zh", limits=wall.limits, locations=()), "zh",
        modules=[panel],
    )  # fmt: skip
    modules = next(c for c in walk(filled) if getattr(c, "id", None) == ids.WALL_MODULES)
    assert modules.children == [panel]


def test_the_banner_starts_hidden_and_nothing_on_the_wall_spins(wall: WallContext) -> None:
    tree = render(wall)
    banner = next(c for c in walk(tree) if getattr(c, "id", None) == ids.WALL_LINK_BANNER)
    assert banner.className == "wall-banner" and not banner.children
    assert not [c for c in walk(tree) if isinstance(c, dcc.Loading)]
    assert tree.className == "wall"


def test_a_filtered_page_carries_its_filter_says_so_and_links_keep_it(wall: WallContext) -> None:
    view = filter_of({"category": "-parking"})
    snap = Snapshot("5-0", [CASE], {}, header(0, 1, 1))
    shown = build_view([], {}, lang="zh", limits=wall.limits, locations=())
    tree = build_wall(wall, snap, shown, "zh", case_filter=view)
    by_id = {c.id: c for c in walk(tree) if isinstance(getattr(c, "id", None), str)}
    assert by_id[ids.WALL_PUSH_CURSOR].data["filter"] == {"category": "-parking"}
    assert by_id[ids.WALL_QUEUE_FILTER].children == "不含乱停乱放"
    assert by_id[ids.WALL_HEADER_LANG].href == "?lang=en&category=-parking"
    english = build_wall(wall, snap, shown, "en")
    link = next(c for c in walk(english) if getattr(c, "id", None) == ids.WALL_HEADER_LANG)
    assert link.href == "?"  # back to Chinese: no parameter at all


def test_the_quiet_reload_hour_reaches_the_page(wall: WallContext) -> None:
    assert page_config("zh", "/healthz")["reloadAt"] is None
    assert page_config("zh", "/healthz", reload_at="04:00")["reloadAt"] == "04:00"


def test_the_queue_puts_overdue_rows_on_top_then_the_newest_and_flashes_new_rows() -> None:
    columns = column_defs("zh")
    sorted_by = sorted((c for c in columns if c.get("sort")), key=lambda c: c["sortIndex"])
    assert [(c.get("colId") or c["field"], c["sort"]) for c in sorted_by] == [
        ("overdue", "desc"),
        ("reported_at", "desc"),
    ]
    assert sorted_by[0]["hide"] is True
    assert any(c.get("field") == "level_label" for c in columns)  # the escalation level
    grid = queue_grid([], "zh")
    assert grid.rowClassRules == {"is-new": "isNewRow(params.data)"}
    script = (ASSETS / "wall.js").read_text(encoding="utf-8")
    assert "isNewRow" in re.search(r"Object\.assign\(dagfuncs, \{([^}]*)\}", script).group(1)
    assert "onSortChanged" in script


def test_the_stylesheet_pins_the_wall_to_the_screen_without_scrolling() -> None:
    css = (ASSETS / "wall.css").read_text(encoding="utf-8")
    body = re.search(r"html,\s*body\s*{([^}]*)}", css)
    wall = re.search(r"\n\.wall\s*{([^}]*)}", css)
    assert body is not None and "overflow: hidden" in body.group(1)
    assert wall is not None
    for rule in ("width: 100vw", "height: 100vh", "overflow: hidden", "box-sizing: border-box"):
        assert rule in wall.group(1)
    areas = re.search(r"grid-template-areas:([^;]*);", wall.group(1))
    assert areas is not None
    assert areas.group(1).split() == [
        '"header',
        "header",
        'header"',
        '"queue',
        "map",
        'modules"',
        '"queue',
        "trends",
        'trends"',
    ]


def test_one_font_stack_everywhere_as_a_css_variable() -> None:
    css = (ASSETS / "wall.css").read_text(encoding="utf-8")
    assert f"--font: {FONT_STACK};" in css
    for sheet in ("wall.css", "admin.css"):
        text = (ASSETS / sheet).read_text(encoding="utf-8")
        stacks = re.findall(r"font-family:\s*([^;]+);", text)
        assert all(s == "var(--font)" or "Mono" in s for s in stacks), (sheet, stacks)
    assert f"fontFamily: '{FONT_VAR}'" in QUEUE_THEME and f"fontFamily: '{FONT_VAR}'" in ADMIN_THEME
