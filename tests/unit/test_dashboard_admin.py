"""/admin: its table rows, the dead-letter detail, the refresh plan, the page tree and route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from dash import Dash, html, no_update
from dash.development.base_component import Component
from fastapi.testclient import TestClient

from core.keys import Keys
from core.settings import Settings
from dashboard import ids
from dashboard.app import create_app
from dashboard.components.admin_tables import (
    DETAIL_MAX,
    PREVIEW_MAX,
    beijing_text,
    count_columns,
    count_rows,
    dead_letter_columns,
    dead_letter_detail,
    dead_letter_rows,
    feed_columns,
    feed_rows,
)
from dashboard.components.wall_map import map_traces
from dashboard.context import WallContext
from dashboard.framework import DEPENDENCIES_ROUTE, layout_path
from dashboard.pages.admin import AdminData, Links, build_admin, failed_refresh, plan_refresh
from layers.town import default_town
from tests.support.access import LOCAL
from towncc.embedded import free_port

# No Redis here: these tests are about pages and routing, so no one could be identified.
# Who may reach them is tests/redis/test_permissions.py's business, with the guard on.
OFF = False

NOW = datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC)  # 09:02:03 in Beijing
MARKUP = "<script>alert(1)</script>"
LETTER = {
    "entry": "1-0", "feed": "urban", "reason": "malformed JSON: line 1", "raw": MARKUP,
    "received_at": "2026-11-28T01:00:00+00:00", "source_id": "",
}  # fmt: skip
FEED_ROW = {
    "feed": "urban", "status": "live", "last_at": "2026-11-28T01:00:00+00:00", "age_s": 123.4,
    "rate_per_min": 0.4, "records": 2, "dead_letters": 1, "last_error": "malformed JSON",
}  # fmt: skip
NEVER_ROW = {**FEED_ROW, "feed": "party", "status": "never", "last_at": None, "age_s": None}


def walk(node: Any) -> list[Component]:
    if isinstance(node, list | tuple):
        return [c for child in node for c in walk(child)]
    if not isinstance(node, Component):
        return []
    return [node, *walk(getattr(node, "children", None))]


def test_times_show_on_beijings_clock() -> None:
    assert beijing_text("2026-11-28T01:00:00+00:00") == "2026-11-28 09:00:00"
    assert beijing_text(None) == "" and beijing_text("not a time") == "not a time"


def test_the_freshness_table_names_feeds_and_says_never() -> None:
    live, never = feed_rows([FEED_ROW, NEVER_ROW], "zh")
    assert live == {
        "id": "urban", "feed": "数字城管", "status": "live", "status_text": "正常",
        "last_at": "2026-11-28 09:00:00", "age": "2分钟前", "rate_per_min": 0.4, "records": 2,
        "dead_letters": 1, "last_error": "malformed JSON",
    }  # fmt: skip
    assert (never["status_text"], never["age"], never["last_at"]) == ("从未接收", "从未", "")
    assert feed_rows([NEVER_ROW], "en")[0]["status_text"] == "Never"


def test_dead_letter_rows_keep_the_raw_text_and_clip_it() -> None:
    [row] = dead_letter_rows([LETTER], "zh")
    assert row == {
        "id": "1-0", "received_at": "2026-11-28 09:00:00", "feed": "数字城管",
        "reason": "malformed JSON: line 1", "source_id": "", "raw": MARKUP,
    }  # fmt: skip
    [long] = dead_letter_rows([{**LETTER, "raw": "x" * 5000}], "zh")
    assert len(long["raw"]) == PREVIEW_MAX and long["raw"].endswith("…")


def test_counts_are_per_feed_and_reason() -> None:
    rows = count_rows([{"feed": "urban", "reason": "malformed JSON", "count": 3}], "en")
    assert rows == [
        {"id": "urban\tmalformed JSON", "feed": "Urban mgmt", "reason": "malformed JSON",
         "count": 3},
    ]  # fmt: skip


def test_no_column_renders_html() -> None:
    for columns in (feed_columns("zh"), dead_letter_columns("zh"), count_columns("en")):
        assert not any("cellRenderer" in c or "tooltipComponent" in c for c in columns)
    assert {c["field"] for c in dead_letter_columns("zh")} >= {"received_at", "raw", "reason"}


def test_the_detail_shows_the_whole_payload_as_text_json_indented() -> None:
    children = dead_letter_detail(LETTER, "zh")
    pre = next(c for c in walk(children) if isinstance(c, html.Pre))
    assert pre.children == MARKUP
    children = dead_letter_detail({**LETTER, "raw": '{"ajbh":"A-1","wtms":"井盖"}'}, "zh")
    pre = next(c for c in walk(children) if isinstance(c, html.Pre))
    assert pre.children == '{\n  "ajbh": "A-1",\n  "wtms": "井盖"\n}'
    huge = dead_letter_detail({**LETTER, "raw": "y" * (DETAIL_MAX + 10)}, "en")
    texts = [getattr(c, "children", None) for c in walk(huge)]
    assert f"(payload too long: the first {DETAIL_MAX} characters)" in texts
    assert len(next(c for c in walk(huge) if isinstance(c, html.Pre)).children) == DETAIL_MAX
    gone = dead_letter_detail(None, "zh")
    assert walk(gone)[0].children == "该死信已不存在（已重放或已清理）"


def test_the_detail_says_when_only_the_head_of_a_payload_was_stored() -> None:
    stored = {**LETTER, "truncated": "1", "raw_bytes": "4900000", "raw_sha256": "ab" * 32}
    texts = [getattr(c, "children", None) for c in walk(dead_letter_detail(stored, "en"))]
    assert any(isinstance(x, str) and "only the head of 4900000 bytes" in x for x in texts)
    whole = [getattr(c, "children", None) for c in walk(dead_letter_detail(LETTER, "en"))]
    assert not any(isinstance(x, str) and "only the head" in x for x in whole)


def test_a_refresh_sends_only_the_tables_that_changed() -> None:
    counts = [{"feed": "urban", "reason": "bad", "count": 1}]
    data = AdminData([FEED_ROW], [LETTER], counts, "1:1")
    feeds, dead, counted, updated, sent = plan_refresh(data, "zh", NOW, None)
    assert feeds[0]["id"] == "urban" and dead[0]["raw"] == MARKUP and counted[0]["count"] == 1
    assert updated == "更新于 09:02:03" and sent["probe"] == "1:1"
    again = plan_refresh(data, "zh", NOW, sent)
    assert again[:3] == (no_update, no_update, no_update)
    unread = plan_refresh(data._replace(letters=None), "zh", NOW, sent)
    assert unread[1] is no_update and unread[4]["dead"] == sent["dead"]
    moved = data._replace(letters=[{**LETTER, "entry": "2-0"}, LETTER], probe="2:2")
    assert [r["id"] for r in plan_refresh(moved, "zh", NOW, sent)[1]] == ["2-0", "1-0"]


def test_a_failed_refresh_keeps_the_tables_and_says_since_when() -> None:
    out = failed_refresh({"at": "09:02:03"}, "zh")
    assert out[:3] == (no_update, no_update, no_update) and out[4] is no_update
    assert out[3] == "Redis 无响应，显示的是 09:02:03 的数据"


@pytest.fixture(scope="module")
def context() -> WallContext:
    town = default_town()
    settings = Settings(REDIS_URL="redis://127.0.0.1:1/0")
    none = cast(Any, None)  # the builders never touch Redis
    return WallContext(settings, Keys(settings.key_prefix), town, map_traces(town), none, none)


def test_the_page_uses_ids_from_ids_py_once_each(context: WallContext) -> None:
    page = build_admin(context, "zh", Links("/wall", "/admin"))
    found = [c.id for c in walk(page) if getattr(c, "id", None) is not None]
    declared = {v for k, v in vars(ids).items() if k.startswith("ADMIN_")}
    assert set(found) == declared and len(found) == len(set(found))
    links = {c.children: c.href for c in walk(page) if isinstance(c, html.A)}
    assert links == {"返回大屏": "/wall", "English": "/admin?lang=en"}
    english = build_admin(context, "en", Links("/wall", "/admin"))
    links = {c.children: c.href for c in walk(english) if isinstance(c, html.A)}
    assert links == {"Video wall": "/wall?lang=en", "中文": "/admin"}


@pytest.fixture(scope="module")
def app() -> Dash:
    return create_app(Settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", access_control=OFF))


@pytest.fixture(scope="module")
def client(app: Dash) -> Iterator[TestClient]:
    with TestClient(app.server, base_url=LOCAL) as client:
        yield client


def test_admin_is_served_and_its_layout_is_chosen_by_the_pages_address(
    client: TestClient,
) -> None:
    page = client.get("/admin")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    admin = client.get(layout_path("/admin?lang=en"))
    wall = client.get(layout_path("/wall"))
    assert ids.ADMIN_DEAD_GRID in admin.text and ids.WALL_QUEUE_GRID not in admin.text
    assert "Recent dead letters" in admin.text
    assert ids.WALL_QUEUE_GRID in wall.text and ids.ADMIN_DEAD_GRID not in wall.text


def test_the_admin_refresh_is_an_ordinary_async_callback(client: TestClient) -> None:
    found = client.get(f"/{DEPENDENCIES_ROUTE}").json()
    admin = [cb for cb in found if ids.ADMIN_REFRESH_TICK in str(cb["inputs"])]
    assert len(admin) == 1 and not admin[0]["websocket"]
    pushes = [cb for cb in found if cb["websocket"] and cb.get("persistent")]
    assert len(pushes) == 1  # still the wall's one persistent callback
    assert pushes[0]["state"][0].get("allow_optional")  # absent on /admin: it ends at once
