"""Open311 GeoReport v2 under /open311/v2 (JSON): services, new requests, their status.

A new request goes through the open311 adapter and the Redis sink like any intake; its
status is read back from the case the engine made of it (case id ``open311:<id>``).
Errors are the spec's array of ``{"code", "description"}``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote

import redis
import redis.asyncio as aredis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from redis.backoff import ConstantBackoff
from redis.retry import Retry

from cases.store import get_cases
from core.event import DeadLetter
from core.keys import Keys
from core.settings import Settings
from core.times import BEIJING, epoch_ms, parse_source_time
from dashboard.open311_doc import ERRORS, list_parameters, post_request
from ingest.adapter import Result
from ingest.feeds.open311 import ADAPTER, FEED, UNKNOWN_SERVICE, code_of, services
from ingest.guard import Guard
from ingest.http import (
    RETRY_AFTER_DOC,
    RETRY_LATER,
    BodyRefusedError,
    Intake,
    foreign_origin,
    read_body,
)
from ingest.offload import Offload
from ingest.sink import REDIS_DOWN, RedisSink

PREFIX = "/open311/v2"
MAX_SPAN = timedelta(days=90)  # the spec's default window and longest range
MAX_RESULTS = 1000  # the spec's default query limit
PAGE = 1000
STATUSES = ("open", "closed")


class Answer(JSONResponse):
    media_type = "application/json; charset=utf-8"  # the spec asks for the charset


def error(status: int, description: str, headers: dict[str, str] | None = None) -> Answer:
    body = [{"code": status, "description": description}]
    return Answer(body, status_code=status, headers=headers)


def receive(
    settings: Settings, body: bytes, authorization: str, idempotency: str, received_at: datetime
) -> Result | None:
    """A POST body's one Event or DeadLetter; None when its api_key is wrong. Module level:
    a large body's form is read in a worker, off the event loop."""
    if not authorised(settings, body, authorization):
        return None
    [result] = ADAPTER.parse(with_idempotency_key(body, idempotency), received_at)
    return result


class QueryError(ValueError):
    """A GET Service Requests argument that cannot be honoured: a 400."""


def authorised(settings: Settings, body: bytes, header: str) -> bool:
    """The spec's api_key (form argument, or a Bearer header) when open311 has a token. With
    access control on, the guard has already checked the client's stored open311 token (a
    Bearer header), and this setting is not read."""
    token = None if settings.access_control else settings.ingest_tokens.get(FEED)
    if token is None:
        return True
    scheme, _, bearer = (header or "").partition(" ")
    given = parse_qs(body.decode("utf-8", errors="replace")).get("api_key", [""])[-1]
    if scheme.lower() == "bearer" and not given:
        given = bearer
    return hmac.compare_digest(given.encode(), token.get_secret_value().encode())


def with_idempotency_key(body: bytes, header: str) -> bytes:
    """The ``Idempotency-Key`` header as the form's ``idempotency_key``, unless it has one."""
    form = parse_qs(body.decode("utf-8", errors="replace"))
    if not header.strip() or form.get("idempotency_key"):
        return body
    return body + f"&idempotency_key={quote(header.strip())}".encode()


def service_list() -> list[dict[str, Any]]:
    """GET Service List: every service of the mapping table, none needing a definition."""
    return [
        {
            "service_code": code,
            "service_name": s["service_name"],
            "description": s["description"],
            "metadata": False,
            "type": "realtime",
            "keywords": s["keywords"],
            "group": s["group"],
        }
        for code, s in services().items()
    ]


def w3(value: str | None) -> str | None:
    """A stored UTC time as the spec's W3C date-time, on Beijing's clock with its offset."""
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(BEIJING).isoformat(timespec="seconds")


