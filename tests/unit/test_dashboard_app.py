"""The app's routes, with no Redis at all: ours are not shadowed by Dash's catch-all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dash import Dash
from fastapi import APIRouter
from fastapi.testclient import TestClient

from core.settings import Settings
from dashboard import ids
from dashboard.app import create_app
from dashboard.framework import DEPENDENCIES_ROUTE, LAYOUT_ROUTE, layout_path
from dashboard.i18n import t
from tests.support.access import LOCAL
from towncc.embedded import free_port

# No Redis here: these tests are about pages and routing, so no one could be identified.
# Who may reach them is tests/redis/test_permissions.py's business, with the guard on.
OFF = False


@pytest.fixture(scope="module")
def app() -> Dash:
    extra = APIRouter()

    @extra.get("/custom/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    settings = Settings(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", access_control=OFF
    )  # nothing listens
    return create_app(settings, routers=[extra])


@pytest.fixture(scope="module")
def client(app: Dash) -> Iterator[TestClient]:
    with TestClient(
        app.server, base_url=LOCAL
    ) as client:  # runs the lifespan: Dash adds its catch-all
        yield client


def test_root_redirects_to_the_wall_keeping_the_query(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/wall"
    moved = client.get("/?lang=en", follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/wall?lang=en"


def test_routers_given_to_create_app_are_not_shadowed_by_the_catch_all(client: TestClient) -> None:
    response = client.get("/custom/ping")
    assert response.status_code == 200 and response.json() == {"pong": True}
    assert "text/html" in client.get("/no/such/page").headers["content-type"]  # the catch-all


def test_health_is_503_when_redis_does_not_answer(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"status": "unavailable", "redis": "unreachable"}


@pytest.mark.parametrize(
    "path", ["/api/cases", "/api/cases/urban:T-1", "/api/feeds", "/api/commands/1-0", "/healthz"]
)
def test_an_unreachable_redis_is_a_503_with_retry_after_that_names_no_host(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    assert "127.0.0.1" not in response.text and "localhost" not in response.text


def test_the_first_page_a_fresh_server_sends_links_its_assets() -> None:
    """No request to one of Dash's own routes comes first (dashboard/framework.py: set_up_now)."""
    fresh = create_app(Settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", access_control=OFF))
    with TestClient(fresh.server, base_url=LOCAL) as client:
        html = client.get("/wall").text
    assert "/assets/wall.css" in html and "/assets/wall.js" in html
    assert html.index("/assets/framework.js") < html.index("/assets/wall.js")


def test_the_layout_follows_the_pages_language_and_survives_a_dead_redis(
    client: TestClient,
) -> None:
    english = client.get(layout_path("/wall?lang=en"))
    chinese = client.get(layout_path("/wall"))
    assert english.status_code == chinese.status_code == 200
    assert "Live case queue" in english.text and "实时事件队列" in chinese.text


ADMIN_MARK, WALL_MARK = ids.ADMIN_DEAD_GRID, ids.WALL_QUEUE_GRID


@pytest.mark.parametrize("referer", [None, "http://testserver/wall", "http://testserver/admin"])
@pytest.mark.parametrize(
    ("page", "mark", "words"),
    [
        ("/wall", WALL_MARK, t("queue.title", "zh")),
        ("/wall?lang=en", WALL_MARK, t("queue.title", "en")),
        ("/admin", ADMIN_MARK, t("admin.dead", "zh")),
        ("/admin?lang=en", ADMIN_MARK, t("admin.dead", "en")),
    ],
)
def test_each_page_is_chosen_by_its_address_whatever_the_referer_says(
    client: TestClient, page: str, mark: str, words: str, referer: str | None
) -> None:
    headers = {"referer": referer} if referer else {}
    layout = client.get(layout_path(page), headers=headers).text
    other = ADMIN_MARK if mark == WALL_MARK else WALL_MARK
    assert mark in layout and other not in layout and words in layout


def test_a_filter_and_hidden_layers_in_the_address_apply_without_a_referer(
    client: TestClient,
) -> None:
    plain = client.get(layout_path("/wall")).text
    filtered = client.get(layout_path("/wall?feed=urban&hide=teams")).text
    assert "仅显示" not in plain and "仅显示" in filtered
    assert filtered.count("is-off") == plain.count("is-off") + 1


def test_an_unknown_path_or_no_address_gets_the_wall(client: TestClient) -> None:
    for layout in (client.get(layout_path("/no/such/page")), client.get(f"/{LAYOUT_ROUTE}")):
        assert layout.status_code == 200 and WALL_MARK in layout.text


def callbacks(client: TestClient) -> list[dict[str, Any]]:
    """The callbacks as the browser is told of them at page load."""
    found: list[dict[str, Any]] = client.get(f"/{DEPENDENCIES_ROUTE}").json()
    return found


def test_one_input_less_persistent_websocket_callback_is_registered_at_creation(
    app: Dash, client: TestClient
) -> None:
    # In the map Dash's socket reads from creation on: a socket that reconnects to a restarted
    # server, before any page request, finds it.
    assert [k for k, cb in app.callback_map.items() if cb["websocket"] and not cb["inputs"]]
    found = callbacks(client)
    pushes = [cb for cb in found if cb["websocket"] and cb["persistent"]]
    assert len(pushes) == 1
    assert pushes[0]["no_output"] and not pushes[0]["inputs"]
    # The other socket callback: the browser's nudge, never at load, never re-run alone (the
    # page's acknowledgements to the push go on its rows socket, not through Dash).
    others = [cb for cb in found if cb["websocket"] and not cb["persistent"]]
    assert [cb["inputs"][0]["id"] for cb in others] == [ids.WALL_LINK_NUDGE]
    assert all(cb["prevent_initial_call"] and cb["no_output"] for cb in others)


@pytest.mark.parametrize(
    ("path", "lang"),
    [("/wall", "zh-CN"), ("/wall?lang=en", "en"), ("/tablet?lang=en&view=analysis", "en"),
     ("/console?village=XXK-01", "zh-CN")],
)  # fmt: skip
def test_each_page_states_its_language(client: TestClient, path: str, lang: str) -> None:
    page = client.get(path, follow_redirects=False)
    assert page.status_code == 200
    assert f'<html lang="{lang}">' in page.text


def test_scripts_and_styles_are_compressed_and_nothing_else(client: TestClient) -> None:
    index = client.get("/wall").text
    script = next(p for p in index.split('"') if p.startswith("/_dash-component-suites/"))
    answer = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in answer.headers["vary"]
    plain = client.get(script, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert answer.content == plain.content  # httpx undid the gzip: the same script
    again = client.get(script, headers={"Accept-Encoding": "gzip"})  # from the kept copy
    assert again.headers["content-length"] == answer.headers["content-length"]
    assert (
        client.get("/assets/tablet.css", headers={"Accept-Encoding": "gzip"}).headers.get(
            "content-encoding"
        )
        == "gzip"
    )
    # A page (and the API) goes as it is: no answer mixing secrets and chosen text is gzipped.
    assert (
        "content-encoding" not in client.get("/wall", headers={"Accept-Encoding": "gzip"}).headers
    )
