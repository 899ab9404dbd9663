"""Who is calling, and may they: the web process's doorman (access/policy.py's table).

An ASGI middleware in front of every route, the WebSocket included. A request is someone by
`Authorization: Bearer <token>` (a machine's token) or by the session cookie a sign-in or a
screen's wall token set; its route's row in the table says whether that role may. A
cookie-authenticated write carries the session's CSRF token in `X-CSRF-Token`. The principal
goes on to the route in `request.state.principal`.

The sign-in routes (`POST /auth/login`, `POST /auth/logout`) are `auth_router`'s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import redis
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from access.policy import PAGES, find, methods_at, page_of
from access.rates import Rates
from access.roles import Principal
from access.sessions import (
    SCREEN_SECONDS,
    USER_SECONDS,
    Session,
    csrf_matches,
    end_session,
    find_session,
    open_session,
)
from access.tokens import digest_of, token_principal
from access.users import authenticate
from core.keys import Keys
from dashboard.framework import PAGE_PARAM, request_state
from dashboard.routing import page_path
from dashboard.unavailable import UNREACHABLE
from ingest.feeds.open311 import FEED as OPEN311
from ingest.http import RETRY_AFTER_S, foreign_origin

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "towncc_session"
CSRF_HEADER = "x-csrf-token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS", "WS"})
# Dash's own callback POSTs cannot carry a header of ours; a SameSite=Strict cookie and the
# same-origin check below keep other sites' pages from making them.
CALLBACK_PATH = "/_dash-update-component"
LAYOUT_PATH = "/_dash-layout"
SIGNIN_PATH = "/login"  # dashboard/signin.py
LOGIN_PATH = "/auth/login"
KNOWN_MAX = 10_000  # tokens remembered for an outage (the least recently seen go first)
KNOWN_SECONDS = 15 * 60  # and for how long since last confirmed: a revoked one stops by then
PAGE_PATHS = frozenset(
    {"/", "/wall", "/admin", "/console", "/tablet", "/incidents/{incident_id}/report"}
)  # a browser: to the sign-in page
SMALL_BODY = 16 * 1024  # a sign-in's or an action's body: more is not one (413)


FORM = "application/x-www-form-urlencoded"


async def with_form_key(scope: Scope, receive: Receive, limit: int) -> tuple[Scope, Receive]:
    """A GeoReport v2 client sends its key as the form's ``api_key`` (the spec's way): read
    as the request's ``Authorization: Bearer``, unless it has a header of its own. The body is
    read up to ``limit`` bytes and given to the route as it came; a larger one is left to the
    route (its 413), its key unread."""
    conn = HTTPConnection(scope)
    if conn.headers.get("authorization") or not conn.headers.get("content-type", "").startswith(
        FORM
    ):
        return scope, receive
    messages: list[Message] = []
    size, more = 0, True
    while more and size <= limit:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        more = bool(message.get("more_body", False))
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replayed() -> Message:
        return messages.pop(0) if messages else await receive()

    if more or size > limit:
        return scope, replayed
    form = await run_in_threadpool(parse_qs, body.decode("utf-8", errors="replace"))
    key = form.get("api_key", [""])[-1].strip()
    if not key:
        return scope, replayed
    headers = [*scope["headers"], (b"authorization", f"Bearer {key}".encode("latin-1", "replace"))]
    return {**scope, "headers": headers}, replayed


def session_cookie(value: str, *, max_age: int, secure: bool) -> str:
    attrs = f"{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    return attrs + ("; Secure" if secure else "")


class Guard:
    """The middleware: refuses what the table does not allow, before any route runs."""

    def __init__(
        self,
        app: ASGIApp,
        r: redis.Redis,
        keys: Keys,
        *,
        secure: bool,
        rates: Rates,
        form_limit: int,
    ) -> None:
        self.app, self.r, self.keys, self.secure, self.rates = app, r, keys, secure, rates
        self.form_limit = form_limit  # the largest Open311 form read for its api_key
        # Machines' tokens seen working, for Redis's absences (by digest: no secret kept
        # here), with when they last were: the intake keeps spooling while Redis is away.
        self.known: dict[str, tuple[Principal, float]] = {}
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = "WS" if scope["type"] == "websocket" else scope["method"]
        path = scope["path"]
        found = find(method, path)
        if found is None:
            if allowed := methods_at(path):  # the route is there, under other methods
                why = f"{path} takes {', '.join(allowed)}, not {method}"
                extra = {"Allow": ", ".join(allowed)}
                await self._refuse(scope, receive, send, 405, why, "不支持此方法", extra)
                return
            await self._refuse(scope, receive, send, 404, f"no route {method} {path}", "无此接口")
            return
        rule, params = found
        if rule.open:
            if method == "POST" and path == LOGIN_PATH:  # tries per address, whatever the name
                client = scope.get("client")
                if not await self._within(scope, receive, send, self.rates.sign_in,
                                          client[0] if client else "unknown"):  # fmt: skip
                    return
            await self.app(scope, receive, send)
            return
        if rule.feed == OPEN311 and method == "POST":  # the spec's api_key, in the form
            scope, receive = await with_form_key(scope, receive, self.form_limit)
        conn = HTTPConnection(scope)  # the request's headers, cookies and query, read once
        if method == "WS" and foreign_origin(conn):  # a page of another site's socket
            why = "a socket from another origin"
            await self._refuse(scope, receive, send, 403, why, "无此权限")
            return
        try:
            who, session = await run_in_threadpool(self._identify, conn)
        except redis.RedisError:
            await self._refuse(scope, receive, send, 503, UNREACHABLE, "服务暂不可用")
            return
        if who is None and method == "GET" and rule.path in ("/", "/wall"):
            screen = conn.query_params.get("token")
            if screen:
                await self._open_screen(scope, receive, send, screen)
                return
        if who is None and method == "GET" and rule.path in PAGE_PATHS:
            query = scope.get("query_string", b"").decode()
            after = scope["path"] + (f"?{query}" if query else "")
            lang = conn.query_params.get("lang")  # the sign-in page in the page's language
            asked = {"next": after, **({"lang": lang} if lang else {})}
            location = f"{SIGNIN_PATH}?{urlencode(asked)}"
            await Response(status_code=303, headers={"Location": location})(scope, receive, send)
            return
        if who is None:
            await self._refuse(scope, receive, send, 401, "sign in, or send a token", "请先登录")
            return
        role_ok = who.role in rule.roles and (
            who.role != "feed" or who.feed == rule.feed_of(params)
        )
        if role_ok and rule.method == "GET" and (rule.path in PAGE_PATHS or path == LAYOUT_PATH):
            role_ok = who.role in PAGES[self._page(conn)]
        if not role_ok:
            why = f"the role {who.role} may not {method} {path}"
            await self._refuse(scope, receive, send, 403, why, "无此权限")
            return
        if session is not None and method not in SAFE:
            checked = path == CALLBACK_PATH or csrf_matches(session, conn.headers.get(CSRF_HEADER))
            if not checked or foreign_origin(conn):
                why = "a write from a session needs its X-CSRF-Token"
                await self._refuse(scope, receive, send, 403, why, "缺少 CSRF 令牌")
                return
        ordered = method not in SAFE and path != CALLBACK_PATH and not rule.feed  # not the intake
        if ordered and not await self._within(scope, receive, send, self.rates.write, who):
            return
        scope.setdefault("state", {}).update(principal=who, guarded=True)
        await self.app(scope, receive, send)

    async def _within(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        spend: Callable[[Any], float | None],
        who: Any,
    ) -> bool:
        """Whether ``who`` may go on under the rate ``spend`` counts (access/rates.py); if not,
        the 429 (or the 503 when Redis cannot count) is sent."""
        try:
            wait = await run_in_threadpool(spend, who)
        except redis.RedisError:
            await self._refuse(scope, receive, send, 503, UNREACHABLE, "服务暂不可用")
            return False
        if wait is not None:
            retry = {"Retry-After": str(int(wait + 0.999))}
            why = "too many requests: try again after Retry-After seconds"
            await self._refuse(scope, receive, send, 429, why, "请求过于频繁，请稍后再试", retry)
            return False
        return True

    def _identify(self, conn: HTTPConnection) -> tuple[Principal | None, Session | None]:
        """Who the request's token or session cookie is. While Redis is away, a machine's token
        this process saw working in the last KNOWN_SECONDS answers as it did then (so the
        intake keeps spooling and /metrics keeps answering); a session, or a token not seen
        lately, raises the Redis error (503)."""
        auth = conn.headers.get("authorization", "")
        bearer = auth.lower().startswith("bearer ")
        credential = auth[7:].strip() if bearer else conn.cookies.get(SESSION_COOKIE, "")
        if not credential:
            return None, None
        seen = ("token:" if bearer else "session:") + digest_of(credential)
        try:
            answer = self._look_up(credential, bearer)
        except redis.RedisError:
            with self.lock:
                kept = self.known.get(seen)
            if kept is not None and time.monotonic() - kept[1] < KNOWN_SECONDS:
                return kept[0], None
            raise
        with self.lock:
            self.known.pop(seen, None)  # re-inserted last: the oldest are forgotten first
            if answer[0] is not None and bearer:
                self.known[seen] = (answer[0], time.monotonic())
                while len(self.known) > KNOWN_MAX:
                    self.known.pop(next(iter(self.known)))
        return answer

    def _look_up(self, credential: str, bearer: bool) -> tuple[Principal | None, Session | None]:
        if bearer:
            return token_principal(self.r, self.keys, credential), None
        session = find_session(self.r, self.keys, credential)
        return (session.principal, session) if session else (None, None)

    @staticmethod
    def _page(conn: HTTPConnection) -> str:
        """The page a request shows, read as the layout function reads it (dashboard/app.py
        page_layout: `page_path` of the address), so that no spelling of an address is one
        page here and another there."""
        layout = conn.url.path == LAYOUT_PATH
        address = conn.query_params.get(PAGE_PARAM, "") if layout else conn.url.path
        return page_of(page_path(urlsplit(address)))

    async def _open_screen(self, scope: Scope, receive: Receive, send: Send, token: str) -> None:
        """A screen opens `/wall?token=<wall token>` once: a long-lived read-only cookie, and
        the same address without the token (so it stays out of the history and the Referer)."""
        who = await run_in_threadpool(token_principal, self.r, self.keys, token)
        if who is None or who.role != "wall":  # no other token belongs in an address
            await self._refuse(scope, receive, send, 401, "unknown or revoked token", "令牌无效")
            return
        session_id, _ = await run_in_threadpool(
            partial(open_session, self.r, self.keys, who, screen=True, token=token)
        )
        query = [
            (k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"
        ]
        location = scope["path"] + (f"?{urlencode(query)}" if query else "")
        response = Response(
            status_code=303, headers={"Location": location, "Cache-Control": "no-store"}
        )
        response.headers["Set-Cookie"] = session_cookie(
            session_id, max_age=SCREEN_SECONDS, secure=self.secure
        )
        await response(scope, receive, send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        why: str,
        why_zh: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4000 + status, "reason": why[:120]})
            return
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        headers.update(extra or {})
        if status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_S)
        body = {"detail": why, "reason_zh": why_zh}
        await JSONResponse(body, status_code=status, headers=headers)(scope, receive, send)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def auth_router(r: redis.Redis, keys: Keys, *, secure: bool) -> APIRouter:
    router = APIRouter(tags=["auth"])

    @router.post(
        LOGIN_PATH,
        max_body_size=SMALL_BODY,
        responses={401: {"description": "wrong name or password"},
                   429: {"description": "locked after too many wrong passwords, or too many "
                         "tries from this address: `Retry-After`"}},
    )  # fmt: skip
    def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
        """Sign in: an HttpOnly session cookie, and the CSRF token every write must carry."""
        now = time.time()
        outcome = authenticate(r, keys, body.username, body.password, now)
        if outcome.locked_until is not None:
            wait = max(1, int(outcome.locked_until - now))
            raise HTTPException(429, detail="too many wrong passwords: try again later",
                                headers={"Retry-After": str(wait)})  # fmt: skip
        if outcome.user is None:
            raise HTTPException(401, detail="wrong name or password")
        end_session(r, keys, request.cookies.get(SESSION_COOKIE, ""))  # never two for a browser
        session_id, session = open_session(r, keys, outcome.user.principal())
        response.headers["Set-Cookie"] = session_cookie(
            session_id, max_age=USER_SECONDS, secure=secure
        )
        user = outcome.user
        shown = {"username": user.username, "display_name": user.display_name, "role": user.role}
        return {"csrf_token": session.csrf, "user": shown}

    @router.post("/auth/logout", status_code=204)
    def logout(request: Request, response: Response) -> None:
        """End this session (its cookie stops working at once)."""
        end_session(r, keys, request.cookies.get(SESSION_COOKIE, ""))
        response.headers["Set-Cookie"] = session_cookie("", max_age=0, secure=secure)

    return router


def callers_role_may_see(page: str) -> bool:
    """Inside a page's Dash callback: whether the caller may see ``page``. Dash's callbacks
    share one route, so the guard cannot tell one page's from another's; each page's own
    callbacks ask. True when no one was identified because the guard is off."""
    state = request_state()
    who = getattr(state, "principal", None)
    if not isinstance(who, Principal):
        return not getattr(state, "guarded", False)
    return who.role in PAGES[page]


def principal_of(request: Request) -> Principal | None:
    """Who the guard let through (None: the guard is not on)."""
    who = getattr(request.state, "principal", None)
    return who if isinstance(who, Principal) else None
