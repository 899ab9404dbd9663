"""The console's case panel: everything the API has of one case, as text, and the buttons of
exactly the actions its stage allows the caller.

Every feed text goes in as a text node (never markup). The roster's phone numbers are
`tel:` links; reporters come as the API shows them to the caller's role (masked but for duty
and admin, access/personal.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dash import dcc, html

from access.policy import ACTION_ROLES, TEAM_ACTIONS
from access.roles import Principal
from core.times import beijing
from dashboard import ids
from dashboard.i18n import Lang, t
from dashboard.view import category_label, place
from layers.town import Person

# The buttons, in the order a case moves; verify is two (passed, failed).
ORDER = (
    "register",
    "dispatch",
    "accept",
    "handle",
    "verify",
    "return",
    "extend",
    "park",
    "resume",
    "close",
    "escalate",
    "merge",
    "cancel",
)
NEEDS_REASON = frozenset({"return", "park", "cancel", "escalate"})
# The frequent ones by keyboard: Alt and the key (assets/console.js), named on each button.
SHORTCUTS = {
    ("register", "do"): "r",
    ("dispatch", "do"): "d",
    ("accept", "do"): "a",
    ("handle", "do"): "f",
    ("verify", "pass"): "v",
    ("close", "do"): "c",
}


def button_actions(
    allowed: Iterable[str], case: Mapping[str, Any], who: Principal | None
) -> list[str]:
    """The actions the caller may take on this case now: the stage allows them, the caller's
    role may ask for them, and a handler's team is the case's (None: access control off)."""
    shown = []
    for action in ORDER:
        if action not in allowed:
            continue
        if who is not None:
            if who.role not in ACTION_ROLES.get(action, frozenset()):
                continue
            if action in TEAM_ACTIONS and case.get("department") != who.team:
                continue
        shown.append(action)
    return shown


def label(action: str, lang: Lang, passed: bool | None = None) -> str:
    if action == "verify":
        return t("console.verify_pass" if passed else "console.verify_fail", lang)
    return t(f"console.action.{action}", lang)


def action_buttons(actions: Sequence[str], lang: Lang, form: ids.FormIds) -> list[html.Button]:
    buttons = []
    for action in actions:
        variants = [("pass", True), ("fail", False)] if action == "verify" else [("do", None)]
        for kind, passed in variants:
            buttons.append(
                html.Button(
                    label(action, lang, passed),
                    id=form.button(action, kind),
                    className=f"console-act console-act-{action}",
                    n_clicks=0,
                    **_shortcut(SHORTCUTS.get((action, kind)), lang),
                )
            )
    return buttons


def _shortcut(key: str | None, lang: Lang) -> Any:
    """A button's access key, said in its tooltip and to assistive technology."""
    if key is None:
        return {}
    named = f"Alt+{key.upper()}"
    return {"data-shortcut": key, "title": t("console.shortcut", lang, keys=named),
            "aria-keyshortcuts": named}  # fmt: skip


