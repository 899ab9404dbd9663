"""The switch to the incident layout, the same on the wall, the console and the tablet.

Each page carries the layer first among its children: drawn into the page at load (an
incident already active shows at once), then read every second and redrawn only when what it
shows changed (its digest: the incident, its timeline's length, its notices' counts, the cases
inside and their stages). While it is on, the page's own content is hidden by the stylesheet
(`.incident-on ~ *`) and keeps running underneath: ending the incident shows it as it is now.
A leader (access/policy.py INCIDENT_LEADERS) has the button that ends it, on the console and
the tablet; the wall's screens have none.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from access.policy import INCIDENT_LEADERS
from access.roles import Principal
from dashboard import ids
from dashboard.components.incident_view import incident_view
from dashboard.context import WallContext
from dashboard.i18n import Lang, lang_of, t
from dashboard.page_actions import caller, digest
from emergency import store
from emergency.incidents import current

TICK_MS = 1000
CASES_SHOWN = 200  # on the layer's map (its list shows the newest dozen, and the count)
TIMELINE_SHOWN = 24  # the newest entries the layer lists
ON, OFF = "incident incident-on", "incident"


def _seen(incident: dict[str, Any] | None, active: int, lang: Lang, ends: bool) -> str:
    if incident is None:
        return digest(["none", lang])
    cases = [(c["id"], c.get("stage")) for c in incident.get("cases", [])]
    return digest([incident["id"], incident["status"], incident.get("timeline_total"),
                   incident.get("notice_counts"), cases, incident.get("cases_total"), active,
                   lang, ends])  # fmt: skip


def read_layer(wall: WallContext, lang: Lang, ends: bool) -> tuple[dict[str, str], list[Any], str]:
    """What the layer shows (its digest and the incident's id), its children and class."""
    incident, active = current(
        wall.r, wall.keys, wall.clock(), cases_limit=CASES_SHOWN, timeline_limit=TIMELINE_SHOWN
    )
    if incident is None:
        return {"digest": _seen(None, 0, lang, ends), "incident": ""}, [], OFF
    children = incident_view(incident, active, wall.town, lang, end_button=ends)
    return {"digest": _seen(incident, active, lang, ends), "incident": incident["id"]}, children, ON


def may_end(who: Principal | None) -> bool:
    return who is not None and who.role in INCIDENT_LEADERS


def incident_layer(
    wall: WallContext, lang: Lang, *, who: Principal | None = None, polled: bool = True
) -> list[Any]:
    """The layer's components, first among a page's children; ``polled``: the page asks every
    second (the console, the tablet); the wall's push sends it instead (dashboard/live.py)."""
    ends = may_end(who)
    try:
        seen, children, class_name = read_layer(wall, lang, ends)
    except redis.RedisError:
        seen, children, class_name = {"digest": "", "incident": ""}, [], OFF
    return [
        html.Div(children, id=ids.INCIDENT_VIEW, className=class_name),
        html.P(id=ids.INCIDENT_OUTCOME, className="incident-outcome", role="status"),
        dcc.Store(id=ids.INCIDENT_SHOWN, data=seen),
        dcc.Store(id=ids.INCIDENT_CONFIG, data={"lang": lang}),
        *([dcc.Interval(id=ids.INCIDENT_TICK, interval=TICK_MS)] if polled else []),
    ]


def register_incident_callbacks(app: Dash, wall: WallContext) -> None:
    @app.callback(
        Output(ids.INCIDENT_VIEW, "children"),
        Output(ids.INCIDENT_VIEW, "className"),
        Output(ids.INCIDENT_SHOWN, "data"),
        Input(ids.INCIDENT_TICK, "n_intervals"),
        State(ids.INCIDENT_CONFIG, "data"),
        State(ids.INCIDENT_SHOWN, "data"),
    )
    async def follow(_n: int | None, config: Any, shown: Any) -> tuple[Any, Any, Any]:
        lang = lang_of((config or {}).get("lang"))
        try:
            seen, children, class_name = await asyncio.to_thread(
                read_layer, wall, lang, may_end(caller())
            )
        except redis.RedisError:
            raise PreventUpdate from None
        if seen == shown:  # the same digest of the same incident
            raise PreventUpdate
        return children, class_name, seen

    @app.callback(
        Output(ids.INCIDENT_OUTCOME, "children"),
        Input(ids.INCIDENT_END, "n_clicks"),
        State(ids.INCIDENT_CONFIG, "data"),
        State(ids.INCIDENT_SHOWN, "data"),
        prevent_initial_call=True,
    )
    async def end(clicks: int | None, config: Any, shown: Any) -> Any:
        """End the incident the page shows (not whichever is newest when the click lands)."""
        who = caller()
        incident_id = (shown or {}).get("incident") if isinstance(shown, dict) else None
        if not clicks or not may_end(who) or who is None:
            raise PreventUpdate
        if not incident_id:
            return no_update
        lang = lang_of((config or {}).get("lang"))
        try:
            await asyncio.to_thread(
                store.end, wall.r, wall.keys, incident_id, actor=who.name, at=wall.clock()
            )
        except store.IncidentError as exc:
            return str(exc)
        return t("incident.ended", lang)
