"""Redis away → 503 with ``Retry-After`` from every route, decided in one place.

Routes read and write Redis freely. When it does not answer, the client raises
``ConnectionError`` or ``TimeoutError`` (the same classes for the sync and the asyncio
client); when it is full (``maxmemory`` with a no-eviction policy) a write raises
``OutOfMemoryError``. Each becomes a 503 here, with a message that names no host or port
(redis' own message names both), in the Open311 error format under /open311/v2. A 503 that a
route answers by itself (`/healthz`, an action that could not be queued) gets the same
``Retry-After``.
"""

from __future__ import annotations

from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard.open311_api import PREFIX as OPEN311
from dashboard.open311_api import error as open311_error
from ingest.http import RETRY_AFTER_DOC, RETRY_AFTER_S, RETRY_LATER

UNREACHABLE = "Redis did not answer: nothing was read or stored; try again shortly"
FULL = "Redis is out of memory: nothing was stored; try again later"
# Declared on every route of the OpenAPI document (a route may say more of its own 503).
RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {
        "description": "Redis did not answer (or is full): try again after `Retry-After`",
        "headers": RETRY_AFTER_DOC,
    }
}


async def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The 503 for a Redis error: why, in words that name no host."""
    detail = FULL if isinstance(exc, redis.exceptions.OutOfMemoryError) else UNREACHABLE
    if request.url.path.startswith(OPEN311):
        answer: JSONResponse = open311_error(503, detail)
        answer.headers.update(RETRY_LATER)
        return answer
    return JSONResponse({"detail": detail}, status_code=503, headers=RETRY_LATER)


class RetryAfter:
    """ASGI middleware: every 503 says when to come back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_retry(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                headers = MutableHeaders(scope=message)
                headers.setdefault("retry-after", str(RETRY_AFTER_S))
            await send(message)

        await self.app(scope, receive, send_with_retry)


def install(server: FastAPI) -> None:
    """Answer Redis outages with 503 + Retry-After on every route of ``server``."""
    for kind in (redis.ConnectionError, redis.TimeoutError, redis.exceptions.OutOfMemoryError):
        server.add_exception_handler(kind, unavailable)
    server.add_middleware(RetryAfter)