def as_request(case: dict[str, Any]) -> dict[str, Any]:
    """One case as a GeoReport v2 service request."""
    srid = str(case["source_id"])
    service = services().get(code_of(srid), {})
    cancelled = case.get("stage") == "cancelled"
    return {
        "service_request_id": srid,
        "status": case["status"],
        "status_notes": "cancelled" if cancelled else None,
        "service_name": service.get("service_name", case.get("title")),
        "service_code": code_of(srid),
        "description": case.get("description") or None,
        "agency_responsible": None,
        "service_notice": service.get("notice"),
        "requested_datetime": w3(case.get("reported_at")),
        "updated_datetime": w3(case.get("updated_at")),
        "expected_datetime": w3(case.get("response_due")),
        "address": case.get("address") or None,
        "address_id": None,
        "zipcode": None,
        "lat": case.get("lat"),
        "long": case.get("lon"),
        "media_url": None,
    }


def listed(request: Request, name: str) -> list[str]:
    """An argument that may be repeated and comma-delimited; empty means not given."""
    raw = request.query_params.getlist(name)
    return [v.strip() for value in raw for v in value.split(",") if v.strip()]


@dataclass(frozen=True, slots=True)
class Query:
    """GET Service Requests arguments, checked."""

    ids: list[str]
    codes: set[str]
    statuses: set[str]
    start: datetime
    end: datetime

    @classmethod
    def of(cls, request: Request, now: datetime) -> Query:
        statuses = set(listed(request, "status"))
        if statuses - set(STATUSES):
            raise QueryError(f"status must be open or closed, not {sorted(statuses)}")
        start, end = (_date(request, "start_date"), _date(request, "end_date"))
        if start is None and end is None:
            start, end = now - MAX_SPAN, now
        elif start is None or end is None:
            try:
                start = start or (end or now) - MAX_SPAN
                end = end or start + MAX_SPAN
            except OverflowError:  # 90 days before year 1, after year 9999
                raise QueryError("start_date or end_date is out of range") from None
        if end < start or end - start > MAX_SPAN:
            raise QueryError("start_date..end_date must be in order and span at most 90 days")
        ids = listed(request, "service_request_id")
        return cls(ids, set(listed(request, "service_code")), statuses, start, end)


def _date(request: Request, name: str) -> datetime | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    try:
        return parse_source_time(value)
    except ValueError as exc:
        raise QueryError(f"{name} {value!r} is not a W3C date-time") from exc


def find(r: redis.Redis, keys: Keys, query: Query) -> list[dict[str, Any]]:
    """Matching requests, newest first: ids win over every other argument (the spec)."""
    if query.ids:
        return [as_request(c) for c in get_cases(r, keys, [f"{FEED}:{i}" for i in query.ids])]
    low, high = epoch_ms(query.start), epoch_ms(query.end)
    found: list[dict[str, Any]] = []
    offset = 0
    while len(found) < MAX_RESULTS:
        ids = r.zrevrangebyscore(keys.all_cases, high, low, start=offset, num=PAGE)
        if not ids:
            break
        offset += len(ids)
        wanted = [str(i) for i in ids if _wanted(str(i), query.codes)]  # decoded replies
        cases = get_cases(r, keys, wanted)
        found += [as_request(c) for c in cases if c["status"] in (query.statuses or STATUSES)]
    return found[:MAX_RESULTS]


def _wanted(case_id: str, codes: set[str]) -> bool:
    feed, _, srid = case_id.partition(":")
    return feed == FEED and (not codes or code_of(srid) in codes)


