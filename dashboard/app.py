"""The Dash app on FastAPI: the wall and admin pages, the JSON API, the caller's routers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aredis
from dash import Dash
from dash.development.base_component import Component
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from redis.backoff import ConstantBackoff
from redis.retry import Retry
from starlette.middleware.trustedhost import TrustedHostMiddleware

from access.rates import Rates
from core.keys import Keys
from core.settings import Settings
from dashboard.api import api_router
from dashboard.api_doc import describe_api
from dashboard.components.wall_map import map_traces
from dashboard.compress import StaticGZip
from dashboard.context import WallContext
from dashboard.framework import request_query, set_up_now
from dashboard.guard import Guard, auth_router
from dashboard.headers import SecurityHeaders, content_security_policy
from dashboard.i18n import lang_of, t
from dashboard.incident_mode import register_incident_callbacks
from dashboard.incident_report import report_router
from dashboard.incidents_api import incidents_router
from dashboard.kpi_api import kpi_router
from dashboard.live import BLOCK_MS
from dashboard.metrics import mount_metrics
from dashboard.modules_api import modules_router
from dashboard.pages.admin import PATH as ADMIN_PATH
from dashboard.pages.admin import Links, admin_layout, register_admin_callbacks
from dashboard.pages.console import PATH as CONSOLE_PATH
from dashboard.pages.console import console_layout, register_console_callbacks
from dashboard.pages.replay import register_replay_callbacks
from dashboard.pages.tablet import PATH as TABLET_PATH
from dashboard.pages.tablet import register_tablet_callbacks, tablet_layout
from dashboard.pages.wall import PATH as WALL_PATH
from dashboard.pages.wall import register_wall_callbacks, wall_layout
from dashboard.queues_api import queues_router
from dashboard.routing import page_address, page_path
from dashboard.rows_link import ROWS_PATH, rows_socket
from dashboard.signin import signin_router
from dashboard.unavailable import RESPONSES as OUTAGE
from dashboard.unavailable import install as answer_outages_503
from emergency.incidents import context_for
from layers.town import Town

ASSETS = Path(__file__).resolve().parent.parent / "assets"
HEALTH_PATH = "/healthz"
Clock = Callable[[], datetime]
Page = Callable[[], Component]


def _wall_context(settings: Settings, url: str, clock: Clock | None) -> WallContext:
    paths = (settings.grids_l1_path, settings.grids_l2_path, settings.roster_path)
    town = Town.load(*paths, name=settings.town_name)
    # The emergency data is checked here: a broken file stops the start-up, naming itself.
    emergency = context_for(town, settings.population_path, settings.emergency_places_path)
    wall = WallContext(
        settings=settings,
        keys=Keys(settings.key_prefix),
        town=town,
        traces=map_traces(town),
        emergency=emergency,
        # One quick retry: with Redis away a request waits a moment, not seconds, for its 503.
        r=redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=5, retry=Retry(ConstantBackoff(0.05), 1)
        ),
        # Longer than one XREAD BLOCK: a Redis that hangs surfaces as an error, not silence.
        ar=aredis.Redis.from_url(url, decode_responses=True, socket_timeout=BLOCK_MS / 1000 + 5),
    )
    return wall if clock is None else dataclasses.replace(wall, clock=clock)


def page_layout(pages: Mapping[str, Page]) -> Component:
    """The layout function: the page at the path the layout request names (dashboard.routing);
    the wall on any other path (Dash serves its page on every path, `/` redirects to the wall)."""
    return pages.get(page_path(page_address()), pages[WALL_PATH.strip("/")])()


def _server(wall: WallContext, routers: Sequence[APIRouter]) -> FastAPI:
    """FastAPI with our routes first: Dash adds its own later, its catch-all at start-up."""
    server = FastAPI(title=t("app.title", town=wall.settings.town_name), responses=OUTAGE)
    server.add_middleware(StaticGZip)  # innermost: scripts and styles only
    secure = wall.settings.secure_cookies
    if wall.settings.access_control:  # inside the 503 answer's middleware (added after)
        limits = {"writes": wall.settings.write_rate, "sign_ins": wall.settings.sign_in_rate}
        rates = Rates(wall.r, wall.keys, **limits)
        server.add_middleware(
            Guard,
            r=wall.r,
            keys=wall.keys,
            secure=secure,
            rates=rates,
            form_limit=wall.settings.max_body_bytes,
        )
    answer_outages_503(server)
    # Outermost of ours: a request for another name is refused before anything reads it.
    server.add_middleware(TrustedHostMiddleware, allowed_hosts=wall.settings.allowed_hosts)
    server.include_router(auth_router(wall.r, wall.keys, secure=secure))
    server.include_router(signin_router(wall.settings.town_name))
    server.include_router(api_router(wall.r, wall.keys, settings=wall.settings, clock=wall.clock))
    server.include_router(kpi_router(wall.r, wall.keys, wall.town))
    server.include_router(modules_router(wall.r, wall.keys, wall.town, clock=wall.clock))
    server.include_router(queues_router(wall.r, wall.keys, wall.town, clock=wall.clock))
    settings, context = wall.settings, wall.emergency
    if context is None:  # _wall_context loads it
        raise RuntimeError("the web app needs the town's emergency data")
    minutes, link_base = settings.notice_ack_minutes, settings.public_url.rstrip("/")
    server.include_router(
        incidents_router(
            wall.r, wall.keys, context, minutes=minutes, link_base=link_base, clock=wall.clock
        )
    )
    server.include_router(report_router(wall.r, wall.keys, wall.town, clock=wall.clock))
    mount_metrics(server, wall)
    for router in routers:
        server.include_router(router)

    def to_wall(request: Request) -> RedirectResponse:
        query = request.url.query
        return RedirectResponse(f"{WALL_PATH}?{query}" if query else WALL_PATH)

    server.add_api_route("/", to_wall, include_in_schema=False)
    # The wall's rows, on a socket of each page's own (dashboard/rows_link.py).
    server.add_api_websocket_route(ROWS_PATH, rows_socket)
    describe_api(server, guarded=wall.settings.access_control)
    return server


class CentreDash(Dash):
    """Dash whose page says its language: `<html lang>` from the page's own `?lang=`
    (Dash's index has no `lang`; `interpolate_index` is its documented hook for the page)."""

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]
        page: str = super().interpolate_index(**kwargs)  # type: ignore[no-untyped-call]
        lang = "en" if lang_of(request_query().get("lang")) == "en" else "zh-CN"
        return page.replace("<html>", f'<html lang="{lang}">', 1)


