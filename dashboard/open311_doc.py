"""What the Open311 routes take and answer, for the API's description (GeoReport v2).

The routes read their form and query themselves (the spec's names: `long`, `attribute[x]`,
comma-delimited lists), so their parameters are written here, from the adapter's own limits
(ingest/feeds/open311.py ServiceRequest) and the router's (dashboard/open311_api.py).
"""

from __future__ import annotations

from typing import Any

from ingest.feeds.open311 import services

ERRORS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "GeoReport v2 errors",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
ERRORS = {"application/json": {"schema": ERRORS_SCHEMA}}
NOT_BLANK = r"\S"  # the adapter strips values and drops empty ones: blank is not sent


def _text(limit: int | None = None) -> dict[str, Any]:
    return {"type": "string"} | ({"maxLength": limit} if limit is not None else {})


def _located_by(*names: str) -> dict[str, Any]:
    """The request's place is given by ``names`` (lat and long go together; an address is
    more than blanks); lat or long alone is not a place."""
    if "lat" in names:
        return {"required": list(names)}
    lat_long = [{"required": ["lat"]}, {"required": ["long"]}]
    given = {n: {"type": "string", "pattern": NOT_BLANK} for n in names}
    return {"required": list(names), "properties": given, "not": {"anyOf": lat_long}}


def request_form() -> dict[str, Any]:
    """POST Service Request: the form's fields. A place is required (lat and long, or an
    address); `attribute[<code>]` fields are taken as they come."""
    return {
        "type": "object",
        "required": ["service_code"],
        "properties": {
            "service_code": {"type": "string", "enum": sorted(services())},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
            "address_string": _text(500),  # blanks alone: not sent
            "address_id": _text(200),
            "description": _text(4000),
            "media_url": _text(2000),
            "email": _text(),
            "first_name": _text(),
            "last_name": _text(),
            "phone": _text(),
            "device_id": _text(),
            "account_id": _text(),
            "idempotency_key": _text(200),
        },
        # Each field once (a repeated one is refused); `attribute[<code>][]` may repeat.
        "patternProperties": {
            r"^attribute\[[^\[\]]+\]\[\]$": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            }
        },
        "additionalProperties": {"type": "string"},
        "anyOf": [
            _located_by("lat", "long"),
            _located_by("address_string"),
            _located_by("address_id"),
        ],
    }


def list_parameters() -> list[dict[str, Any]]:
    """GET Service Requests: its query arguments (lists are comma-delimited)."""

    def arg(name: str, schema: dict[str, Any], what: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            "description": what,
        }

    when = {"anyOf": [{"type": "string", "format": "date-time"}, {"const": ""}]}
    return [
        arg("service_request_id", _text(), "ids, comma-delimited; they win over the rest"),
        arg("service_code", _text(), "service codes, comma-delimited"),
        arg("status", {"type": "string", "enum": ["open", "closed"]}, "open or closed"),
        arg("start_date", when, "W3C date-time (empty: not given)"),
        arg("end_date", when, "W3C date-time, at most 90 days after start_date"),
    ]


def post_request() -> dict[str, Any]:
    """The POST route's `openapi_extra`: its form body."""
    form = {"application/x-www-form-urlencoded": {"schema": request_form()}}
    return {"requestBody": {"required": True, "content": form}}
