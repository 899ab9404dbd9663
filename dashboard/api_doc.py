"""The API's description says every answer a route can give, not only the ones its code names.

FastAPI writes what each route declares. The layers in front of the routes answer too: the
host check (400), the guard (401, 403, 429 for a caller's writes over their rate, and 503
when Redis cannot say who is calling), the body limits (413) and the outage handler (503).
This module adds those answers to every
operation they apply to, from the same facts the layers act on: the permission table
(access/policy.py) says which routes are guarded, and the route says whether it takes a body.
Each answer carries its body's schema; an answer a route documents itself keeps its own shape,
joined (anyOf) with the layer's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from access.policy import find
from dashboard.guard import SESSION_COOKIE
from ingest.http import RETRY_AFTER_DOC

Doc = dict[str, Any]

# Every refusal of ours and of FastAPI's: `detail` says why (a text, or the validation's
# list); the guard adds `reason_zh`, a refused action the case's stage and more.
REFUSAL: Doc = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]},
        "reason_zh": {"type": "string"},
    },
}
JSON = "application/json"
BAD_HOST = {"text/plain": {"schema": {"type": "string"}}}  # Starlette's TrustedHost answer
WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
SCHEMES: Doc = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `towncc token create --role ROLE --name NAME`.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "Set by `POST /auth/login` (or a screen's `/wall?token=`); a write "
        "with it carries the sign-in's `csrf_token` in `X-CSRF-Token`.",
    },
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def example_path(path: str) -> str:
    """A request path for a template: each `{name}` an example segment."""
    out, depth = [], 0
    for ch in path:
        if ch == "{":
            depth += 1
            out.append("x")
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _add(op: Doc, status: int, description: str, content: Doc, headers: Doc | None = None) -> None:
    """Document ``status`` on ``op``: as given, or joined with what the route says of it."""
    responses = op.setdefault("responses", {})
    answer = responses.setdefault(str(status), {"description": description})
    known = answer.setdefault("content", {})
    for media, entry in content.items():
        own = known.get(media, {}).get("schema")
        schema = entry["schema"]
        known[media] = {"schema": schema if not own or own == schema else {"anyOf": [own, schema]}}
    if headers:
        answer.setdefault("headers", {}).update(headers)


def complete(doc: Doc, *, guarded: bool) -> Doc:
    """Every operation of ``doc`` with the layers' answers (``guarded``: the guard is on)."""
    doc.setdefault("components", {})["securitySchemes"] = SCHEMES if guarded else {}
    refusal = {JSON: {"schema": REFUSAL}}
    outage = {JSON: {"schema": {"anyOf": [REFUSAL, {"type": "array"}]}}}  # Open311's: a list
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            found = find(method.upper(), example_path(path))
            takes_body = "requestBody" in op
            _add(op, 400, "The Host is not one this server answers to (text), or the body "
                 "could not be read", {**BAD_HOST, **(refusal if takes_body else {})})  # fmt: skip
            if takes_body:
                _add(op, 413, "Body too large (refused before it is read whole)", refusal)
            if "422" in op.get("responses", {}):  # FastAPI's validation; ours say it in words
                op["responses"]["422"]["content"] = {JSON: {"schema": REFUSAL}}
            _add(op, 503, "Redis did not answer: wait `Retry-After`", outage, RETRY_AFTER_DOC)
            if not guarded or found is None or found[0].open:
                op["security"] = []
                continue
            op["security"] = [{"bearer": []}, {"session": []}]
            _add(op, 401, "No one signed in: sign in, or send a token", refusal, WWW_AUTHENTICATE)
            _add(op, 403, "This role may not (the permission table, docs/security.md), or a "
                 "session's write without its X-CSRF-Token", refusal)  # fmt: skip
            if method != "get" and not found[0].feed:  # access/rates.py: a caller's writes
                _add(op, 429, "Too many writes: wait `Retry-After`", refusal, RETRY_AFTER_DOC)
    return doc


def describe_api(server: FastAPI, *, guarded: bool) -> None:
    """``server``'s /openapi.json, completed once, on its first request."""
    build: Callable[[], Doc] = server.openapi
    done: list[Doc] = []

    def openapi() -> Doc:
        if not done:
            done.append(complete(build(), guarded=guarded))
        return done[0]

    server.openapi = openapi  # type: ignore[method-assign]
