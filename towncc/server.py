"""The web process: the Dash app with the JSON API and the intake endpoints on one FastAPI."""

from __future__ import annotations

import dash
import redis.asyncio as aredis
from fastapi import FastAPI

from dashboard.app import create_app
from ingest.http import ingest_router
from towncc.settings import Settings


def build(settings: Settings) -> dash.Dash:
    """The whole web app for these settings."""
    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: run `towncc demo`, or point REDIS_URL at a Redis")
    client = aredis.Redis.from_url(settings.redis_url)
    app: dash.Dash = create_app(settings, routers=[ingest_router(settings, client)])
    return app


def asgi() -> FastAPI:
    """ASGI factory for uvicorn: ``uvicorn --factory towncc.server:asgi``."""
    server: FastAPI = build(Settings()).server
    return server
