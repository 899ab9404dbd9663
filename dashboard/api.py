"""The JSON API: cases (list, one with its history) and the health check. Read-only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import redis
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from cases.store import all_case_ids, case_history, get_case, get_cases, open_cases
from ingest import deadletters, freshness
from ingest.feeds import FEEDS
from towncc.keys import Keys
from towncc.replies import text

Status = Literal["open", "closed", "all"]
SCAN_PAGE = 500


def closed_cases(r: redis.Redis, keys: Keys, limit: int) -> list[dict[str, Any]]:
    """Closed cases, newest report first: walks every case id, a page at a time."""
    found: list[dict[str, Any]] = []
    start = 0
    while len(found) < limit:
        ids = [text(i) for i in r.zrevrange(keys.all_cases, start, start + SCAN_PAGE - 1)]
        if not ids:
            break
        found += [c for c in get_cases(r, keys, ids) if c.get("status") == "closed"]
        start += SCAN_PAGE
    return found[:limit]


def list_cases(r: redis.Redis, keys: Keys, status: Status, limit: int) -> list[dict[str, Any]]:
    if status == "open":
        return open_cases(r, keys, limit)
    if status == "closed":
        return closed_cases(r, keys, limit)
    return get_cases(r, keys, all_case_ids(r, keys, limit))


def api_router(r: redis.Redis, keys: Keys) -> APIRouter:
    """Plain `def` handlers: FastAPI runs them in its threadpool, the sync client is fine."""
    router = APIRouter()

    @router.get("/api/cases")
    def cases(
        status: Status = "open", limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> list[dict[str, Any]]:
        """Cases, newest report first; `status` open (default), closed or all."""
        return list_cases(r, keys, status, limit)

    @router.get("/api/cases/{case_id:path}")
    def one_case(case_id: str) -> dict[str, Any]:
        """One case with `history`, every change applied to it, oldest first."""
        case = get_case(r, keys, case_id)
        if case is None:
            raise HTTPException(status_code=404, detail=f"no case with id {case_id!r}")
        return {**case, "history": case_history(r, keys, case_id)}

    @router.get("/api/feeds")
    def feeds() -> list[dict[str, Any]]:
        """Per feed: status (live, silent, never), last data time and age, rate, counts."""
        return freshness.feeds_status(r, keys, FEEDS)

    @router.get("/api/deadletters")
    def dead_letters(
        feed: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> dict[str, Any]:
        """The newest dead letters (raw payload and reason) and the counts per feed and reason."""
        return {
            "recent": deadletters.recent(r, keys, feed=feed, limit=limit),
            "counts": deadletters.counts(r, keys),
        }

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        """200 while Redis answers, 503 when it does not (the wall's watchdog asks this)."""
        try:
            r.ping()
        except redis.RedisError:
            body = {"status": "unavailable", "redis": "unreachable"}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "redis": "ok"})

    return router
