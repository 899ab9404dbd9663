"""The JSON API of the running server, on the private Redis (no browser needed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import redis

from core.keys import Keys
from tests.browser.seed import make_case, write_case
from tests.support.access import bearer
from tests.support.webserver import WallServer

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def api(
    wall_server: WallServer, wall_redis: redis.Redis, wall_keys: Keys
) -> Iterator[httpx.Client]:
    now = datetime.now(UTC)
    for n, status in enumerate(["open", "closed", "open"]):
        case = make_case(f"urban:API-{n}", reported_at=(now + timedelta(minutes=n)).isoformat())
        write_case(wall_redis, wall_keys, case)
        if status == "closed":
            write_case(wall_redis, wall_keys, {**case, "status": "closed"}, "closed")
    reader = bearer(wall_server.admin_token)
    with httpx.Client(base_url=wall_server.url, timeout=10, headers=reader) as client:
        yield client


def ids_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [case["id"] for case in response.json()]


def test_cases_are_listed_newest_first_by_status(api: httpx.Client) -> None:
    assert ids_of(api.get("/api/cases")) == ["urban:API-2", "urban:API-0"]
    assert ids_of(api.get("/api/cases", params={"status": "closed"})) == ["urban:API-1"]
    everything = ids_of(api.get("/api/cases", params={"status": "all"}))
    assert everything == ["urban:API-2", "urban:API-1", "urban:API-0"]
    assert ids_of(api.get("/api/cases", params={"status": "all", "limit": 1})) == ["urban:API-2"]


def test_bad_parameters_are_refused(api: httpx.Client) -> None:
    assert api.get("/api/cases", params={"status": "pending"}).status_code == 422
    assert api.get("/api/cases", params={"limit": 0}).status_code == 422


def test_one_case_comes_with_its_history_and_an_unknown_one_is_a_clear_404(
    api: httpx.Client,
) -> None:
    case = api.get("/api/cases/urban:API-1").json()
    assert (case["id"], case["status"], case["overdue"]) == ("urban:API-1", "closed", False)
    assert [h["type"] for h in case["history"]] == ["created", "closed"]
    missing = api.get("/api/cases/urban:NOPE")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no case with id 'urban:NOPE'"}


def test_health_is_200_while_redis_answers(api: httpx.Client) -> None:
    response = api.get("/healthz")
    body = response.json()
    assert (response.status_code, body["redis"]) == (200, "ok")
    # No engine runs beside this server: it says so, and is still 200 (degraded, not down).
    assert body["status"] == "degraded"
    # (the calendar's end may be noticed too, depending on today's date: not tested here)
    codes = [n["code"] for n in body["notices"]]
    assert [c for c in codes if c != "calendar-ends"] == ["engine-stopped"]
