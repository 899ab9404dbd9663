"""The JSON API: cases (list, one with its history), operator actions, the health check.

Actions never write a projection: a legal one is appended to the `commands` stream and the
engine applies it (checking its guards again); the answer waits for the engine's outcome.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
import redis
from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from redis.typing import EncodableT, FieldT

from access.personal import contact_for
from access.policy import ACTION_ROLES, TEAM_ACTIONS
from access.roles import Principal
from cases.commands import check, refused_body
from cases.counts import read_counts
from cases.facets import matching
from cases.lifecycle import IllegalCommand
from cases.lifecycle_events import Command, Extend, Merge, command_to_dict
from cases.reporters import photos, reporters, source_records
from cases.store import (
    case_history,
    command_outcome,
    duplicates,
    get_case,
    get_cases,
    load_case,
    wait_outcome,
)
from core.keys import Keys
from core.replies import text
from core.settings import Settings
from dashboard.actions import ActionBody, to_command
from dashboard.api_doc import JSON, REFUSAL
from dashboard.guard import SMALL_BODY, principal_of
from dashboard.health import notices
from ingest import deadletters, freshness
from ingest.feeds import FEEDS
from ingest.http import RETRY_AFTER_DOC, RETRY_LATER

Status = Literal["open", "closed", "all"]
SCAN_PAGE = 500
# How long an action waits for the engine before answering 202 (below the socket timeout).
WAIT_S = 3.0
COMMANDS_MAXLEN = 100_000
MAX_OFFSET = 1 << 40  # Redis takes 64-bit offsets; no town has a trillion cases
STREAM_ID = r"^[0-9]{1,19}-[0-9]{1,19}$"  # an entry id: two numbers that fit 64 bits
ACTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Applied by the engine: the outcome and the case as it now is"},
    202: {"description": "Queued, not applied within the wait: poll `status_url`"},
    404: {"description": "No such case"},
    409: {"description": "Refused, with the reason (by the check or by the engine)"},
    422: {"description": "Not a well-formed action body"},
    503: {
        "description": "Redis did not answer: read the case before retrying",
        "headers": RETRY_AFTER_DOC,
    },
}


# ---- the routes ----------------------------------------------------------------------------


def closed_cases(
    r: redis.Redis, keys: Keys, limit: int, offset: int = 0, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Closed cases, newest report first, from the ``offset``-th: walks every case id, a page
    at a time."""
    found: list[dict[str, Any]] = []
    start = 0
    while len(found) < offset + limit:
        ids = [text(i) for i in r.zrevrange(keys.all_cases, start, start + SCAN_PAGE - 1)]
        if not ids:
            break
        found += [c for c in get_cases(r, keys, ids, now) if c.get("status") == "closed"]
        start += SCAN_PAGE
    return found[offset : offset + limit]


