"""Incidents through the API: a leader declares one at a point, every reader sees it with what
it touches and the open cases inside it, a leader ends it once, and every step is in the
incidents' audit log."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from cases.engine import Engine
from core.keys import Keys
from core.settings import Settings
from layers.town import default_town
from tests.support.access import LOCAL, bearer, token
from tests.support.pipeline import drain, push
from tests.support.urban import offset, reported_now, urban_record
from towncc.server import build

pytestmark = pytest.mark.redis


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    guarded = settings.model_copy(update={"access_control": True})
    with TestClient(build(guarded).server, base_url=LOCAL) as client:
        yield client


def as_role(settings: Settings, keys: Keys, role: str) -> dict[str, str]:
    return bearer(token(settings.redis_url or "", keys, role))


def point_body(**extra: object) -> dict[str, object]:
    lon, lat = default_town().centre
    return {"title": "璜塘河漫堤", "shape": "point", "point": [lon, lat], "radius_m": 1000, **extra}


def test_a_leader_declares_reads_and_ends_an_incident(
    web: TestClient, settings: Settings, keys: Keys, r: redis.Redis, engine: Engine
) -> None:
    lon, lat = default_town().centre
    at = reported_now()
    push(r, keys, [urban_record(1, *offset(lon, lat, 200, 0), sbsj=at),
                   urban_record(2, *offset(lon, lat, 0, 2500), sbsj=at)])  # fmt: skip
    drain(engine)
    leader = as_role(settings, keys, "leader")
    answer = web.post("/api/incidents", json=point_body(), headers=leader)
    assert answer.status_code == 201, answer.text
    incident = answer.json()
    assert incident["status"] == "active" and incident["declared_by"].startswith("test-leader")
    assert [ring["radius_m"] for ring in incident["rings"]] == [500, 1000, 3000]
    assert incident["footprint"]["population"]["resident"] > 0
    wall = as_role(settings, keys, "wall")
    listed = web.get("/api/incidents", params={"status": "active"}, headers=wall).json()
    assert [i["id"] for i in listed["incidents"]] == [incident["id"]] and listed["active"] == 1
    one = web.get(f"/api/incidents/{incident['id']}", headers=wall).json()
    assert [c["id"] for c in one["cases"]] == ["urban:T-000001"], "inside 1 km, not 2.5 km away"
    assert [e["kind"] for e in one["timeline"]] == ["declared", "notices_sent"]

    ended = web.post(f"/api/incidents/{incident['id']}/end", json={"note": "退水"}, headers=leader)
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    again = web.post(f"/api/incidents/{incident['id']}/end", json={}, headers=leader)
    assert again.status_code == 409
    assert (
        web.get("/api/incidents", params={"status": "active"}, headers=wall).json()["incidents"]
        == []
    )
    audit = [orjson.loads(f["e"]) for _, f in r.xrange(keys.incident_events)]
    assert [(e["kind"], e.get("note")) for e in audit] == [
        ("declared", None), ("notices_sent", None), ("ended", "退水")
    ]  # fmt: skip
    assert {f["incident"] for _, f in r.xrange(keys.incident_events)} == {incident["id"]}


def test_only_a_leader_declares_or_ends(web: TestClient, settings: Settings, keys: Keys) -> None:
    for role in ("duty", "handler", "wall", "admin"):
        refused = web.post(
            "/api/incidents", json=point_body(), headers=as_role(settings, keys, role)
        )
        assert refused.status_code == 403, role
    assert web.post("/api/incidents", json=point_body()).status_code == 401


@pytest.mark.parametrize(
    ("change", "status", "why"),
    [
        ({"point": [125.5, 31.78]}, 422, "does not touch the town"),
        ({"radius_m": 10}, 422, "greater than or equal to 50"),
        ({"shape": "polygon"}, 422, "not a GeoJSON geometry"),
        ({"shape": "polygon", "polygon": {"type": "Polygon", "coordinates": [[[120.4, 31.78],
          [120.41, 31.79], [120.41, 31.78], [120.4, 31.79], [120.4, 31.78]]]}}, 422, "not valid"),
        ({"shape": "alert", "alert": "cap:none"}, 422, "no such alert"),
        ({"title": ""}, 422, "at least 1 character"),
    ],
)  # fmt: skip
def test_a_declaration_that_is_not_an_area_of_the_town_is_refused_with_why(
    web: TestClient,
    settings: Settings,
    keys: Keys,
    change: dict[str, object],
    status: int,
    why: str,
) -> None:
    answer = web.post(
        "/api/incidents", json=point_body(**change), headers=as_role(settings, keys, "leader")
    )
    assert answer.status_code == status and why in answer.text, answer.text


def test_an_unknown_incident_is_404(web: TestClient, settings: Settings, keys: Keys) -> None:
    wall = as_role(settings, keys, "wall")
    assert web.get("/api/incidents/INC-20260101-9999", headers=wall).status_code == 404
    leader = as_role(settings, keys, "leader")
    assert web.post("/api/incidents/INC-1/end", json={}, headers=leader).status_code == 404


def test_the_report_page_has_the_whole_timeline_and_escapes_every_text(
    web: TestClient, settings: Settings, keys: Keys
) -> None:
    leader = as_role(settings, keys, "leader")
    body = point_body(title="<script>alert(1)</script>河堤")
    incident = web.post("/api/incidents", json=body, headers=leader).json()
    web.post(f"/api/incidents/{incident['id']}/end", json={"note": "退水"}, headers=leader)
    page = web.get(f"/incidents/{incident['id']}/report", headers=leader)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="zh-CN">' in html and "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;河堤" in html
    for grid in incident["footprint"]["grids"]:
        assert grid["name"] in html
    assert "宣布应急" in html and "结束应急" in html and "data:image/svg+xml;base64," in html
    english = web.get(f"/incidents/{incident['id']}/report?lang=en", headers=leader).text
    assert '<html lang="en">' in english and "Incident ended" in english
    wall = as_role(settings, keys, "wall")
    assert web.get(f"/incidents/{incident['id']}/report", headers=wall).status_code == 403
    anonymous = web.get(f"/incidents/{incident['id']}/report", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    assert web.get("/incidents/INC-1/report", headers=leader).status_code == 404
