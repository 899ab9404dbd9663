"""dashboard/framework.py: each of Dash's internals the app uses is still there and still does
what the app needs it for. A failure names the internal: re-check it against the installed
version and update dashboard/framework.py (or assets/framework.js) and its CHECKED_AGAINST."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import dash
import pytest
from dash import Dash, html
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboard.framework import (
    CHECKED_AGAINST,
    DEPENDENCIES_ROUTE,
    LAYOUT_ROUTE,
    PAGE_PARAM,
    layout_path,
    missing_internals,
    request_query,
    set_up_now,
)

ROOT = Path(__file__).resolve().parents[2]
RENDERER = Path(dash.__file__).parent / "dash-renderer" / "build" / "dash_renderer.min.js"


def installed() -> str:
    found = ", ".join(f"{name} {version(name)}" for name in CHECKED_AGAINST)
    checked = ", ".join(f"{name} {v}" for name, v in CHECKED_AGAINST.items())
    return f"installed: {found}; dashboard/framework.py was checked against {checked}"


def small_app(assets: Path) -> Dash:
    """A Dash app on FastAPI whose layout shows the query of its layout request."""
    (assets / "probe.js").write_text("window.probe = 1;\n")
    app = Dash(__name__, server=FastAPI(), assets_folder=str(assets))  # type: ignore[arg-type]
    app.layout = lambda: html.Div(str(sorted(request_query().items())), id="query")
    return app


def test_dash_still_has_the_internals_the_server_side_uses() -> None:
    assert missing_internals() == [], installed()


def test_without_set_up_now_the_first_page_would_link_no_assets(tmp_path: Path) -> None:
    """Why set_up_now exists: Dash sets itself up before requests to its own routes only."""
    plain = small_app(tmp_path)
    with TestClient(plain.server) as client:
        first = client.get("/some/page").text
    assert "probe.js" not in first, (
        f"Dash now links the assets on the first page by itself ({installed()}): "
        "dashboard/framework.py set_up_now may no longer be needed"
    )
    ready = small_app(tmp_path)
    set_up_now(ready)
    with TestClient(ready.server) as client:
        assert "probe.js" in client.get("/some/page").text, (
            f"set_up_now no longer makes the first page link the assets ({installed()})"
        )


def test_a_layout_function_reads_the_query_of_its_own_request(tmp_path: Path) -> None:
    app = small_app(tmp_path)
    with TestClient(app.server) as client:
        layout = client.get(layout_path("/admin?lang=en"), headers={"referer": "http://x/wall"})
    assert layout.status_code == 200, f"no {LAYOUT_ROUTE} route ({installed()})"
    assert layout.json()["props"]["children"] == f"[('{PAGE_PARAM}', '/admin?lang=en')]", (
        f"the layout function no longer sees its request's query through "
        f"app.backend.request_adapter().args ({installed()}): see dashboard/framework.py"
    )


def test_outside_a_request_the_query_is_empty() -> None:
    assert dict(request_query()) == {}


def test_the_dependencies_route_lists_the_callbacks_as_the_browser_gets_them(
    tmp_path: Path,
) -> None:
    app = small_app(tmp_path)

    @app.callback(dash.Output("query", "title"), dash.Input("query", "children"))
    def echo(children: str) -> str:
        return children

    with TestClient(app.server) as client:
        found = client.get(f"/{DEPENDENCIES_ROUTE}").json()
    assert [cb["inputs"] for cb in found] == [[{"id": "query", "property": "children"}]], (
        f"{DEPENDENCIES_ROUTE} no longer lists the callbacks ({installed()}): the tests read "
        "the callbacks there"
    )
    assert {"websocket", "persistent", "no_output", "prevent_initial_call"} <= set(found[0])


def test_the_renderer_still_asks_for_the_page_and_its_callbacks_by_these_routes() -> None:
    bundle = RENDERER.read_text(encoding="utf-8")
    for route in (LAYOUT_ROUTE, DEPENDENCIES_ROUTE):
        assert re.search(rf"""["']{route}["'],\s*["']GET["']""", bundle), (
            f"the renderer no longer GETs {route} ({installed()}): assets/framework.js names "
            "the page on that request"
        )
    assert "window.store=" in bundle, (
        f"the renderer no longer puts its Redux store on window.store ({installed()}): "
        "assets/framework.js trims Dash's undo history there"
    )


def test_the_browser_side_names_the_same_route_and_parameter() -> None:
    js = (ROOT / "assets" / "framework.js").read_text(encoding="utf-8")
    assert f'const LAYOUT_ROUTE = "{LAYOUT_ROUTE}";' in js
    assert f'const PAGE_PARAM = "{PAGE_PARAM}";' in js


@pytest.mark.parametrize("name", sorted(CHECKED_AGAINST))
def test_the_browser_side_was_checked_against_the_same_versions(name: str) -> None:
    js = (ROOT / "assets" / "framework.js").read_text(encoding="utf-8")
    assert f"{name} {CHECKED_AGAINST[name]}" in js, f"assets/framework.js: {name}'s version"
