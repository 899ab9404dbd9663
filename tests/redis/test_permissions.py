"""Who may do what, through the whole web process with access control on: every route of
access/policy.py's table × every kind of caller, sessions and their CSRF token, the lockout's
429, and actions taken as the signed-in user whatever the body says."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import redis
import uvicorn
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from access.policy import ACTION_ROLES, OPEN, READERS, RULES, Rule, find, matrix_markdown
from access.roles import ROLES
from access.sessions import USER_SECONDS
from access.tokens import create_token, revoke_token
from access.users import LOCK_AFTER, add_user
from cases import store
from cases.engine import Engine
from core.event import Event
from core.keys import Keys
from core.settings import Settings
from dashboard import ids
from dashboard.api_doc import example_path
from dashboard.guard import PAGE_PATHS, SESSION_COOKIE
from ingest.feeds.open311 import ADAPTER as OPEN311
from ingest.sink import RedisSink
from tests.redis.test_actions import NOW, PARKING, SBSJ, wait_for
from tests.support.access import HANDLER_TEAM, LOCAL, bearer
from tests.support.clock import Clock
from tests.support.pipeline import push
from tests.support.urban import DEFAULT_POINT, offset, urban_record
from towncc.server import build

pytestmark = pytest.mark.redis
PASSWORD = "correct horse battery"  # noqa: S105  # a test account's
CALLERS = ("anonymous", *ROLES)  # ROLES ends with feed: a token of the urban feed
PARAMS = {"case_id": "urban:none", "command_id": "1-0", "feed": "urban", "code": "parking",
          "id": "none", "name": "wall.css", "village": "XXK-01", "incident_id": "none",
          "token": "none"}  # fmt: skip
DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


@pytest.fixture
def guarded(settings: Settings) -> Settings:
    return settings.model_copy(update={"access_control": True})


@pytest.fixture
def tokens(r: redis.Redis, keys: Keys) -> dict[str, str]:
    """A token per caller (anonymous: none)."""
    now = time.time()
    made = {role: create_token(r, keys, role=role, name=f"t-{role}", now=now,
                               team=HANDLER_TEAM if role == "handler" else None)
            for role in ROLES if role != "feed"}  # fmt: skip
    made["feed"] = create_token(r, keys, role="feed", name="t-urban", feed="urban", now=now)
    made["other-feed"] = create_token(r, keys, role="feed", name="t-cap", feed="cap", now=now)
    made["open311"] = create_token(r, keys, role="feed", name="t-311", feed="open311", now=now)
    made["sms"] = create_token(r, keys, role="feed", name="t-sms", feed="sms", now=now)
    return made


@pytest.fixture
def web(guarded: Settings) -> Iterator[TestClient]:
    with TestClient(build(guarded).server, base_url=LOCAL, raise_server_exceptions=False) as client:
        yield client


def concrete(rule: Rule) -> str:
    return re.sub(r"\{(\w+)(:path)?\}", lambda m: PARAMS[m.group(1)], rule.path)


def call(web: TestClient, rule: Rule, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = concrete(rule)
    if rule.method == "WS":
        try:
            with web.websocket_connect(f"ws://127.0.0.1{path}", headers=headers):
                return 101
        except WebSocketDisconnect as closed:  # the guard's refusals: 4401 and 4403
            return closed.code - 4000 if closed.code in (4401, 4403) else 101
    body: dict[str, Any] = {"json": {}} if rule.method == "POST" else {}
    if rule.path == "/_dash-update-component":
        body = {"json": admin_refresh()}  # a real callback's body: Dash answers it
    return web.request(
        rule.method, path, headers=headers, follow_redirects=False, **body
    ).status_code


@pytest.mark.parametrize("path", ["/_wall-rows?page=p", "/_dash-ws-callback"])
def test_a_socket_opened_by_a_page_of_another_origin_is_refused(
    web: TestClient, tokens: dict[str, str], path: str
) -> None:
    """A page of another site cannot read the push, whatever credentials its browser holds
    (a wall's cookie is SameSite=Strict as well)."""
    who = {"Authorization": f"Bearer {tokens['wall']}"}
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        web.websocket_connect(
            f"ws://127.0.0.1{path}", headers=who | {"Origin": "http://evil.example"}
        ) as socket,
    ):
        socket.receive_text()
    assert refused.value.code == 4403
    with web.websocket_connect(
        f"ws://127.0.0.1{path}", headers=who | {"Origin": "http://127.0.0.1"}
    ):
        pass  # its own origin: let in


