"""The web process: the Dash app with the JSON API and the intake endpoints on one FastAPI."""

from __future__ import annotations

import dash
import redis.asyncio as aredis
from fastapi import FastAPI
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff

from core.settings import Settings
from dashboard.access_log import keep_secrets_out_of_access_log
from dashboard.app import create_app
from dashboard.open311_api import open311_router
from ingest.http import ingest_router, new_intake


def build(settings: Settings) -> dash.Dash:
    """The whole web app for these settings."""
    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: run `towncc demo`, or point REDIS_URL at a Redis")
    # Intake fails over to its spool quickly rather than holding a sender through retries.
    client = aredis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=2,
        socket_timeout=10,
        retry=Retry(ConstantBackoff(0.05), 1),
    )
    # One intake for both doors: Open311 requests spool and drain with the rest, in order.
    shared = new_intake(settings)
    routers = [ingest_router(settings, client, shared), open311_router(settings, client, shared)]
    app: dash.Dash = create_app(settings, routers=routers)
    keep_secrets_out_of_access_log()
    return app


def asgi() -> FastAPI:
    """ASGI factory for uvicorn: ``uvicorn --factory towncc.server:asgi``."""
    server: FastAPI = build(Settings()).server
    return server
