"""Incidents (应急): declared by a leader, read by every screen, ended by a leader.

`POST /api/incidents` declares one at a point with a radius, over a drawn polygon, or over an
alert's area; the answer is the incident with what its area touches (emergency/footprint.py).
`GET /api/incidents/{id}` adds the open cases inside the area now and the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Annotated, Any, Literal

import orjson
import redis
from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from core.keys import Keys
from core.times import beijing
from dashboard.guard import principal_of
from emergency import notices, store
from emergency.incidents import Context, area_of, detail, open_incident, prepare
from emergency.store import IncidentError

Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
INCIDENT_BODY = 256 * 1024  # a drawn polygon of 2,000 vertices fits with room to spare
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such incident"}}


class IncidentBody(BaseModel):
    """A declaration: `shape` says which of `point` + `radius_m`, `polygon` or `alert` is the
    area."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=100, description="What it is, e.g. 璜塘河漫堤")
    shape: Literal["point", "polygon", "alert"]
    point: tuple[Lon, Lat] | None = Field(default=None, description="[lon, lat], WGS84")
    radius_m: float | None = Field(default=None, ge=50, le=20_000, allow_inf_nan=False)
    polygon: dict[str, Any] | None = Field(default=None, description="A GeoJSON (Multi)Polygon")
    alert: str | None = Field(
        default=None, max_length=600, description="An alert's id in the centre: `cap:<source id>`"
    )
    note: str = Field(default="", max_length=2000)
    actor: str = Field(default="", max_length=64, description="Only when no one is signed in")


class EndBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(default="", max_length=2000)
    actor: str = Field(default="", max_length=64, description="Only when no one is signed in")


def _actor(request: Request, named: str) -> str:
    who = principal_of(request)
    if who is not None:
        return who.name
    if not named:
        raise HTTPException(422, detail="the body needs an actor: who acts (no one is signed in)")
    return named


def incidents_router(
    r: redis.Redis,
    keys: Keys,
    context: Context,
    *,
    minutes: float = 10.0,
    link_base: str = "",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """``minutes``: for a notice's acknowledgement; ``link_base``: the centre's public address,
    for the acknowledgement links (empty: none)."""
    router = APIRouter(tags=["incidents"])

    @router.post(
        "/api/incidents",
        status_code=201,
        max_body_size=INCIDENT_BODY,
        responses={422: {"description": "Not an area, or one that does not touch the town"}},
    )
    def declare(body: Annotated[IncidentBody, Body()], request: Request) -> dict[str, Any]:
        """Declare an incident (a leader): every screen switches to its layout. The answer is
        the incident with what its area touches: grids (with the share of each inside),
        villages, people (area-weighted, `population.method`), vulnerable sites, shelters,
        enterprises, resources and teams by distance, and the staff to call."""
        actor = _actor(request, body.actor)
        alert = None
        if body.shape == "alert":
            raw = r.hget(keys.latest("alert"), body.alert or "")
            alert = orjson.loads(raw) if raw else None
        try:
            area = area_of(
                body.shape,
                context=context,
                point=body.point,
                radius_m=body.radius_m,
                polygon=body.polygon,
                alert=alert,
            )
            now = clock()
            source = {"kind": "alert", "alert": body.alert} if alert else None
            incident = prepare(
                r, keys, context, title=body.title, shape=body.shape, area=area, actor=actor,
                now=now, point=body.point, radius_m=body.radius_m, source=source, note=body.note,
            )  # fmt: skip
        except IncidentError as exc:
            raise HTTPException(exc.code, detail=str(exc)) from None
        open_incident(r, keys, incident, now=now, minutes=minutes, link_base=link_base)
        return incident

    @router.get("/api/incidents")
    def listing(
        status: Annotated[Literal["active", "all"], Query()] = "all",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """Incidents, newest first, without their areas: `active` ones only, or all."""
        found = store.listing(r, keys, active_only=status == "active", limit=limit)
        return {"incidents": found, "active": len(store.active_ids(r, keys))}

    @router.get("/api/incidents/{incident_id}", responses=NOT_FOUND)
    def one(incident_id: str) -> dict[str, Any]:
        """One incident with what its area touches, the open cases inside it now, and its
        timeline (declared, notices, cases opened inside, actions, ended)."""
        found = detail(r, keys, incident_id, clock())
        if found is None:
            raise HTTPException(404, detail=f"no incident {incident_id!r}")
        return found

    @router.post(
        "/api/incidents/{incident_id}/end",
        max_body_size=16 * 1024,
        responses={**NOT_FOUND, 409: {"description": "Already ended"}},
    )
    def end(
        incident_id: str, request: Request, body: Annotated[EndBody | None, Body()] = None
    ) -> dict[str, Any]:
        """End an incident (a leader): every screen goes back to its normal layout."""
        body = body or EndBody()
        actor = _actor(request, body.actor)
        try:
            return store.end(r, keys, incident_id, actor=actor, at=clock(), note=body.note)
        except IncidentError as exc:
            raise HTTPException(exc.code, detail=str(exc)) from None

    @router.post("/api/notices/reply", max_body_size=16 * 1024, responses=NO_NOTICE)
    def reply(body: Annotated[ReplyBody, Body()]) -> dict[str, Any]:
        """An SMS reply from the town's gateway (its uplink, with the `sms` feed token): the
        sender's number and the text; a text holding the notice's code acknowledges it."""
        code = "".join(c for c in body.text if c.isdigit())[:8]
        found = notices.ack_by_reply(r, keys, body.phone, code, clock()) if code else None
        if found is None:
            raise HTTPException(404, detail="no notice to that number with that code")
        return {"notice": found["id"], "acked_at": found["acked_at"]}

    @router.get("/ack/{token}", response_class=HTMLResponse, include_in_schema=False)
    def ack_page(token: str) -> HTMLResponse:
        """The page a notice's link opens: what it is about, and one button to acknowledge
        (a link preview that only fetches the page acknowledges nothing)."""
        found = notices.by_token(r, keys, token)
        return HTMLResponse(ack_html(found, done=False), status_code=200 if found else 404)

    @router.post("/ack/{token}", response_class=HTMLResponse, include_in_schema=False)
    def ack_link(token: str) -> HTMLResponse:
        found = notices.ack_by_token(r, keys, token, clock())
        return HTMLResponse(ack_html(found, done=True), status_code=200 if found else 404)

    return router


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=3, max_length=32)
    text: str = Field(max_length=500)


NO_NOTICE: dict[int | str, dict[str, Any]] = {404: {"description": "No notice matches"}}


def ack_html(notice: dict[str, Any] | None, *, done: bool) -> str:
    """The acknowledgement page, in Chinese (it is read on a phone), every value escaped."""
    if notice is None:
        body = "<p>此链接无效或已过期。</p>"
    elif done or notice["acked_at"]:
        when = beijing(datetime.fromisoformat(notice["acked_at"])).strftime("%H:%M")
        body = f"<p>已确认收到（{when}）。谢谢！</p>"
    else:
        body = (
            f"<p>{escape(notice['text'])}</p>"
            '<form method="post">'
            '<button type="submit">确认收到</button></form>'
        )
    title = escape(notice["title"]) if notice else "应急通知"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="/_favicon.ico">'
        f"<title>{title}</title><style>body{{font:18px sans-serif;margin:1.5em;max-width:36em}}"
        "button{font-size:20px;min-height:48px;padding:0 1.5em}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )
