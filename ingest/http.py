"""The HTTP receiver: POST /api/ingest/<feed>, one record or many, answered with what was kept."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aredis
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

from core.keys import Keys
from core.settings import Settings
from ingest import freshness
from ingest.adapter import media_types
from ingest.feeds import FEEDS
from ingest.guard import Guard
from ingest.offload import Offload, Target, parse_and_plan, parse_and_store
from ingest.sink import REDIS_DOWN, Outcome, RedisSink
from ingest.spool import Spool, SpoolBusyError

log = logging.getLogger(__name__)
DRAIN_EVERY_S = 1.0
# Seconds a client is told to wait when Redis is away (long enough for a restart to finish).
RETRY_AFTER_S = 5
RETRY_LATER = {"Retry-After": str(RETRY_AFTER_S)}
RETRY_AFTER_DOC = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}


class BodyRefusedError(ValueError):
    """A body refused before it is read whole: ``status`` is 413 (too large) or 400."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


async def read_body(request: Request, limit: int) -> bytes:
    """The body, never holding more than ``limit`` bytes of it.

    A declared Content-Length over the limit is refused before a byte is read; a chunked (or
    lying) body is counted as it arrives and refused at the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BodyRefusedError(400, f"Content-Length {declared[:40]!r} is not a number")
        if int(declared) > limit:
            raise BodyRefusedError(413, f"body of {int(declared)} bytes over {limit}")
    body = bytearray()
    async for chunk in request.stream():
        if len(body) + len(chunk) > limit:
            raise BodyRefusedError(413, f"body over {limit} bytes")
        body += chunk
    return bytes(body)


@dataclass(frozen=True, slots=True)
class Intake:
    """What every intake endpoint of one process shares: one sink (so one spool, drained in
    order) and one place to parse bodies off the event loop."""

    sink: RedisSink
    offload: Offload

    def close(self) -> None:
        self.offload.close()
        if self.sink.spool is not None:
            self.sink.spool.close()


def new_intake(settings: Settings) -> Intake:
    """The intake of this process: its spool (if it can own the folder) and its workers."""
    guard = Guard.of(settings)
    sink = RedisSink(Keys(settings.key_prefix), settings.stream_maxlen, _spool(settings), guard)
    return Intake(sink, Offload(settings.parse_processes, settings.parse_inline_bytes))


def _spool(settings: Settings) -> Spool | None:
    try:
        return Spool(settings.data_dir / "spool")
    except SpoolBusyError as exc:
        log.warning("%s: this process answers 503 while Redis is away", exc)
        return None


async def _drain_forever(sink: RedisSink, client: aredis.Redis) -> None:
    while True:
        with contextlib.suppress(*REDIS_DOWN):
            if moved := await sink.drain(client):
                log.info("drained %d spooled entries into Redis", moved)
        await asyncio.sleep(DRAIN_EVERY_S)


def _authorise(settings: Settings, feed: str, header: str | None) -> None:
    """A feed with a configured token accepts only requests that carry it. With access
    control on, the web process's guard has already checked the feed's stored token, and
    this setting is not read (docs/security.md)."""
    token = None if settings.access_control else settings.ingest_tokens.get(feed)
    if token is None:
        return
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.encode(), token.get_secret_value().encode()
    ):
        raise HTTPException(
            401,
            f"feed {feed!r} needs its token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )


def _check_media(feed: str, header: str | None) -> None:
    """A body is sent as what its feed reads: never text/plain, which any web page may send to
    another site without asking first."""
    accepted = media_types(FEEDS[feed])
    given = (header or "").split(";", 1)[0].strip().lower()
    if given not in accepted:
        said = f"Content-Type {header[:80]!r}" if header else "no Content-Type"
        raise HTTPException(
            415, f"feed {feed!r} takes {', '.join(accepted)}; the request had {said}"
        )


async def _note_simulated(client: aredis.Redis, sink: RedisSink, request: Request) -> None:
    """A body the simulator marked as its own: the screens show 演示数据 for a while. Only a
    mark: with Redis away the body is spooled all the same, and the next body marks again."""
    if request.headers.get(freshness.SIMULATED_HEADER) != "1":
        return
    with contextlib.suppress(*REDIS_DOWN):
        await freshness.mark_simulated(client, sink.keys, datetime.now(UTC))


def foreign_origin(request: HTTPConnection) -> str | None:
    """Why a request must be refused as sent by a web page of another site (a cross-site form
    or script POST), or None. Upstream systems send no Origin; a browser does."""
    origin = request.headers.get("origin")
    if origin is None:
        return None
    own = request.headers.get("host", "")
    if origin == "null" or urlsplit(origin).netloc.lower() != own.lower():
        return f"a POST from another origin ({origin[:80]}) is refused"
    return None


async def store(
    own: Intake, client: aredis.Redis, settings: Settings, feed: str, body: bytes
) -> Outcome:
    """Parse and store one body, in Redis or in the spool; raises only when neither is possible.

    A small body is parsed here and written through the async client. A large one is parsed
    and written by a worker, unless the spool holds entries it must queue behind; whatever
    the worker could not write (Redis went away) is spooled here.
    """
    received, sink = datetime.now(UTC), own.sink
    if len(body) <= own.offload.inline_bytes or (sink.spool is not None and sink.spool.lines):
        args = (feed, body, received, settings.key_prefix, sink.guard)
        entries, outcome = await own.offload.run(len(body), parse_and_plan, *args)
    else:
        target = Target(
            settings.redis_url or "", settings.key_prefix, settings.stream_maxlen, sink.guard
        )
        entries, outcome = await own.offload.run(
            len(body), parse_and_store, feed, body, received, target
        )
        if not entries:
            return outcome
    return await sink.write_planned_async(client, entries, outcome)


INGEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Every record is stored (stream or local spool) or dead-lettered.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    400: {"description": "The body could not be read; it is kept as a dead letter."},
    403: {"description": "Sent by a web page of another origin (its Origin header)."},
    415: {"description": "Not the feed's Content-Type (JSON, or CAP's XML, …)."},
    503: {
        "description": "Nothing was stored: Redis and the spool are unavailable.",
        "headers": RETRY_AFTER_DOC,
    },
}


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _for_feed(
    handler: Callable[[str, Request], Awaitable[JSONResponse]], feed: str
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def one_feed(request: Request) -> JSONResponse:
        return await handler(feed, request)

    return one_feed


def body_doc(media: tuple[str, ...]) -> dict[str, Any]:
    """A feed's request body in the API's description: its native records, as each of its
    Content-Types carries them (JSON: a record or an array of them; the others: text)."""
    records: dict[str, Any] = {
        "description": "A record (an object) or an array of them. Any JSON is taken: a value "
        "that is not one of the feed's records is kept as a dead letter with the reason."
    }
    text_body = {"type": "string"}  # JSON lines, XML, CSV: read as the feed reads it
    form = {"type": "object", "additionalProperties": {"type": "string"}}  # its fields

    def schema(media_type: str) -> dict[str, Any]:
        return records if media_type == JSON else form if media_type == FORM else text_body

    return {
        "required": True,
        "description": "The feed's native records (docs/feeds.md); one bad record is "
        "dead-lettered, the others are stored. A body that cannot be read at all (not JSON, "
        "not the feed's XML or CSV) is kept as a dead letter and answered 400.",
        "content": {m: {"schema": schema(m)} for m in media},
    }


def ingest_router(
    settings: Settings, client: aredis.Redis, shared: Intake | None = None
) -> APIRouter:
    """The intake endpoints, writing through one shared async Redis client; the router's
    lifespan drains the spool and closes ``shared`` (made here when not given)."""
    own = shared or new_intake(settings)
    sink = own.sink

    @contextlib.asynccontextmanager
    async def drainer(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_drain_forever(sink, client))
        yield
        task.cancel()
        own.close()

    router = APIRouter(prefix="/api/ingest", tags=["ingest"], lifespan=drainer)

    async def ingest(feed: str, request: Request) -> JSONResponse:
        if feed not in FEEDS:
            raise HTTPException(404, f"unknown feed {feed!r}; known feeds: {sorted(FEEDS)}")
        _authorise(settings, feed, request.headers.get("authorization"))
        if refused := foreign_origin(request):
            raise HTTPException(403, refused)
        _check_media(feed, request.headers.get("content-type"))
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyRefusedError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        try:
            outcome = await store(own, client, settings, feed, body)
        except REDIS_DOWN as exc:
            why = "not stored, Redis unreachable and no local spool: send again"
            raise HTTPException(503, why, headers=RETRY_LATER) from exc
        await _note_simulated(client, sink, request)
        if outcome.body_error is not None:
            detail = {"detail": outcome.body_error, **outcome.as_json()}
            return JSONResponse(detail, status_code=400)
        return JSONResponse(outcome.as_json(), status_code=202)

    # One route per feed, so that the API's description says what each one takes; the last
    # one answers every other name with the list of the feeds.
    for name, adapter in FEEDS.items():
        router.add_api_route(
            f"/{name}",
            _for_feed(ingest, name),
            methods=["POST"],
            status_code=202,
            summary=f"Push native records of the {name} feed",
            responses=INGEST_RESPONSES,
            openapi_extra={"requestBody": body_doc(media_types(adapter))},
        )
    router.add_api_route("/{feed}", ingest, methods=["POST"], include_in_schema=False)

    return router