def list_cases(
    r: redis.Redis,
    keys: Keys,
    status: Status,
    limit: int,
    offset: int = 0,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """A page of cases, newest report first, each with its view at ``now`` (cases/view.py)."""
    if status == "closed":
        return closed_cases(r, keys, limit, offset, now)
    index = keys.open_cases if status == "open" else keys.all_cases
    ids = [text(i) for i in r.zrevrange(index, offset, offset + limit - 1)]
    return get_cases(r, keys, ids, now)


def case_detail(
    r: redis.Redis, keys: Keys, case_id: str, who: Principal | None, now: datetime | None = None
) -> dict[str, Any] | None:
    """One case as `GET /api/cases/{id}` gives it to ``who`` (the console reads the same):
    its view at ``now``, its history, its duplicates, its reporters (masked but for duty
    and admin) and its photos' addresses; None when there is no such case."""
    found = get_cases(r, keys, [case_id], now)
    if not found:
        return None
    records = source_records(r, keys, case_id)
    return {
        **found[0],
        "history": case_history(r, keys, case_id),
        "duplicates": duplicates(r, keys, case_id),
        "reporters": [
            {"case_id": c["case_id"], "feed": c["feed"], **contact_for(c, who)}
            for c in reporters(records)
        ],
        "photos": photos(records),
    }


def next_link(request: Request, offset: int, limit: int, count: int) -> dict[str, str]:
    """The `Link` header to the next page (RFC 8288) while a page came back full: the same
    query with the next offset."""
    if count < limit:
        return {}
    url = request.url.include_query_params(offset=offset + limit, limit=limit)
    return {"Link": f'<{url.path}?{url.query}>; rel="next"'}  # relative: right behind a proxy


def submit(
    r: redis.Redis,
    keys: Keys,
    case_id: str,
    body: Any,
    at: datetime,
    wait_s: float,
    who: Principal | None = None,
) -> JSONResponse:
    """Check an action against the case, queue it, and answer with the engine's outcome.
    ``who``: the signed-in caller (None: access control is off and the body names the actor)."""
    command = to_command(body, at)
    if who is not None:
        if who.role not in ACTION_ROLES.get(body.action, frozenset()):
            raise HTTPException(403, detail=f"the role {who.role} may not {body.action} a case")
        command = dataclasses.replace(command, actor=who.name)
        if isinstance(command, Extend):  # the leader who asks for it is its approver
            command = dataclasses.replace(command, approver=who.display or who.name)
    elif not command.actor:
        raise HTTPException(422, detail="the body needs an actor: who acts (no one is signed in)")
    try:
        case = load_case(r, keys, case_id)
        parent = load_case(r, keys, command.parent_id) if isinstance(command, Merge) else None
    except redis.RedisError as exc:
        raise HTTPException(status_code=503, detail="Redis did not answer: nothing queued") from exc
    if case is None:
        raise HTTPException(status_code=404, detail=f"no case with id {case_id!r}")
    if who is not None and body.action in TEAM_ACTIONS and case.department != who.team:
        raise HTTPException(403, detail=f"case {case_id} is not for the team {who.team}")
    try:
        check(case, command, parent)
    except IllegalCommand as why:  # nothing queued, nothing changed
        return JSONResponse(refused_body(None, body.action, case_id, case, why), status_code=409)
    command_id = _queue(r, keys, case_id, command, body.reason, who.display if who else "")
    try:
        outcome = wait_outcome(r, keys, command_id, wait_s)
    except redis.RedisError:
        outcome = None  # queued: the engine will apply it, we just cannot see it now
    return answer(r, keys, command_id, outcome)


def _queue(
    r: redis.Redis, keys: Keys, case_id: str, command: Command, reason: str, actor_name: str
) -> str:
    """Append the command to `commands`; its entry id is the command's id. ``actor_name``:
    the signed-in actor's display name, which the history keeps beside their user name."""
    fields: dict[FieldT, EncodableT] = {
        "case_id": case_id,
        "c": orjson.dumps(command_to_dict(command)),
        "reason": reason,
    }
    if actor_name:
        fields["actor_name"] = actor_name
    try:
        return text(r.xadd(keys.commands, fields, maxlen=COMMANDS_MAXLEN, approximate=True))
    except redis.RedisError as exc:  # the XADD may have happened before the link broke
        detail = "Redis did not answer: the action may not have been queued; read the case first"
        raise HTTPException(status_code=503, detail=detail) from exc


def answer(
    r: redis.Redis, keys: Keys, command_id: str, outcome: dict[str, Any] | None
) -> JSONResponse:
    """200 applied (with the case now), 409 refused by the engine, 202 not yet known."""
    if outcome is None or outcome["outcome"] == "pending":
        url = f"/api/commands/{command_id}"
        body = {"command_id": command_id, "outcome": "pending", "status_url": url}
        return JSONResponse(body, status_code=202, headers={"Location": url})
    if outcome["outcome"] == "refused":
        return JSONResponse(outcome, status_code=409)
    try:
        case = get_case(r, keys, outcome["case_id"])
    except redis.RedisError:
        case = None  # applied all the same: say so, without the case
    return JSONResponse({**outcome, "case": case})


Facet = Annotated[str | None, Query(max_length=100)]
TOTAL = "X-Total-Count"
FILTER_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Filters asked of closed cases (they apply to open ones)",
        "content": {JSON: {"schema": REFUSAL}},
    }
}


