"""The app's routes, with no Redis at all: ours are not shadowed by Dash's catch-all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dash import Dash
from fastapi import APIRouter
from fastapi.testclient import TestClient

from core.settings import Settings
from dashboard import ids
from dashboard.app import create_app
from towncc.embedded import free_port


@pytest.fixture(scope="module")
def app() -> Dash:
    extra = APIRouter()

    @extra.get("/custom/ping")
    def ping() -> dict[str, bool]:
        return {"pong": True}

    settings = Settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    return create_app(settings, routers=[extra])


@pytest.fixture(scope="module")
def client(app: Dash) -> Iterator[TestClient]:
    with TestClient(app.server) as client:  # runs the lifespan: Dash adds its catch-all
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


def test_the_wall_page_links_its_assets_before_any_other_request(app: Dash) -> None:
    with TestClient(app.server) as fresh:
        html = fresh.get("/wall").text
    assert "/assets/wall.css" in html and "/assets/wall.js" in html


def test_the_layout_follows_the_pages_language_and_survives_a_dead_redis(
    client: TestClient,
) -> None:
    english = client.get("/_dash-layout", headers={"referer": "http://testserver/wall?lang=en"})
    chinese = client.get("/_dash-layout", headers={"referer": "http://testserver/wall"})
    assert english.status_code == chinese.status_code == 200
    assert "Live case queue" in english.text and "实时事件队列" in chinese.text


def test_one_input_less_persistent_websocket_callback_is_registered_at_creation(app: Dash) -> None:
    pushes = [cb for cb in app._callback_list if cb["websocket"] and cb["persistent"]]
    assert len(pushes) == 1
    assert pushes[0]["no_output"] and not pushes[0]["inputs"]
    # The only other socket callback: the browser's nudge, never at load, never re-run alone.
    [nudge] = [cb for cb in app._callback_list if cb["websocket"] and not cb["persistent"]]
    assert nudge["inputs"] == [{"id": ids.WALL_LINK_NUDGE, "property": "data"}]
    assert nudge["prevent_initial_call"] and nudge["no_output"]
    # Registered before any HTTP request: a socket reconnecting to a restarted server finds it.
    assert app.callback_map[pushes[0]["output"]]["websocket"]
    assert app._got_first_request["setup_server"]
