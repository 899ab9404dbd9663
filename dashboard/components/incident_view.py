"""The incident layout: what every wall, console and tablet shows while an incident is active.

Its header says 应急状态 and the incident's title; then the map (drawn on the server as SVG:
the area, the rings round a point incident, the grids round it, and the places as symbols)
and the panels: the affected villages and grids, the people inside (area-weighted), the
vulnerable sites, shelters, enterprises, the nearest resources and teams, the staff to call,
the open cases inside, the notices and the timeline. Every text from a feed or a data file
is a text node (Dash escapes it); the SVG's only texts are escaped grid names.
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

import shapely
from dash import html
from shapely.geometry.base import BaseGeometry

from core.times import beijing
from dashboard import ids
from dashboard.components.sketch import projected
from dashboard.i18n import Lang, t
from layers.emergency import KINDS
from layers.town import Town

WIDTH = 900
PAD = 0.15  # of the area's larger side: the streets and grids round it
SYMBOLS: dict[str, tuple[str, str]] = {  # layer → (fill, shape)
    "vulnerable": ("#8e24aa", "triangle"),
    "shelter": ("#1565c0", "square"),
    "resource": ("#2e7d32", "diamond"),
    "enterprise": ("#ef6c00", "square"),
    "case": ("#455a64", "circle"),
}
LIST_MAX = 12  # rows per panel; the count says how many more


def when(value: str | None, lang: Lang) -> str:
    if not value:
        return "—"
    return beijing(datetime.fromisoformat(value)).strftime("%m-%d %H:%M")


# ---- the map --------------------------------------------------------------------------------


def _symbol(kind: str, x: float, y: float, fill: str) -> str:
    r = 7.0
    if kind == "triangle":
        pts = f"{x:.1f},{y - r:.1f} {x + r:.1f},{y + r:.1f} {x - r:.1f},{y + r:.1f}"
        return f'<polygon points="{pts}" fill="{fill}" stroke="#fff" stroke-width="1.5"/>'
    if kind == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.0f}" height="{2 * r:.0f}" '
            f'fill="{fill}" stroke="#fff" stroke-width="1.5"/>'
        )
    if kind == "diamond":
        pts = f"{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} {x - r:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{fill}" stroke="#fff" stroke-width="1.5"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{fill}" stroke="#fff"/>'


def incident_map(town: Town, incident: Mapping[str, Any], alt: str) -> tuple[str, int]:
    """A data URI of the incident's SVG map and its height at WIDTH."""
    frame, transformer = projected(town)
    crs = frame.crs
    area = _metric(shapely.geometry.shape(incident["area"]), crs)
    rings = [_metric(shapely.geometry.shape(r["geometry"]), crs) for r in incident.get("rings", [])]
    extent = shapely.union_all([area, *rings])
    west, south, east, north = extent.bounds
    pad = PAD * max(east - west, north - south)
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    scale = WIDTH / (east - west)
    height = max(1, round((north - south) * scale))
    box = shapely.box(west, south, east, north)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - west) * scale, (north - y) * scale

    def path(shape: BaseGeometry) -> str:
        out = []
        for poly in getattr(shape, "geoms", [shape]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                out.append(
                    "M" + " L".join("{:.1f},{:.1f}".format(*at(x, y)) for x, y in ring.coords) + "Z"
                )
        return " ".join(out)

    affected = {g["code"] for g in incident["footprint"]["grids"]}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(alt)}</title>',
        f'<rect width="{WIDTH}" height="{height}" fill="#e9eef3"/>',
    ]
    near = frame[frame.geometry.intersects(box)]
    for code, shape in zip(near.index, near.geometry, strict=True):
        fill = "#fff3e0" if code in affected else "#ffffff"
        parts.append(f'<path d="{path(shape)}" fill="{fill}" stroke="#7a8da3" stroke-width="1.5"/>')
    parts.append(
        f'<path d="{path(area)}" fill="#d32f2f" fill-opacity="0.22" stroke="#b71c1c" '
        'stroke-width="3"/>'
    )
    for ring in rings:
        parts.append(
            f'<path d="{path(ring)}" fill="none" stroke="#b71c1c" stroke-width="1.5" '
            'stroke-dasharray="8 6"/>'
        )
    for code, shape in zip(near.index, near.geometry, strict=True):
        if code in affected:
            cx, cy = at(*shape.intersection(box).representative_point().coords[0])
            name = escape(str(town.l2.at[code, "name"]))
            parts.append(
                f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="14" fill="#33475b" '
                f'text-anchor="middle">{name}</text>'
            )
    points = [
        (layer, row)
        for layer in ("vulnerable", "shelters", "resources", "enterprises")
        for row in incident["footprint"].get(layer, [])
    ]
    points += [("case", c) for c in incident.get("cases", []) if c.get("lon") is not None]
    if points:
        xs, ys = transformer.transform([p["lon"] for _, p in points], [p["lat"] for _, p in points])
        for (layer, _), x, y in zip(points, xs, ys, strict=True):
            fill, kind = SYMBOLS[_layer(layer)]
            px, py = at(x, y)
            if 0 <= px <= WIDTH and 0 <= py <= height:
                parts.append(_symbol(kind, px, py, fill))
    parts.append("</svg>")
    return "data:image/svg+xml;base64," + b64encode("".join(parts).encode()).decode(), height


