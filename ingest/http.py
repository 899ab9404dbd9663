"""The HTTP receiver: POST /api/ingest/<feed>, one record or many, answered with what was kept."""

from __future__ import annotations

from datetime import UTC, datetime

import redis.asyncio as aredis
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from towncc.keys import Keys
from towncc.settings import Settings


def ingest_router(settings: Settings, client: aredis.Redis) -> APIRouter:
    """The intake endpoints, writing through one shared async Redis client."""
    router = APIRouter(prefix="/api/ingest", tags=["ingest"])
    sink = RedisSink(Keys(settings.key_prefix), settings.stream_maxlen)

    @router.post(
        "/{feed}",
        status_code=202,
        summary="Push native records of one feed (a record, an array, or JSON lines)",
        responses={
            400: {"description": "The body could not be read; it is kept as a dead letter."},
            404: {"description": "No such feed."},
            413: {"description": "Body too large."},
            503: {"description": "Nothing was stored: Redis is unreachable; send again."},
        },
    )
    async def ingest(feed: str, request: Request) -> JSONResponse:
        adapter = FEEDS.get(feed)
        if adapter is None:
            raise HTTPException(404, f"unknown feed {feed!r}; known feeds: {sorted(FEEDS)}")
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            raise HTTPException(413, f"body of {len(body)} bytes over {settings.max_body_bytes}")
        results = list(adapter.parse(body, datetime.now(UTC)))
        try:
            outcome = await sink.write_async(client, results)
        except (aredis.ConnectionError, aredis.TimeoutError) as exc:
            raise HTTPException(503, f"not stored, Redis unreachable: {exc}") from exc
        if outcome.body_error is not None:
            detail = {"detail": outcome.body_error, **outcome.as_json()}
            return JSONResponse(detail, status_code=400)
        return JSONResponse(outcome.as_json(), status_code=202)

    return router
