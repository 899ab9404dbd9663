"""A leader declares an incident from the tablet: around a case, a grid's centre, or over an
alert in force, with a radius. The same steps as `POST /api/incidents` (emergency/incidents.py:
the area, what it touches, the notices), as the signed-in leader."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from access.roles import Principal
from cases.store import get_case
from dashboard.context import WallContext
from dashboard.i18n import Lang, t
from emergency.incidents import Shape, area_of, open_incident, prepare
from emergency.store import IncidentError

RADII = (500, 1000, 3000)
TITLE_MAX = 100


def where_options(
    wall: WallContext, alerts: list[dict[str, Any]], around: dict[str, Any] | None, lang: Lang
) -> list[dict[str, str]]:
    """The places an incident can be declared at: the case asked about, each alert in force
    over the town, each village's centre."""
    options = []
    if around is not None and around.get("lon") is not None:
        label = t("declare.around", lang, title=str(around.get("title") or around["id"]))
        options.append({"label": label, "value": f"case:{around['id']}"})
    for alert in alerts:
        field = f"{alert.get('feed', '')}:{alert.get('source_id', '')}"
        label = t("declare.alert", lang, title=str(alert.get("title") or field))
        options.append({"label": label, "value": f"alert:{field}"})
    for code, name in zip(wall.town.l1.index, wall.town.l1["name"], strict=True):
        options.append({"label": name, "value": f"village:{code}"})
    return options


def declare_by_hand(
    wall: WallContext,
    who: Principal,
    title: str | None,
    where: str | None,
    radius: int | None,
    now: datetime,
    lang: Lang,
) -> tuple[str, str | None]:
    """Declare; what to say, and the new incident's id (None: nothing declared)."""
    context = wall.emergency
    title = (title or "").strip()[:TITLE_MAX]
    if context is None or not title or not where or ":" not in where:
        return t("declare.incomplete", lang), None
    kind, _, value = where.partition(":")
    point: tuple[float, float] | None = None
    alert = None
    if kind == "case":
        case = get_case(wall.r, wall.keys, value)
        if case is None or case.get("lon") is None:
            return t("declare.no_point", lang), None
        point = (float(case["lon"]), float(case["lat"]))
    elif kind == "village" and value in wall.town.l1.index:
        centre = wall.town.l1.geometry[value].representative_point()
        point = (round(float(centre.x), 6), round(float(centre.y), 6))
    elif kind == "alert":
        raw = wall.r.hget(wall.keys.latest("alert"), value)
        alert = orjson.loads(raw) if raw else None
    else:
        return t("declare.incomplete", lang), None
    shape: Shape = "alert" if kind == "alert" else "point"
    metres = float(radius if radius in RADII else RADII[1]) if point else None
    try:
        area = area_of(shape, context=context, point=point, radius_m=metres, alert=alert)
        source = {"kind": "alert", "alert": value} if alert else None
        incident = prepare(
            wall.r, wall.keys, context, title=title, shape=shape, area=area, actor=who.name,
            now=now, point=point, radius_m=metres, source=source,
        )  # fmt: skip
    except IncidentError as exc:
        return t("declare.refused", lang, why=str(exc)), None
    settings = wall.settings
    open_incident(wall.r, wall.keys, incident, now=now, minutes=settings.notice_ack_minutes,
                  link_base=settings.public_url.rstrip("/"))  # fmt: skip
    return t("declare.done", lang, id=incident["id"]), incident["id"]