def _layer(name: str) -> str:
    return {"shelters": "shelter", "resources": "resource", "enterprises": "enterprise"}.get(
        name, name
    )


def _metric(shape: BaseGeometry, crs: Any) -> BaseGeometry:
    import geopandas as gpd

    moved: BaseGeometry = gpd.GeoSeries([shape], crs="EPSG:4326").to_crs(crs).iloc[0]
    return moved


# ---- the panels -----------------------------------------------------------------------------

LEGEND: tuple[tuple[str, str, str], ...] = (  # (symbol, colour, the words' key)
    ("▲", SYMBOLS["vulnerable"][0], "incident.vulnerable"),
    ("■", SYMBOLS["shelter"][0], "incident.shelters"),
    ("◆", SYMBOLS["resource"][0], "incident.resources"),
    ("■", SYMBOLS["enterprise"][0], "incident.enterprises"),
    ("●", SYMBOLS["case"][0], "incident.cases"),
)


DECORATIVE: dict[str, Any] = {"aria-hidden": "true"}


def legend(lang: Lang) -> html.Ul:
    """What the map's symbols are (the map is a picture: its key is text beside it)."""
    return html.Ul(
        [html.Li([html.Span(mark, style={"color": colour}, **DECORATIVE), " ",
                  t(key, lang)]) for mark, colour, key in LEGEND],
        className="incident-legend",
    )  # fmt: skip


def _panel(
    title: str, rows: Sequence[Any], lang: Lang, *, total: int | None = None
) -> html.Section:
    total = len(rows) if total is None else total
    shown = list(rows[:LIST_MAX])
    more = total - len(shown)
    body: list[Any] = [html.Li(r) for r in shown] or [
        html.Li(t("incident.none", lang), className="incident-empty")
    ]
    if more > 0:
        body.append(html.Li(t("incident.more", lang, n=str(more)), className="incident-more"))
    return html.Section(
        className="incident-panel",
        children=[
            html.H3(f"{title}（{total}）" if lang == "zh" else f"{title} ({total})"),
            html.Ul(body),
        ],
    )


def _call(name: str, phone: str) -> html.A:
    return html.A(name, href=f"tel:{phone}", className="incident-tel")


def kind_label(kind: str, lang: Lang) -> str:
    """A place's kind in words (layers/emergency.py KINDS); the code itself if unknown."""
    zh_en = KINDS.get(kind)
    if zh_en is None:
        return kind
    return zh_en[1] if lang == "zh" else zh_en[2]


def metres_text(value: int) -> str:
    """A distance as people read it: 850 m, 1.7 km."""
    return f"{value / 1000:.1f} km" if value >= 1000 else f"{value} m"


def _distance(metres: int, lang: Lang) -> str:
    return t("incident.inside", lang) if metres <= 0 else metres_text(metres)


def timeline_text(entry: Mapping[str, Any], lang: Lang) -> str:
    """One timeline entry in words."""
    kind = str(entry.get("kind", ""))
    values = {k: str(v) for k, v in entry.items() if isinstance(v, (str, int, float))}
    values.setdefault("count", "")
    values["villages"] = "、".join(entry.get("villages", []) or [])
    values["to"] = "、".join(entry.get("to", []) or [])
    if f"incident.event.{kind}" not in _KNOWN:
        return kind
    try:
        return t(f"incident.event.{kind}", lang, **values)
    except (KeyError, IndexError, ValueError):  # an entry without a field its words name
        return kind


_KNOWN = frozenset(
    f"incident.event.{k}"
    for k in (
        "declared",
        "notices_sent",
        "notice_acked",
        "notices_resent",
        "notices_escalated",
        "notice_failed",
        "case_opened",
        "case_action",
        "ended",
        "alert_updated",
        "alert_cancelled",
    )
)


