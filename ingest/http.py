"""The HTTP receiver: POST /api/ingest/<feed>, one record or many, answered with what was kept."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import redis.asyncio as aredis
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from ingest.feeds import FEEDS
from ingest.guard import Guard
from ingest.sink import REDIS_DOWN, RedisSink
from ingest.spool import Spool, SpoolBusyError
from towncc.keys import Keys
from towncc.settings import Settings

log = logging.getLogger(__name__)
DRAIN_EVERY_S = 1.0


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
    """A feed with a configured token accepts only requests that carry it."""
    token = settings.ingest_tokens.get(feed)
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


def ingest_router(settings: Settings, client: aredis.Redis) -> APIRouter:
    """The intake endpoints, writing through one shared async Redis client."""
    sink = RedisSink(
        Keys(settings.key_prefix), settings.stream_maxlen, _spool(settings), Guard.of(settings)
    )

    @contextlib.asynccontextmanager
    async def drainer(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_drain_forever(sink, client))
        yield
        task.cancel()
        if sink.spool is not None:
            sink.spool.close()

    router = APIRouter(prefix="/api/ingest", tags=["ingest"], lifespan=drainer)

    @router.post(
        "/{feed}",
        status_code=202,
        summary="Push native records of one feed (a record, an array, or JSON lines)",
        responses={
            202: {
                "description": "Every record is stored (stream or local spool) or dead-lettered."
            },
            400: {"description": "The body could not be read; it is kept as a dead letter."},
            401: {"description": "The feed has a token and the request did not carry it."},
            404: {"description": "No such feed."},
            413: {"description": "Body too large."},
            503: {"description": "Nothing was stored: Redis and the spool are unavailable."},
        },
    )
    async def ingest(feed: str, request: Request) -> JSONResponse:
        adapter = FEEDS.get(feed)
        if adapter is None:
            raise HTTPException(404, f"unknown feed {feed!r}; known feeds: {sorted(FEEDS)}")
        _authorise(settings, feed, request.headers.get("authorization"))
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            raise HTTPException(413, f"body of {len(body)} bytes over {settings.max_body_bytes}")
        results = list(adapter.parse(body, datetime.now(UTC)))
        try:
            outcome = await sink.write_async(client, results)
        except REDIS_DOWN as exc:
            raise HTTPException(503, f"not stored, Redis unreachable: {exc}") from exc
        if outcome.body_error is not None:
            detail = {"detail": outcome.body_error, **outcome.as_json()}
            return JSONResponse(detail, status_code=400)
        return JSONResponse(outcome.as_json(), status_code=202)

    return router
