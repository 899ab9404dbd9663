"""The tablet's emergency view (`?view=emergency`): the incidents, newest first, each with
its report; and for a leader the form that declares one (dashboard/declare.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from dashboard import ids
from dashboard.components.incident_view import when
from dashboard.declare import RADII, TITLE_MAX
from dashboard.i18n import Lang, t


def emergency_view(incidents: Sequence[dict[str, Any]], lang: Lang) -> list[Any]:
    rows = []
    for incident in incidents:
        status = (
            t("report.active", lang) if incident["status"] == "active" else t("report.ended", lang)
        )
        report = f"/incidents/{incident['id']}/report" + ("?lang=en" if lang == "en" else "")
        since = when(incident["declared_at"], lang)
        link = html.A(
            t("declare.report", lang), href=report, target="_blank", className="tablet-tap"
        )
        rows.append(html.Li([html.Strong(incident["title"]), f" · {status} · {since} · ", link]))
    return [
        html.H2(t("declare.title", lang), className="tablet-title"),
        html.Ul(rows or [html.Li(t("incident.none", lang))], className="tablet-incidents"),
    ]


def declare_form(options: list[dict[str, str]], lang: Lang) -> list[Any]:
    """Title, place, radius and the button (a leader's)."""
    radii = [{"label": f"{r} m" if r < 1000 else f"{r // 1000} km", "value": r} for r in RADII]
    return [
        html.Div(className="tablet-declare-form", children=[
            html.H3(t("declare.form", lang)),
            html.Label(t("declare.name", lang), htmlFor=ids.TABLET_DECLARE_TITLE),
            dcc.Input(id=ids.TABLET_DECLARE_TITLE, type="text", maxLength=TITLE_MAX,
                      className="tablet-input"),
            html.Fieldset([
                html.Legend(t("declare.where", lang)),
                dcc.RadioItems(id=ids.TABLET_DECLARE_WHERE, options=options,
                               value=options[0]["value"] if options else None,
                               className="tablet-radios"),
            ]),
            html.Fieldset([
                html.Legend(t("declare.radius", lang)),
                dcc.RadioItems(id=ids.TABLET_DECLARE_RADIUS, options=radii, value=RADII[1],
                               inline=True, className="tablet-radios"),
            ]),
            html.Button(t("declare.button", lang), id=ids.TABLET_DECLARE_BUTTON, n_clicks=0,
                        className="tablet-tap tablet-declare"),
            html.P(id=ids.TABLET_DECLARE_OUTCOME, role="status"),
        ]),
    ]  # fmt: skip