def incident_view(
    incident: Mapping[str, Any], active: int, town: Town, lang: Lang, *, end_button: bool = False
) -> list[Any]:
    """The incident layout's children."""
    touched = incident["footprint"]
    people = touched["population"]
    alt = t("incident.map_alt", lang, title=str(incident["title"]))
    uri, _ = incident_map(town, incident, alt)
    others = active - 1
    header = html.Header(
        className="incident-header",
        children=[
            html.Span(t("incident.state", lang), className="incident-badge"),
            html.H2(incident["title"], className="incident-title"),
            html.Span(
                t("incident.since", lang, at=when(incident["declared_at"], lang)),
                className="incident-since",
            ),
            html.Span(t("incident.others", lang, n=str(others)), className="incident-others")
            if others > 0
            else None,
            html.Button(
                t("incident.end", lang),
                id=ids.INCIDENT_END,
                className="incident-end-button",
                n_clicks=0,
            )
            if end_button
            else None,
        ],
    )
    grids = [
        f"{g['village_name']} {g['name']} {round(g['share'] * 100)}%" for g in touched["grids"]
    ]
    figures = html.Section(
        className="incident-panel incident-figures",
        children=[
            html.H3(t("incident.scope", lang)),
            html.P(
                [
                    html.Strong(f"{people['resident']:,}"),
                    " ",
                    t("incident.resident", lang),
                    " · ",
                    html.Strong(f"{people['registered']:,}"),
                    " ",
                    t("incident.registered", lang),
                ]
            ),
            html.P(t("incident.method", lang), className="incident-note"),
            html.P(
                t("incident.villages", lang)
                + "："
                + "、".join(v["name"] for v in touched["villages"])
            ),
            html.Ul([html.Li(g) for g in grids[:LIST_MAX]]),
        ],
    )
    vulnerable = [
        [f"{kind_label(v['kind'], lang)} · {v['name']} ", _call(v["contact"], v["phone"])]
        for v in touched["vulnerable"]
    ]
    shelters = [
        [
            f"{s['name']} · {t('incident.capacity', lang, n=str(s['capacity']))} · "
            f"{_distance(s['distance_m'], lang)}",
            " ",
            _call(s["contact"], s["phone"]),
        ]
        for s in touched["shelters"]
    ]
    hazard = {
        "major": t("incident.hazard.major", lang),
        "general": t("incident.hazard.general", lang),
    }
    enterprises = [
        f"{e['name']}" + (f" · {hazard[e['hazard']]}" if e.get("hazard") in hazard else "")
        for e in touched["enterprises"]
    ]
    resources = [
        [
            f"{kind_label(x['kind'], lang)} · {x['name']} · {_distance(x['distance_m'], lang)} ",
            _call(x["contact"], x["phone"]),
        ]
        for x in touched["resources"]
    ] + [
        f"{x['zh'] if lang == 'zh' else x['en']} · {_distance(x['distance_m'], lang)}"
        for x in touched["teams"][:4]
    ]
    names = {g["code"]: g["name"] for g in touched["grids"]}
    staff: list[list[Any]] = []
    for code in names:
        people = [p for p in touched["staff"] if p["grid"] == code]
        line: list[Any] = [html.Strong(names[code]), "："]
        for p in people:
            line += [f"{p['role_name']} ", _call(p["name"], p["phone"]), " "]
        staff.append(line)
    cases = [
        f"{c['title']} · {c.get('stage_label') or c.get('stage', '')}"
        for c in incident.get("cases", [])
    ]
    counts = incident.get("notice_counts") or {"sent": 0, "acked": 0, "escalated": 0}
    notices = html.P(
        t(
            "incident.notices",
            lang,
            sent=str(counts["sent"]),
            acked=str(counts["acked"]),
            escalated=str(counts["escalated"]),
        ),
        className="incident-notices",
    )
    timeline: list[list[Any]] = [
        [html.Time(when(e.get("at"), lang)), " ", timeline_text(e, lang)]
        for e in reversed(incident.get("timeline", []))
    ]
    return [
        header,
        html.Div(
            className="incident-body",
            children=[
                html.Div(
                    className="incident-map",
                    children=[html.Img(src=uri, alt=alt) if uri else None, legend(lang)],
                ),
                html.Div(
                    className="incident-panels",
                    children=[
                        figures,
                        _panel(t("incident.vulnerable", lang), vulnerable, lang),
                        _panel(t("incident.shelters", lang), shelters, lang),
                        _panel(t("incident.enterprises", lang), enterprises, lang),
                        _panel(t("incident.resources", lang), resources, lang),
                        _panel(t("incident.staff", lang), staff, lang),
                        _panel(
                            t("incident.cases", lang),
                            cases,
                            lang,
                            total=int(incident.get("cases_total", len(cases))),
                        ),
                        html.Section(
                            className="incident-panel incident-timeline",
                            children=[
                                html.H3(t("incident.timeline", lang)),
                                notices,
                                html.Ol([html.Li(x) for x in timeline[: LIST_MAX * 2]]),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ]