def open311_router(
    settings: Settings, client: aredis.Redis, shared: Intake | None = None
) -> APIRouter:
    """GeoReport v2 endpoints; POST writes through ``client`` and ``shared``'s sink (the
    intake's, so it spools like the rest of the intake; without one: no spool), GETs read the
    case store."""
    router = APIRouter(prefix=PREFIX, tags=["open311"])
    if not settings.redis_url:
        raise ValueError("open311_router needs settings.redis_url")
    keys = Keys(settings.key_prefix)
    sink = RedisSink(keys, settings.stream_maxlen, guard=Guard.of(settings))
    intake = shared or Intake(sink, Offload(0, 1 << 20))
    # The case store is synchronous; FastAPI runs the plain-def readers in its threadpool.
    # One quick retry: a reader waits for Redis seconds at most, then the app answers 503.
    reader = redis.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=5,
        retry=Retry(ConstantBackoff(0.05), 1),
    )

    @router.get("/services.json", summary="GET Service List")
    def list_services() -> Answer:
        return Answer(service_list())

    @router.get(
        "/services/{service_code}.json",
        summary="GET Service Definition",
        responses={404: {"description": "No such service", "content": ERRORS}},
    )
    def definition(service_code: str) -> Answer:
        if service_code not in services():
            return error(404, f"{UNKNOWN_SERVICE} {service_code!r}")
        return Answer({"service_code": service_code, "attributes": []})

    @router.post(
        "/requests.json",
        summary="POST Service Request (form-encoded)",
        status_code=201,
        openapi_extra=post_request(),
        responses={
            201: {"description": "Stored in Redis, or in the local spool while Redis is away "
                  "(the id is derived from the request: the case follows once it is back)",
                  "content": {"application/json": {"schema": {"type": "array"}}}},
            400: {"description": "Not a request the spec allows: kept as a dead letter",
                  "content": ERRORS},
            403: {"description": "A missing or wrong api_key, or sent by a web page of another "
                  "origin (its Origin header)", "content": ERRORS},
            404: {"description": "No such service_code", "content": ERRORS},
            413: {"description": "Body too large (refused before it is read whole)",
                  "content": ERRORS},
            503: {"description": "Nothing stored: Redis and the spool are unavailable",
                  "headers": RETRY_AFTER_DOC, "content": ERRORS},
        },
    )  # fmt: skip
    async def create(request: Request) -> Answer:
        if refused := foreign_origin(request):
            return error(403, refused)
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyRefusedError as exc:
            return error(exc.status, str(exc))
        kind = request.headers.get("content-type", "application/x-www-form-urlencoded")
        if not kind.startswith("application/x-www-form-urlencoded"):
            return error(400, f"send application/x-www-form-urlencoded, not {kind}")
        headers = (
            request.headers.get("authorization", ""),
            request.headers.get("idempotency-key", ""),
        )
        result = await intake.offload.run(
            len(body), receive, settings, body, *headers, datetime.now(UTC)
        )
        if result is None:
            return error(403, "invalid or missing api_key: cannot create the request")
        try:
            await intake.sink.write_async(client, [result])
        except REDIS_DOWN:
            return error(503, "not stored, Redis unreachable: send again", RETRY_LATER)
        if isinstance(result, DeadLetter):
            status = 404 if result.reason.startswith(UNKNOWN_SERVICE) else 400
            return error(status, result.reason)
        code = result.attrs["service_code"]
        account = result.attrs["reporter"].get("account_id")
        notice = services()[code]["notice"]
        srid = result.source_id
        return Answer(
            [{"service_request_id": srid, "service_notice": notice, "account_id": account}],
            status_code=201,
        )

    @router.get(
        "/requests.json",
        summary="GET Service Requests",
        openapi_extra={"parameters": list_parameters()},
        responses={400: {"description": "An argument that cannot be honoured (a date that "
                         "is not W3C, a range out of order or over 90 days)", "content": ERRORS}},
    )  # fmt: skip
    def list_requests(request: Request) -> Answer:
        # Redis away raises through: the app answers 503 (dashboard/unavailable.py).
        try:
            query = Query.of(request, datetime.now(UTC))
        except QueryError as exc:
            return error(400, str(exc))
        return Answer(find(reader, keys, query))

    @router.get(
        "/requests/{service_request_id}.json",
        summary="GET Service Request",
        responses={404: {"description": "No such request", "content": ERRORS}},
    )
    def one_request(service_request_id: str) -> Answer:
        cases = get_cases(reader, keys, [f"{FEED}:{service_request_id}"])
        if not cases:
            return error(404, f"no service request {service_request_id!r}")
        return Answer([as_request(cases[0])])

    return router