def create_app(
    settings: Settings, *, routers: Sequence[APIRouter] = (), clock: Clock | None = None
) -> Dash:
    """The whole web app; `app.server` is the ASGI application. ``clock``: the time the
    pages, /healthz and /metrics read (default: now)."""
    if not settings.redis_url:
        raise ValueError("create_app needs settings.redis_url")
    wall = _wall_context(settings, settings.redis_url, clock)
    server = _server(wall, routers)
    app = CentreDash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash types know Flask only
        assets_folder=str(ASSETS),
        assets_path_ignore=["signin"],  # the sign-in page's own, not the Dash pages'
        title=t("app.title", town=settings.town_name),
        update_title="",  # no "Updating..." in the title bar
        # The wall is never touched: never close its socket for "inactivity".
        websocket_inactivity_timeout=0,
        # Two pages, one layout function: each page's callbacks name ids the other page lacks.
        # Ids come from ids.py and the unit tests check every page's tree against them.
        suppress_callback_exceptions=True,
    )
    path = app.get_relative_path
    health_url: str = path(HEALTH_PATH)  # type: ignore[no-untyped-call]
    rows_url: str = path(ROWS_PATH)  # type: ignore[no-untyped-call]
    links = Links(wall=path(WALL_PATH), admin=path(ADMIN_PATH))  # type: ignore[no-untyped-call]
    pages: dict[str, Page] = {
        WALL_PATH.strip("/"): partial(wall_layout, wall, health_url, rows_url),
        ADMIN_PATH.strip("/"): partial(admin_layout, wall, links),
        CONSOLE_PATH.strip("/"): partial(console_layout, wall),
        TABLET_PATH.strip("/"): partial(tablet_layout, wall),
    }
    # One layout function for every page: each page's whole tree exists from its first render,
    # which the wall's persistent callback needs (it starts before any routed content would).
    app.layout = partial(page_layout, pages)
    register_wall_callbacks(app, wall)
    register_admin_callbacks(app, wall)
    register_console_callbacks(app, wall)
    register_tablet_callbacks(app, wall)
    register_incident_callbacks(app, wall)
    register_replay_callbacks(app, wall)
    # The first page a fresh (or restarted) server sends must link the assets.
    set_up_now(app)
    # Last: the policy names the hashes of every inline script the pages now hold.
    server.add_middleware(SecurityHeaders, policy=content_security_policy(app.csp_hashes()))
    return app