def expected(rule: Rule, caller: str) -> str:
    if rule.open or caller in rule.roles:
        return "in"
    if caller == "anonymous":  # a person's browser goes to sign in; anything else is told
        return "303" if rule.method == "GET" and rule.path in PAGE_PATHS else "401"
    return "403"


def test_every_route_answers_every_caller_as_the_table_says(
    web: TestClient, tokens: dict[str, str]
) -> None:
    wrong: list[str] = []
    for rule in RULES:
        for caller in CALLERS:
            feed = "open311" if rule.path.startswith("/open311/") else "feed"
            feed = "sms" if rule.feed == "sms" else feed
            status = call(web, rule, tokens.get(feed if caller == "feed" else caller))
            want = expected(rule, caller)
            got = "in" if status not in (303, 401, 403) else str(status)
            if status >= 500:
                got = f"a {status}"  # let in, then failed: not what any row says
            if got != want:
                wrong.append(f"{rule.method} {rule.path} as {caller}: {status}, want {want}")
    assert not wrong, "\n".join(wrong)


def test_a_person_without_a_session_is_sent_to_sign_in_and_comes_back(
    web: TestClient, tokens: dict[str, str]
) -> None:
    wall = web.get("/wall", headers={"Authorization": f"Bearer {tokens['wall']}"})
    assert wall.status_code == 200 and "signin" not in wall.text  # not one of Dash's assets
    sent = web.get("/wall", params={"lang": "en"}, follow_redirects=False)
    signin = "/login?next=%2Fwall%3Flang%3Den&lang=en"  # in the page's language
    assert (sent.status_code, sent.headers["location"]) == (303, signin)
    assert '<html lang="en">' in web.get(signin).text
    page = web.get("/login", params={"next": "/wall"})
    assert page.status_code == 200 and '<html lang="zh-CN">' in page.text
    assert "action=" not in page.text and "/assets/signin/signin.js" in page.text
    english = web.get("/login", params={"lang": "en", "next": "/wall?lang=en"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert "?lang=zh&amp;next=%2Fwall%3Flang%3Den" in english.text  # the switch keeps it
    assert web.get("/assets/signin/signin.js").status_code == 200


def test_a_feed_token_is_only_its_own_feeds_and_an_unknown_route_is_closed(
    web: TestClient, tokens: dict[str, str]
) -> None:
    other = {"Authorization": f"Bearer {tokens['other-feed']}"}
    assert web.post("/api/ingest/urban", json={}, headers=other).status_code == 403
    assert web.get("/api/nothing-here").status_code == 404
    assert web.get("/api/cases", headers={"Authorization": "Bearer tcc_forged"}).status_code == 401
    wall = {"Authorization": f"Bearer {tokens['wall']}"}
    assert web.get("/_dash-layout", params={"page": "/admin"}, headers=wall).status_code == 403
    assert web.get("/_dash-layout", params={"page": "/wall"}, headers=wall).status_code == 200


def test_every_route_of_the_api_has_its_row(web: TestClient) -> None:
    paths = web.app.openapi()["paths"]  # type: ignore[attr-defined]
    missing = [f"{m.upper()} {p}" for p, ops in paths.items() for m in ops
               if find(m.upper(), example_path(p)) is None]  # fmt: skip
    assert not missing


def test_a_method_a_route_does_not_take_is_405_with_the_ones_it_does(web: TestClient) -> None:
    answer = web.request("TRACE", "/open311/v2/requests.json")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"
    # The most specific route decides: /api/cases/x/actions is the action route (POST only).
    answer = web.request("PUT", "/api/cases/urban:1/actions")
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert web.request("TRACE", "/api/nothing-here").status_code == 404


def test_the_permission_table_in_the_docs_is_the_one_in_the_code() -> None:
    assert matrix_markdown() in DOCS.read_text(encoding="utf-8")
    # The rows whose loosening would hurt most, restated on their own.
    assert row("GET", "/api/deadletters").roles == {"admin"}
    assert row("GET", "/admin").roles == {"admin"}
    assert row("POST", "/api/ingest/urban").roles == {"feed"}
    assert row("POST", "/api/cases/x/actions").roles == {"duty", "handler", "inspector", "leader"}
    assert row("POST", "/_dash-update-component").roles == READERS  # each page's callbacks ask
    assert not row("GET", "/api/cases").open and row("GET", "/healthz").open
    assert set(ACTION_ROLES) == {
        "register", "dispatch", "accept", "handle", "verify", "return", "extend", "park",
        "resume", "close", "cancel", "merge", "escalate"}  # fmt: skip
    assert all(OPEN not in roles for roles in ACTION_ROLES.values())


def row(method: str, path: str) -> Rule:
    found = find(method, path)
    assert found is not None
    return found[0]


def sign_in(web: TestClient, r: redis.Redis, keys: Keys, name: str, role: str, **kw: Any) -> str:
    add_user(
        r, keys, name, PASSWORD, role=role, display_name=f"{name} 显示名", now=time.time(), **kw
    )
    answer = web.post("/auth/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token: str = answer.json()["csrf_token"]
    return token


def test_a_session_write_needs_its_csrf_token_and_its_own_origin(
    web: TestClient, r: redis.Redis, keys: Keys
) -> None:
    csrf = sign_in(web, r, keys, "wang.fang", "duty")
    url, body = f"/api/cases/{PARKING}/actions", {"action": "cancel", "reason": "测试"}
    assert web.get("/api/counts").status_code == 200  # the cookie reads
    assert web.post(url, json=body).status_code == 403
    assert web.post(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    foreign = {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    assert web.post(url, json=body, headers=foreign).status_code == 403
    assert web.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 404  # no case
    assert web.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert web.get("/api/counts").status_code == 401


def test_ten_wrong_passwords_answer_429_until_the_lock_ends(
    web: TestClient, r: redis.Redis, keys: Keys
) -> None:
    add_user(r, keys, "li.ming", PASSWORD, role="leader", now=time.time())
    for _ in range(LOCK_AFTER - 1):
        wrong = web.post("/auth/login", json={"username": "li.ming", "password": "not it at all"})
        assert wrong.status_code == 401
    locked = web.post("/auth/login", json={"username": "li.ming", "password": "not it at all"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60
    right = web.post("/auth/login", json={"username": "li.ming", "password": PASSWORD})
    assert right.status_code == 429
    assert r.hget(keys.access("user", "li.ming"), "hash").startswith("$argon2id$")  # type: ignore[union-attr]


def test_a_callers_writes_and_an_addresss_sign_ins_are_rate_limited(
    guarded: Settings, tokens: dict[str, str], r: redis.Redis, keys: Keys
) -> None:
    rated = guarded.model_copy(update={"write_rate": "3/minute", "sign_in_rate": "4/minute"})
    with TestClient(build(rated).server, base_url=LOCAL) as web:
        duty, leader = bearer(tokens["duty"]), bearer(tokens["leader"])
        assert [web.post("/auth/logout", headers=duty).status_code for _ in range(3)] == [204] * 3
        over = web.post("/auth/logout", headers=duty)
        assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 60
        assert over.json()["reason_zh"] == "请求过于频繁，请稍后再试"
        assert web.post("/auth/logout", headers=leader).status_code == 204, "each caller's own"
        assert web.get("/api/counts", headers=duty).status_code == 200, "reads are not counted"
        # Sign-ins: per address, whatever the names (unknown names lock nothing, yet count).
        tries = [web.post("/auth/login", json={"username": f"nobody{n}", "password": "x" * 12})
                 for n in range(5)]  # fmt: skip
        assert [t.status_code for t in tries] == [401] * 4 + [429]
        assert int(tries[-1].headers["Retry-After"]) >= 1


def test_a_screen_opens_the_wall_once_with_its_token_and_keeps_a_read_only_cookie(
    web: TestClient, tokens: dict[str, str]
) -> None:
    opened = web.get(
        "/wall", params={"token": tokens["wall"], "lang": "en"}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"] == "/wall?lang=en"
    assert web.get("/api/cases").status_code == 200
    assert web.post(f"/api/cases/{PARKING}/actions", json={"action": "accept"}).status_code == 403
    web.cookies.clear()
    for role in ("feed", "leader", "admin"):  # no other token opens a screen from an address
        refused = web.get("/wall", params={"token": tokens[role]}, follow_redirects=False)
        assert refused.status_code == 401


@pytest.fixture
def clock() -> Clock:
    """The running engine's clock (tests/redis/conftest.py `running`), stopped at NOW."""
    return Clock(NOW)


def test_actions_are_taken_as_the_signed_in_user_and_the_handler_never_verifies(
    web: TestClient, r: redis.Redis, keys: Keys, running: Engine
) -> None:
    push(r, keys, [urban_record(1, sbsj=SBSJ)])
    wait_for(lambda: store.get_case(r, keys, PARKING), "the engine to create the case")
    url = f"/api/cases/{PARKING}/actions"

    def act(csrf: str, **body: Any) -> Any:
        return web.post(url, json={"actor": "镇长", **body}, headers={"X-CSRF-Token": csrf})

    other = sign_in(web, r, keys, "zhao.liu", "handler", team="enforce-west")
    assert act(other, action="accept").status_code == 403  # not the case's team
    handler = sign_in(web, r, keys, "zhang.san", "handler", team="enforce-central")
    assert act(handler, action="verify", passed=True).status_code == 403  # not an inspector
    assert act(handler, action="accept").status_code == 200
    assert act(handler, action="handle", feedback="已拖移").status_code == 200
    assert act(handler, action="verify", passed=True).status_code == 403  # still a handler
    # Made an inspector since (the role is read at sign-in), they still never verify this case.
    r.hset(keys.access("user", "zhang.san"), mapping={"role": "inspector", "team": ""})
    again = web.post("/auth/login", json={"username": "zhang.san", "password": PASSWORD})
    handled = store.get_case(r, keys, PARKING)
    refused = act(again.json()["csrf_token"], action="verify", passed=True)
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason_zh"] == "核查须由未签收、未处置本案件的督查员进行"
    assert store.get_case(r, keys, PARKING) == handled
    inspector = sign_in(web, r, keys, "sun.qi", "inspector")
    assert act(inspector, action="verify", passed=True).status_code == 200
    history = web.get(f"/api/cases/{PARKING}").json()["history"]
    assert [(h["type"], h["actor"]) for h in history[-3:]] == [
        ("accepted", "zhang.san"), ("handled", "zhang.san"), ("verified", "sun.qi")]  # fmt: skip
    assert all(h["actor"] != "镇长" for h in history)
    names = [h["actor_name"] for h in history if h["actor"] in ("zhang.san", "sun.qi")]
    assert names == ["zhang.san 显示名"] * 2 + ["sun.qi 显示名"]  # as they were when they acted


def test_a_handlers_token_acts_on_its_teams_cases_only(
    web: TestClient, r: redis.Redis, keys: Keys, tokens: dict[str, str], running: Engine
) -> None:
    push(r, keys, [urban_record(1, sbsj=SBSJ)])
    wait_for(lambda: store.get_case(r, keys, PARKING), "the engine to create the case")
    assert store.get_case(r, keys, PARKING)["department"] == HANDLER_TEAM
    west = create_token(r, keys, role="handler", name="t-west", team="enforce-west", now=0.0)
    url = f"/api/cases/{PARKING}/actions"
    refused = web.post(url, json={"action": "accept"}, headers=bearer(west))
    assert refused.status_code == 403, refused.text  # another team's case
    taken = web.post(url, json={"action": "accept"}, headers=bearer(tokens["handler"]))
    assert taken.status_code == 200, taken.text
    assert store.get_case(r, keys, PARKING)["stage"] == "accepted"


def test_no_spelling_of_the_admin_page_gives_a_screen_its_layout(
    web: TestClient, tokens: dict[str, str]
) -> None:
    wall, admin = bearer(tokens["wall"]), bearer(tokens["admin"])
    for page in ("/admin", "//x/admin", "/admin%23x", "+/admin", "/admin?lang=en", "/admin/"):
        got = web.get("/_dash-layout", params={"page": page}, headers=wall)
        assert got.status_code == 403 or ids.ADMIN_DEAD_GRID not in got.text, page
    shown = web.get("/_dash-layout", params={"page": "//x/admin"}, headers=admin)
    assert ids.ADMIN_DEAD_GRID in shown.text
    assert web.head("/admin", headers=wall).status_code in (403, 405)


def admin_refresh() -> dict[str, Any]:
    """The body Dash's renderer posts for the admin page's 5 s refresh."""
    outputs = [(ids.ADMIN_FEEDS_GRID, "rowData"), (ids.ADMIN_DEAD_GRID, "rowData"),
               (ids.ADMIN_COUNTS_GRID, "rowData"), (ids.ADMIN_HEADER_UPDATED, "children"),
               (ids.ADMIN_REFRESH_DIGEST, "data")]  # fmt: skip
    return {
        "output": "".join(f"..{i}.{p}." for i, p in outputs) + ".",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": ids.ADMIN_REFRESH_TICK, "property": "n_intervals", "value": 1}],
        "state": [{"id": ids.ADMIN_PAGE_CONFIG, "property": "data", "value": {"lang": "zh"}},
                  {"id": ids.ADMIN_REFRESH_DIGEST, "property": "data", "value": None}],
        "changedPropIds": [f"{ids.ADMIN_REFRESH_TICK}.n_intervals"],
    }  # fmt: skip


def test_the_admin_pages_callbacks_answer_its_roles_only(
    web: TestClient, tokens: dict[str, str]
) -> None:
    """Dash's callbacks share one route: the admin page's own callbacks ask who is calling."""
    body = admin_refresh()
    answered = web.post("/_dash-update-component", json=body, headers=bearer(tokens["admin"]))
    assert answered.status_code == 200 and ids.ADMIN_DEAD_GRID in answered.text
    for role in ("wall", "leader", "duty"):
        refused = web.post("/_dash-update-component", json=body, headers=bearer(tokens[role]))
        assert refused.status_code == 204, role  # nothing sent back
        assert ids.ADMIN_DEAD_GRID not in refused.text


def test_revoking_a_wall_token_ends_the_screens_it_opened(
    web: TestClient, r: redis.Redis, keys: Keys
) -> None:
    wall_token = create_token(r, keys, role="wall", name="hall", now=time.time())
    web.get("/wall", params={"token": wall_token}, follow_redirects=False)
    assert web.get("/api/counts").status_code == 200  # the screen's cookie
    revoke_token(r, keys, "hall")
    assert web.get("/api/counts").status_code == 401


def test_a_request_for_a_name_the_server_does_not_answer_to_is_400(
    web: TestClient, tokens: dict[str, str]
) -> None:
    """DNS rebinding: a page of another site resolving its own name to this server."""
    admin = bearer(tokens["admin"])
    for name in ("evil.example", "127.0.0.1.evil.example", "towncc.local"):
        assert web.get("/healthz", headers={"Host": name}).status_code == 400
        assert web.get("/api/cases", headers={"Host": name, **admin}).status_code == 400
    assert web.get("/healthz", headers={"Host": "127.0.0.1:8050"}).status_code == 200
    assert web.get("/healthz", headers={"Host": "localhost"}).status_code == 200


def report_311(r: redis.Redis, keys: Keys, **form: str) -> str:
    """A citizen's Open311 report through its adapter and the sink; its case id."""
    body = urlencode({"service_code": "006", "description": "路灯不亮", **form}).encode()
    [event] = list(OPEN311.parse(body, NOW))
    assert isinstance(event, Event), event
    RedisSink(keys, 1_000_000).write(r, [event])
    return f"open311:{event.source_id}"


def test_a_reporters_contact_is_whole_for_duty_and_admin_and_masked_for_the_rest(
    web: TestClient, r: redis.Redis, keys: Keys, tokens: dict[str, str], running: Engine
) -> None:
    lon, lat = DEFAULT_POINT
    first = report_311(r, keys, long=f"{lon}", lat=f"{lat}", first_name="三", last_name="张",
                       phone="13812342222", email="zhang.san@example.cn")  # fmt: skip
    wait_for(lambda: store.get_case(r, keys, first), "the engine to create the case")
    east, north = offset(lon, lat, 15.0, 0.0)
    second = report_311(r, keys, long=f"{east}", lat=f"{north}", description="路灯一直不亮",
                        phone="13900001111")  # fmt: skip
    wait_for(lambda: store.get_case(r, keys, second), "the engine to take the second report")
    assert store.get_case(r, keys, second)["parent"] == first  # merged: its reporter counts

    def reporters(role: str) -> list[dict[str, str]]:
        answer = web.get(f"/api/cases/{first}", headers=bearer(tokens[role]))
        assert answer.status_code == 200, answer.text
        found: list[dict[str, str]] = answer.json()["reporters"]
        return [{k: v for k, v in c.items() if k not in ("case_id", "feed")} for c in found]

    whole = [{"name": "张三", "phone": "13812342222", "email": "zhang.san@example.cn"},
             {"phone": "13900001111"}]  # fmt: skip
    masked = [{"name": "张*", "phone": "138****2222", "email": "z********@example.cn"},
              {"phone": "139****1111"}]  # fmt: skip
    for role in ("duty", "admin"):
        assert reporters(role) == whole, role
    for role in ("leader", "handler", "inspector", "wall"):
        assert reporters(role) == masked, role
    listed = web.get("/api/cases?status=all", headers=bearer(tokens["duty"])).text
    assert "1381234" not in listed and "138****" not in listed  # only the one case's page


def test_a_wall_token_in_the_address_never_reaches_the_access_log(
    guarded: Settings, tokens: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A screen opens /wall?token=…; uvicorn started by hand logs every request line."""
    app = build(guarded).server
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="info", access_log=True, loop="asyncio", http="h11")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    access = logging.getLogger("uvicorn.access")  # its records do not reach the root logger
    access.addHandler(caplog.handler)
    thread.start()
    try:
        wait_for(lambda: server.started, "the server to start")
        port = sock.getsockname()[1]
        opened = httpx.get(f"http://127.0.0.1:{port}/wall?token={tokens['wall']}&lang=en")
        assert opened.status_code == 303  # to /wall?lang=en, with the screen's cookie
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        access.removeHandler(caplog.handler)
    assert not thread.is_alive()
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/wall?token=[redacted]&lang=en" in line for line in lines), lines
    assert all(tokens["wall"] not in line for line in lines)


def test_a_session_ends_when_its_time_is_up_and_its_cookie_is_secure_when_set(
    guarded: Settings, r: redis.Redis, keys: Keys
) -> None:
    for secure in (False, True):
        settings = guarded.model_copy(update={"secure_cookies": secure})
        base = LOCAL.replace("http://", "https://") if secure else LOCAL  # behind TLS
        with TestClient(build(settings).server, base_url=base) as client:
            name = f"duty{int(secure)}"
            add_user(r, keys, name, PASSWORD, role="duty", display_name=name, now=time.time())
            answer = client.post("/auth/login", json={"username": name, "password": PASSWORD})
            header = answer.headers["set-cookie"]
            assert ("; Secure" in header) is secure
            assert f"Max-Age={USER_SECONDS}" in header
            assert client.get("/api/counts").status_code == 200
            [key] = list(r.scan_iter(match=keys.access("session", "*")))
            assert 0 < r.ttl(key) <= USER_SECONDS  # Redis ends it after a shift
            r.pexpire(key, 1)  # the shift is over
            wait_for(lambda k=key: not r.exists(k), "the session to expire")
            assert client.cookies.get(SESSION_COOKIE)  # the browser still sends its cookie
            assert client.get("/api/counts").status_code == 401


def test_an_open311_client_may_send_its_key_as_the_forms_api_key(
    web: TestClient, tokens: dict[str, str], r: redis.Redis, keys: Keys
) -> None:
    """GeoReport v2's way: ``api_key`` among the form's arguments, no header."""
    form = {"service_code": "006", "lat": "31.7823", "long": "120.3911",
            "description": "路灯不亮", "phone": "13812342222"}  # fmt: skip
    url = "/open311/v2/requests.json"

    def post(**extra: str) -> Any:
        body = urlencode({**form, **extra})
        return web.post(
            url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )

    taken = post(api_key=tokens["open311"])
    assert taken.status_code == 201, taken.text
    assert taken.json()[0]["service_request_id"].startswith("006-")
    assert post().status_code == 401  # no key
    assert post(api_key="tcc_forged").status_code == 401
    assert post(api_key=tokens["feed"]).status_code == 403  # the urban feed's: not Open311's
    assert post(api_key=tokens["leader"]).status_code == 403
    big = post(api_key=tokens["open311"], description="长" * 2_000_000)  # over max_body_bytes
    assert big.status_code == 401  # its key is not read: a body that large is not taken
    [(_, event)] = r.xrange(keys.events)
    assert tokens["open311"] not in event["e"]  # the key is not kept with the record
