"""The incident report (after-action review): one printable page per incident, with its map,
its figures, the notices and who answered, the cases opened inside it, and its whole timeline
(ICS 201's briefing and 214's activity log, in one page). Plain HTML from the server: it
prints as it shows, and every value in it is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Annotated, Any

import redis
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from core.keys import Keys
from dashboard.components.incident_view import (
    incident_map,
    kind_label,
    metres_text,
    timeline_text,
    when,
)
from dashboard.i18n import Lang, lang_of, t
from emergency.incidents import detail
from layers.town import Town

PATH = "/incidents/{incident_id}/report"
STYLE = """
body{font:15px/1.5 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1b2a3a;
margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:24px 0 8px;border-bottom:2px solid #b71c1c}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{border:1px solid #c9d3dd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f1f4f8}.meta{color:#4a5a6b}
img{max-width:100%;height:auto;border:1px solid #c9d3dd}.figures strong{font-size:22px}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}
a{color:inherit;text-decoration:none}}
"""


def _table(heads: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> str:
    if not rows:
        return f"<p>{escape(empty)}</p>"
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in heads)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(incident: dict[str, Any], town: Town, lang: Lang) -> str:
    """The whole report page."""

    def w(key: str, **values: str) -> str:
        return t(f"report.{key}", lang, **values)

    touched = incident["footprint"]
    people = touched["population"]
    alt = t("incident.map_alt", lang, title=str(incident["title"]))
    uri, _ = incident_map(town, incident, alt)
    status = w("active") if incident["status"] == "active" else w("ended")
    meta = w(
        "meta",
        declared=when(incident["declared_at"], lang),
        by=str(incident["declared_by"]),
        ended=when(incident.get("ended_at"), lang),
        ended_by=str(incident.get("ended_by") or "—"),
    )
    counts = {k: str(v) for k, v in (incident.get("notice_counts") or {}).items()}
    said = t("incident.notices", lang, **{"sent": "0", "acked": "0", "escalated": "0", **counts})
    resident, registered = t("incident.resident", lang), t("incident.registered", lang)
    sections = [
        f"<h2>{escape(w('figures'))}</h2>",
        f'<p class="figures"><strong>{people["resident"]:,}</strong> {escape(resident)}'
        f" · <strong>{people['registered']:,}</strong> {escape(registered)}</p>",
        f"<p>{escape(t('incident.method', lang))}</p>",
        _table(
            [w("village"), w("grid"), w("share"), t("incident.resident", lang),
             t("incident.registered", lang)],
            [[g["village_name"], g["name"], f"{g['share'] * 100:.1f}%", g["resident"],
              g["registered"]] for g in touched["grids"]],
            t("incident.none", lang),
        ),
        f"<h2>{escape(t('incident.vulnerable', lang))}</h2>",
        _table([w("kind"), w("name"), w("phone")],
               [[kind_label(v["kind"], lang), v["name"], v["phone"]]
                for v in touched["vulnerable"]],
               t("incident.none", lang)),
        f"<h2>{escape(t('incident.shelters', lang))}</h2>",
        _table([w("name"), w("capacity"), w("distance"), w("phone")],
               [[s["name"], s["capacity"], metres_text(s["distance_m"]), s["phone"]]
                for s in touched["shelters"]], t("incident.none", lang)),
        f"<h2>{escape(t('incident.enterprises', lang))}</h2>",
        _table([w("name"), w("hazard")],
               [[e["name"], t(f"incident.hazard.{e['hazard']}", lang) if e.get("hazard") else "—"]
                for e in touched["enterprises"]], t("incident.none", lang)),
        f"<h2>{escape(t('incident.resources', lang))}</h2>",
        _table([w("kind"), w("name"), w("distance"), w("phone")],
               [[kind_label(x["kind"], lang), x["name"], metres_text(x["distance_m"]), x["phone"]]
                for x in touched["resources"]]
               + [[w("team"), x["zh"] if lang == "zh" else x["en"],
                   metres_text(x["distance_m"]), ""] for x in touched["teams"]],
               t("incident.none", lang)),
        f"<h2>{escape(w('notices'))}</h2>",
        f"<p>{escape(said)}</p>",
        _table([w("grid"), w("person"), w("sent"), w("sends"), w("acked")],
               [[n["grid_name"], f"{n['role_name']} {n['to']}", when(n["sent_at"], lang),
                 n["sends"], when(n.get("acked_at"), lang)] for n in incident.get("notices", [])],
               t("incident.none", lang)),
        f"<h2>{escape(t('incident.timeline', lang))}</h2>",
        _table([w("time"), w("what"), w("who")],
               [[when(e.get("at"), lang), timeline_text(e, lang), e.get("actor", "")]
                for e in incident.get("timeline", [])], t("incident.none", lang)),
    ]  # fmt: skip
    html_lang = "zh-CN" if lang == "zh" else "en"
    title = escape(str(incident["title"]))
    image = f'<img src="{uri}" alt="{escape(alt)}">' if uri else ""
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="/_favicon.ico">'
        f"<title>{escape(w('title'))} · {title}</title><style>{STYLE}</style></head><body>"
        f'<header><h1>{title}</h1><p class="meta">{escape(incident["id"])} · {escape(status)} · '
        f"{escape(meta)}</p></header><main>{image}{''.join(sections)}</main></body></html>"
    )


def report_router(
    r: redis.Redis,
    keys: Keys,
    town: Town,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    router = APIRouter()

    @router.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def report(incident_id: str, lang: Annotated[str | None, Query()] = None) -> HTMLResponse:
        found = detail(r, keys, incident_id, clock())
        if found is None:
            raise HTTPException(404, detail=f"no incident {incident_id!r}")
        return HTMLResponse(report_html(found, town, lang_of(lang)))

    return router
