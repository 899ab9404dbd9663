"""The levels' queues (小事不出格、大事不出村、难事不出镇): the open cases escalated to a village or
to the town, with who leads that level now and whom each case was handed to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import redis
from fastapi import APIRouter, HTTPException

from cases.escalation import Handover, level_queue
from cases.routing import table
from core.keys import Keys
from layers.town import Town

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such village"}}


def queues_router(
    r: redis.Redis,
    keys: Keys,
    town: Town,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """Plain `def` handlers: FastAPI runs them in its threadpool, the sync client is fine."""
    router = APIRouter()
    handover = Handover(table().escalation, town.roster)

    def queue(level: str, village: str | None) -> dict[str, Any]:
        now = clock()
        leader = handover.leader(level, village, None, now)
        cases = level_queue(r, keys, level, village, now)
        return {
            "level": level,
            "village": village,
            "village_name": str(town.l1.at[village, "name"]) if village else None,
            "leader": asdict(leader) if leader else None,
            "count": len(cases),
            "cases": cases,
        }

    @router.get("/api/queues/town")
    def town_queue() -> dict[str, Any]:
        """The open cases escalated to the town, newest report first; `leader` is the town's
        leader on duty today (带班领导), each case's `responsible` the one it was handed to."""
        return queue("town", None)

    @router.get("/api/queues/village/{village}", responses=NOT_FOUND)
    def village_queue(village: str) -> dict[str, Any]:
        """The open cases escalated to this village (a level-1 grid code), newest report first;
        `leader` is its leader, each case's `responsible` the one it was handed to."""
        if village not in town.l1.index:
            raise HTTPException(status_code=404, detail=f"no village {village!r}")
        return queue("village", village)

    return router
