"""Open311 GeoReport v2 service requests, form-encoded: see docs/feeds/open311.md.

A request's ``service_request_id`` is derived from what was sent, so a client that re-sends
the same request (a retry after a timeout) gets the same id and the same case, never a
second one. A client that wants two identical-looking reports kept apart sends a different
``idempotency_key`` with each (or the ``Idempotency-Key`` header, which the router folds in).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.event import DeadLetter, Event, content_id
from ingest.adapter import FORM_MEDIA, RecordError, Result, describe, total
from ingest.mapping import mapping
from ingest.payload import BodyError, decode_text

FEED = "open311"
UNKNOWN_SERVICE = "unknown service_code"
# Never stored nor hashed: the key is a credential, and it says nothing about the request.
SECRET_FIELDS = frozenset({"api_key"})
ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
REPORTER = ("email", "first_name", "last_name", "phone", "device_id", "account_id")

Pairs = list[tuple[str, str]]


class ServiceRequest(BaseModel):
    """The POST Service Request arguments of GeoReport v2."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    service_code: str = Field(min_length=1, max_length=64)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: str = Field(default="", max_length=500)
    address_id: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    media_url: str = Field(default="", max_length=2000)
    jurisdiction_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    idempotency_key: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _located(self) -> ServiceRequest:
        if (self.lat is None) != (self.long is None):
            raise ValueError("lat and long must both be sent")
        if self.lat is None and not (self.address_string or self.address_id):
            raise ValueError("a location is required: lat & long, address_string or address_id")
        return self


def services() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = mapping(FEED)["services"]
    return table


def read_form(body: bytes) -> tuple[Pairs, str]:
    """The form's (name, value) pairs, empty ones dropped (the spec: empty is not sent), and
    the raw text to keep: the body itself, or re-encoded without its secrets."""
    try:
        text = decode_text(body).strip()
    except BodyError as exc:
        raise RecordError(str(exc)) from exc
    if not text:
        raise RecordError("empty body")
    if text[0] in "{[<":
        raise RecordError("body is not application/x-www-form-urlencoded")
    every = parse_qsl(text, keep_blank_values=True)
    kept = [(k, v) for k, v in every if k not in SECRET_FIELDS]
    raw = text if len(kept) == len(every) else urlencode(kept)
    return [(k, v) for k, v in kept if v.strip()], raw


def attributes(pairs: Pairs) -> dict[str, str | list[str]]:
    """``attribute[code]=v`` → code: v; ``attribute[code][]=v`` (multivaluelist) → code: [v, …]."""
    found: dict[str, str | list[str]] = {}
    for key, value in pairs:
        match = ATTRIBUTE.fullmatch(key)
        if match is None:
            continue
        code, many = match.groups()
        if many:
            previous = found.get(code, [])
            found[code] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            found[code] = value
    return found


def _fields(pairs: Pairs) -> dict[str, str]:
    """The single-valued arguments; one given twice is an error, not a silent choice."""
    fields: dict[str, str] = {}
    for key, value in pairs:
        if ATTRIBUTE.fullmatch(key):
            continue
        if key in fields:
            raise RecordError(f"field {key!r} given more than once")
        fields[key] = value
    return fields


def request_id(service_code: str, pairs: Pairs) -> str:
    """``<service_code>-<digest>``: the same arguments, in any order, give the same id."""
    canonical = urlencode(sorted(pairs))
    return f"{service_code}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


def code_of(service_request_id: str) -> str:
    """The service_code a service_request_id was made for."""
    return service_request_id.rpartition("-")[0]


def to_event(pairs: Pairs, raw: str, received_at: datetime) -> Event:
    try:
        req = ServiceRequest.model_validate(_fields(pairs))
    except ValidationError as exc:
        raise RecordError(describe(exc)) from exc
    service = services().get(req.service_code)
    if service is None:
        raise RecordError(f"{UNKNOWN_SERVICE} {req.service_code!r}; see services.json")
    srid = request_id(req.service_code, pairs)
    reporter = {name: getattr(req, name) for name in REPORTER if getattr(req, name)}
    attrs: dict[str, Any] = {
        "service_request_id": srid,
        "service_code": req.service_code,
        "service_name": service["service_name"],
        "address_id": req.address_id,
        "media_url": req.media_url,
        "jurisdiction_id": req.jurisdiction_id,
        "attributes": attributes(pairs),
        "reporter": reporter,
    }
    return Event(
        id=content_id(FEED, srid, {"form": sorted(pairs)}),
        feed=FEED,
        kind="report",
        source_id=srid,
        category=service["category"],
        title=service["service_name"],
        description=req.description,
        occurred_at=received_at,  # the form carries no time: it was made when it arrived
        received_at=received_at,
        lon=req.long,
        lat=req.lat,
        source_crs="WGS84" if req.lat is not None else None,
        address=req.address_string,
        status="new",
        attrs=attrs,
        raw=raw,
    )


class Open311Adapter:
    feed = FEED
    media_types = FORM_MEDIA

    @total
    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        """One form body is one request: one Event, or one DeadLetter with the reason."""
        try:
            pairs, raw = read_form(body)
        except RecordError as exc:
            text = body.decode("utf-8", errors="replace")
            yield DeadLetter(
                feed=FEED, reason=str(exc), raw=text, received_at=received_at, scope="body"
            )
            return
        try:
            yield to_event(pairs, raw, received_at)
        except RecordError as exc:
            code = dict(pairs).get("service_code")
            source = request_id(code, pairs) if code else None
            yield DeadLetter(
                feed=FEED, reason=str(exc), raw=raw, received_at=received_at, source_id=source
            )


ADAPTER = Open311Adapter()