def api_router(
    r: redis.Redis,
    keys: Keys,
    *,
    wait_s: float = WAIT_S,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    settings: Settings | None = None,
) -> APIRouter:
    """Plain `def` handlers: FastAPI runs them in its threadpool, the sync client is fine.

    ``settings`` are what the health checks read (defaults when not given, as in tests).
    """
    router = APIRouter()
    health_settings = settings or Settings.model_construct()

    @router.get("/api/cases", responses=FILTER_RESPONSES)
    def cases(
        request: Request,
        status: Status = "open",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        village: Facet = None,
        grid: Facet = None,
        category: Facet = None,
        stage: Facet = None,
        department: Facet = None,
        level: Annotated[Literal["grid", "village", "town"] | None, Query()] = None,
        late: Annotated[bool | None, Query(description="late now on either clock")] = None,
    ) -> JSONResponse:
        """Cases, newest report first, each with its view now (overdue, handling_overdue,
        late, the countdowns, level, stage label); `status` open (default), closed or all.
        Open cases can be filtered by village, grid, category, stage, department, level and
        late (each filter an exact value; together, all of them); `X-Total-Count` is the
        number of every open case that matches. A full page carries `Link: <…>; rel="next"`:
        follow it to read every case."""
        now = clock()
        asked = {"village": village, "grid": grid, "category": category, "stage": stage,
                 "department": department, "level": level}  # fmt: skip
        filters = {k: v for k, v in asked.items() if v}
        if status != "open" and (filters or late is not None):
            raise HTTPException(status_code=400, detail="the filters apply to open cases only")
        if status != "open":
            found = list_cases(r, keys, status, limit, offset, now)
            return JSONResponse(found, headers=next_link(request, offset, limit, len(found)))
        page = matching(r, keys, filters, late=late, now=now, limit=limit, offset=offset)
        found = get_cases(r, keys, page.ids, now)
        headers = {**next_link(request, offset, limit, len(found)), TOTAL: str(page.total)}
        return JSONResponse(found, headers=headers)

    @router.get("/api/counts")
    def counts() -> dict[str, Any]:
        """Counts over every open case now: open, reported today, first response late, late
        on either clock, escalated, hazards and the enterprises with one, open per village,
        and open per feed / category / level (`open_by`)."""
        return read_counts(r, keys, clock()).as_json()

    @router.get("/api/cases/{case_id:path}", responses={404: {"description": "No such case"}})
    def one_case(case_id: str, request: Request) -> dict[str, Any]:
        """One case with `history`, every change applied to it, oldest first,
        `duplicates`, the reports merged into it (`parent` names the case a duplicate joined),
        `reporters`, who reported it and its duplicates: whole for duty and admin, masked
        for every other role (138****2222), and `photos`, the addresses of the photos the
        records gave."""
        found = case_detail(r, keys, case_id, principal_of(request))
        if found is None:
            raise HTTPException(status_code=404, detail=f"no case with id {case_id!r}")
        return found

    @router.post(
        "/api/cases/{case_id:path}/actions", responses=ACTION_RESPONSES, max_body_size=SMALL_BODY
    )
    def act(case_id: str, body: Annotated[ActionBody, Body()], request: Request) -> JSONResponse:
        """Act on a case (dispatch, accept, handle, verify, return, extend, park, resume,
        close, cancel, merge, register); the engine applies it and the answer says how.
        A signed-in caller acts as themself (the body's `actor` is ignored), within their
        role's actions (access/policy.py ACTION_ROLES)."""
        return submit(r, keys, case_id, body, clock(), wait_s, principal_of(request))

    @router.get("/api/commands/{command_id}", responses={404: {"description": "No such command"}})
    def command(command_id: Annotated[str, Path(pattern=STREAM_ID)]) -> dict[str, Any]:
        """A command's outcome: applied, refused (with the reason), pending or expired."""
        found = command_outcome(r, keys, command_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"no command with id {command_id!r}")
        return found

    @router.get("/api/feeds")
    def feeds() -> list[dict[str, Any]]:
        """Per feed: status (live, silent, never), last data time and age, rate, counts."""
        return freshness.feeds_status(r, keys, FEEDS)

    @router.get("/api/deadletters")
    def dead_letters(
        feed: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        before: Annotated[str | None, Query(pattern=STREAM_ID)] = None,
    ) -> dict[str, Any]:
        """A page of dead letters (raw payload's head and reason), newest first, older than
        the entry ``before``; ``next`` is the ``before`` of the next page (null: the last).
        A page stops short of ``limit`` to stay under 1 MB. With the largest counts per feed
        and reason."""
        letters, following = deadletters.page(r, keys, feed=feed, limit=limit, before=before)
        counts = deadletters.counts(r, keys)[: deadletters.COUNT_ROWS]
        return {"recent": letters, "next": following, "counts": counts}

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        """200 while Redis answers: `ok`, or `degraded` with the centre's notices (an engine
        stopped, a child down…; the wall's watchdog must not read those as a dead link);
        503 with Retry-After when Redis does not answer."""
        try:
            r.ping()
            found = notices(r, keys, health_settings, clock())
        except redis.RedisError:
            body = {"status": "unavailable", "redis": "unreachable"}
            return JSONResponse(body, status_code=503, headers=RETRY_LATER)
        status = "degraded" if found else "ok"
        return JSONResponse(
            {"status": status, "redis": "ok", "notices": [n.as_json() for n in found]}
        )

    return router