def _time(value: str | None) -> str:
    if not value:
        return "—"
    from datetime import datetime

    return beijing(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _row(term: str, value: Any) -> list[Any]:
    return [html.Dt(term), html.Dd(str(value) if value not in (None, "") else "—")]


def facts(case: Mapping[str, Any], lang: Lang, team_names: Mapping[str, str]) -> html.Dl:
    who = case.get("responsible") or {}
    rows = [
        ("console.f.id", case["id"]),
        ("console.f.category", category_label(dict(case), lang)),
        ("console.f.stage", case.get("stage_zh") if lang == "zh" else case.get("stage_en")),
        ("console.f.level", t(f"level.{case.get('level') or 'grid'}", lang)),
        (
            "console.f.department",
            team_names.get(case.get("department") or "", case.get("department")),
        ),
        ("console.f.place", place(dict(case), lang)),
        ("console.f.address", case.get("address")),
        ("console.f.reported", _time(case.get("reported_at"))),
        ("console.f.response_due", _time(case.get("response_countdown"))),
        ("console.f.handling_due", _time(case.get("handling_due"))),
        (
            "console.f.responsible",
            f"{who.get('role_name', '')} {who.get('name', '')}".strip() if who else None,
        ),
    ]
    children: list[Any] = []
    for key, value in rows:
        children += _row(t(key, lang), value)
    return html.Dl(children, className="console-facts")


def change_label(change: str, lang: Lang) -> str:
    """A history entry's type in words (立案, 派遣 …); the type itself if it has none."""
    try:
        return t(f"change.{change}", lang)
    except KeyError:
        return change


def history(entries: Sequence[Mapping[str, Any]], lang: Lang) -> html.Table:
    head = html.Tr([html.Th(t(f"console.h.{k}", lang)) for k in ("at", "type", "actor", "reason")])
    body = [
        html.Tr(
            [
                html.Td(_time(e.get("at"))),
                html.Td(change_label(str(e.get("type", "")), lang)),
                html.Td(str(e.get("actor_name") or e.get("actor") or "")),
                html.Td(str(e.get("reason") or "")),
            ]
        )
        for e in entries
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="console-history")


def roster(people: Sequence[Person]) -> html.Ul:
    return html.Ul(
        [
            html.Li([f"{p.role_name} {p.name} ", html.A(p.phone, href=f"tel:{p.phone}")])
            for p in people
        ],
        className="console-roster",
    )


def _listed(lines: Sequence[str], lang: Lang, class_name: str) -> html.Ul | html.P:
    """One line of text each, or "none"."""
    if not lines:
        return html.P(t("console.none", lang), className="console-hint")
    return html.Ul([html.Li(line) for line in lines], className=class_name)


def reporters(found: Sequence[Mapping[str, str]], lang: Lang) -> html.Ul | html.P:
    fields = ("name", "phone", "email")
    lines = [" ".join(str(r[k]) for k in fields if r.get(k)) for r in found]
    return _listed(lines, lang, "console-reporters")


def duplicates(found: Sequence[Mapping[str, Any]], lang: Lang) -> html.Ul | html.P:
    lines = [
        f"{d['id']} · {_time(d.get('reported_at'))} · {d.get('description') or ''}" for d in found
    ]
    return _listed(lines, lang, "console-duplicates")


def photos(urls: Sequence[str], lang: Lang) -> html.Ul | html.P:
    """Each photo as a link that opens it (a new tab; no referrer): the centre never loads a
    feed's address into its own page (the page's policy allows its own images only)."""
    if not urls:
        return html.P(t("console.none", lang), className="console-hint")
    return html.Ul(
        [
            html.Li(
                html.A(
                    t("console.photo", lang, n=str(n)),
                    href=url,
                    target="_blank",
                    rel="noopener noreferrer",
                )
            )
            for n, url in enumerate(urls, start=1)
        ],
        className="console-photos",
    )


def case_panel(
    case: Mapping[str, Any],
    people: Sequence[Person],
    lang: Lang,
    team_names: Mapping[str, str],
    where: Any = None,
) -> list[Any]:
    """The panel's children: the facts, the description, ``where`` (a small map), the
    photos, duplicates, history, the grid's 一长五员 and the reporters."""

    def section(key: str, *children: Any) -> html.Section:
        return html.Section([html.H3(t(key, lang)), *children], className="console-section")

    return [
        html.H2(str(case.get("title") or case["id"]), className="console-case-title"),
        facts(case, lang, team_names),
        section("console.description", html.P(str(case.get("description") or "—"))),
        *([section("console.where", where)] if where is not None else []),
        section("console.photos", photos(case.get("photos") or [], lang)),
        section("console.duplicates", duplicates(case.get("duplicates") or [], lang)),
        section("console.history", history(case.get("history") or [], lang)),
        section("console.roster", roster(people)),
        section("console.reporters", reporters(case.get("reporters") or [], lang)),
    ]


def action_form(
    actions: Sequence[str],
    lang: Lang,
    teams: Sequence[tuple[str, str]],
    suggested: str | None,
    form: ids.FormIds = ids.CONSOLE_FORM,
    parents: Sequence[tuple[str, str]] = (),
) -> list[Any]:
    """The reason box, the fields the shown actions need, and their buttons (with the ids
    of ``form``: each page has its own). ``parents``: the cases offered for 合并 (id, label),
    nearest first; typing another case's whole id offers it too (the console's search)."""
    children: list[Any] = [
        html.Label(t("console.reason", lang), htmlFor=form.reason),
        dcc.Input(id=form.reason, type="text", debounce=False, className="console-input"),
    ]
    ordered = sorted(teams, key=lambda team: team[0] != suggested)  # the routing's first
    children += [
        html.Label(
            t("console.department", lang),
            htmlFor=form.department,
            hidden="dispatch" not in actions,
        ),
        dcc.Dropdown(
            id=form.department,
            options=[{"label": name, "value": code} for code, name in ordered],
            value=suggested,
            clearable=False,
            className="console-dropdown",
            style={} if "dispatch" in actions else {"display": "none"},
        ),
        html.Label(
            t("console.deadline", lang),
            htmlFor=form.deadline,
            hidden="extend" not in actions,
        ),
        dcc.Input(
            id=form.deadline,
            type="text",
            placeholder="2026-12-08 17:00",
            className="console-input",
            style={} if "extend" in actions else {"display": "none"},
        ),
        html.Label(t("console.parent", lang), htmlFor=form.parent, hidden="merge" not in actions),
        dcc.Dropdown(
            id=form.parent,
            options=[{"label": text, "value": case_id} for case_id, text in parents],
            searchable=True,
            placeholder=t("console.parent_hint", lang),
            className="console-dropdown",
            style={} if "merge" in actions else {"display": "none"},
        ),
        html.Div(
            action_buttons(actions, lang, form) or t("console.no_actions", lang),
            className="console-buttons",
        ),
    ]
    return children
