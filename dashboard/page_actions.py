"""What the pages people act from share (the console and the tablet): who is signed in, and
their action buttons, taken as `POST /api/cases/{id}/actions` takes them: the body a
button and its form ask for, checked by the API's own model, submitted through
`dashboard/api.py`'s `submit` as the signed-in user, and the outcome said in words (a
refusal with its `reason_zh`). The console and the tablet both act through here.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from dash import html
from fastapi import HTTPException
from pydantic import TypeAdapter

from access.roles import ROLES, Principal
from core.times import BEIJING
from dashboard.actions import ActionBody
from dashboard.api import submit
from dashboard.components.case_panel import label
from dashboard.context import WallContext
from dashboard.framework import request_state
from dashboard.i18n import Lang, t

WAIT_S = 2.0  # an action waits this long for the engine's outcome (else: pending)
_ADAPTER: TypeAdapter[Any] = TypeAdapter(ActionBody)  # a button's body, checked as the API does


def caller() -> Principal | None:
    """Who calls this callback or asks for this page (None: access control is off, or no
    request is being served)."""
    who = getattr(request_state(), "principal", None)
    return who if isinstance(who, Principal) else None


def signed_in_as(who: Principal | None, lang: Lang) -> str:
    """The header's "name (role)" of the signed-in person; "" for none."""
    if who is None:
        return ""
    return t("console.user", lang, name=who.display or who.name, role=ROLES.get(who.role, who.role))


def other_language(path: str, query: str, lang: Lang) -> str:
    """The same page and view in the other language."""
    pairs = [(k, v) for k, v in parse_qsl(query) if k != "lang"]
    other = urlencode(pairs + ([] if lang == "en" else [("lang", "en")]))
    return f"{path}?{other}" if other else path


def digest(value: Any) -> str:
    """A short fingerprint of what a page shows: a view is sent again only when it changes."""
    return hashlib.sha256(orjson.dumps(value, default=str)).hexdigest()[:16]


def request_body(
    action: str,
    kind: str,
    reason: str | None,
    department: str | None,
    deadline: str | None,
    parent: str | None,
) -> dict[str, Any]:
    """The body of `POST /api/cases/{id}/actions` a button and the form ask for."""
    body: dict[str, Any] = {"action": action, "actor": "console", "reason": (reason or "").strip()}
    if action == "verify":
        body["passed"] = kind == "pass"
    elif action == "dispatch":
        body["department"] = department or ""
    elif action == "handle":
        body["feedback"] = body["reason"]
    elif action == "extend":
        body["approver"] = "console"  # the signed-in leader is the approver (dashboard/api.py)
        body["new_deadline"] = _beijing_input(deadline)
    elif action == "merge":
        body["parent"] = (parent or "").strip()
    return body


async def perform(
    wall: WallContext, case_id: str, body: Mapping[str, Any], lang: Lang, who: Principal | None
) -> tuple[list[Any] | str, bool]:
    """Submit the action; what to say (with its time), and whether it reached the engine (a
    form left incomplete does not)."""
    if body["action"] == "dispatch" and not body["department"]:
        return t("console.need_department", lang), False
    try:
        parsed = _ADAPTER.validate_python(dict(body))
    except ValueError as exc:
        return t("console.invalid", lang, why=_first_error(exc)), False
    try:
        answer = await asyncio.to_thread(
            submit, wall.r, wall.keys, case_id, parsed, wall.clock(), WAIT_S, who
        )
    except HTTPException as exc:
        return _said(wall, t("console.refused", lang, why=str(exc.detail))), True
    outcome = orjson.loads(bytes(answer.body))
    done = label(str(body["action"]), lang, body.get("passed"))
    return _said(wall, f"{done}：{_outcome_text(outcome, lang)}"), True


def _said(wall: WallContext, text: str) -> list[Any]:
    """The outcome with the time it came, on Beijing's clock."""
    at = wall.clock().astimezone(BEIJING).strftime(" %H:%M:%S")
    return [text, html.Time(at, className="console-outcome-at")]


def _beijing_input(value: str | None) -> str:
    """The deadline typed (Beijing's clock, "2026-12-08 17:00") as an aware ISO time; the
    text as it is when it is not a time (the API then says what is wrong)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    return moment.replace(tzinfo=moment.tzinfo or BEIJING).astimezone(UTC).isoformat()


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return str(found[0].get("msg", exc))
    return str(exc)


def _outcome_text(outcome: Mapping[str, Any], lang: Lang) -> str:
    state = outcome.get("outcome")
    if state == "applied":
        return t("console.applied", lang)
    if state == "refused":
        why = outcome.get("reason_zh") if lang == "zh" else outcome.get("reason")
        return t("console.refused", lang, why=str(why or ""))
    return t("console.pending", lang)
