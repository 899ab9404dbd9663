"""GET /api/kpi: the bulletins' figures per grid, village or department for a Beijing period.

Read from the KPI buckets the engine keeps (cases/kpi_read.py): a period costs a few reads
per unit and piece (day, month, year), never a read of every case. ``report`` computes the
same answer from a full recount of the cases; the tests hold the two equal. Every figure
carries its numerator and denominator, so a screen can print "911/972" beside "93.72%".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import redis
from fastapi import APIRouter, HTTPException, Query

from cases.kpi import CaseFacts, GroupBy, KpiRow, group, kpi_row
from cases.kpi_read import read_kpis
from cases.periods import INSTANT, PERIOD_FORMS, Period, choose_period
from core.keys import Keys
from core.times import BEIJING
from dashboard.view import team_names
from ingest.http import RETRY_AFTER_DOC
from layers.town import Town

KPI_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "A period that does not exist (2026-02-30, 2025-W53) or has not begun; "
        "`period` with `from`/`to`, or one of `from` and `to` without the other"
    },
    503: {"description": "Redis did not answer", "headers": RETRY_AFTER_DOC},
}


_MONTH, _DAY = "(0[1-9]|1[0-2])", "(0[1-9]|[12][0-9]|3[01])"
# The period's forms (parse_period says whether such a day or week exists in that year).
PERIOD = rf"^[0-9]{{4}}(-[Qq][1-4]|-{_MONTH}|-[Ww](0[1-9]|[1-4][0-9]|5[0-3])|-{_MONTH}-{_DAY})?$"
# Written in the description only: the checks are parse_period's and between's, whose
# refusals say what is wrong in words (a pattern's would quote the pattern).
DAY: dict[str, Any] = {
    "json_schema_extra": {"pattern": rf"^[0-9]{{4}}-{_MONTH}-{_DAY}$", "format": "date"}
}


def unit_names(town: Town, by: GroupBy) -> dict[str, str]:
    """Every unit of the town for this grouping, code → name: listed even when quiet."""
    if by == "grid":
        return {str(k): str(v) for k, v in town.l2["name"].items()}
    if by == "village":
        return {str(k): str(v) for k, v in town.l1["name"].items()}
    return team_names("zh")


def _rate(numerator: int, denominator: int, value: Decimal | None) -> dict[str, Any]:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "percent": None if value is None else float(value),
        "text": None if value is None else f"{value}%",
    }


def _time(numerator: Decimal | int, denominator: int, value: Decimal | None) -> dict[str, Any]:
    return {
        "numerator": float(numerator) if isinstance(numerator, Decimal) else numerator,
        "denominator": denominator,
        "minutes": None if value is None else float(value),
        "text": None if value is None else str(value),
    }


def figures(row: KpiRow) -> dict[str, Any]:
    """One row as JSON: each figure with its numerator, denominator, value and printed text."""
    due = row.due_to_close
    return {
        "due_to_close": due,
        "closure_rate": _rate(row.closed, due, row.closure_rate),
        "on_time_rate": _rate(row.closed_on_time, due, row.on_time_rate),
        "rework_rate": _rate(row.reworked, due, row.rework_rate),
        "extension_rate": _rate(row.extended, due, row.extension_rate),
        "open_overdue": _rate(row.open_overdue, row.open_cases, row.open_overdue_rate),
        "first_response_mean": _time(
            row.response_total_minutes, row.responses, row.response_mean_minutes
        ),
        "first_response_p90": _time(
            row.responses_within_p90, row.responses, row.response_p90_minutes
        ),
    }


def _period(chosen: Period, so_far: Period) -> dict[str, Any]:
    complete = so_far.end == chosen.end
    return {
        "label": chosen.label,
        "timezone": str(BEIJING),
        "start": chosen.start.isoformat(),
        "end": chosen.end.isoformat(),
        # The moment assessed to, itself included (Period.until).
        "as_of": (so_far.end if complete else so_far.end - INSTANT).isoformat(),
        "complete": complete,
    }


def answer(
    town: KpiRow, rows: Sequence[KpiRow], chosen: Period, so_far: Period, by: GroupBy,
    names: Mapping[str, str],
) -> dict[str, Any]:  # fmt: skip
    """The whole answer: the period, the town's figures, and one entry per unit."""
    groups = [
        {"key": row.key, "name": names.get(row.key) if row.key is not None else None,
         **figures(row)}
        for row in rows
    ]  # fmt: skip
    return {"period": _period(chosen, so_far), "by": by, "town": figures(town), "groups": groups}


def report(
    facts: Sequence[CaseFacts],
    chosen: Period,
    now: datetime,
    by: GroupBy,
    names: Mapping[str, str],
) -> dict[str, Any]:
    """The answer from a full recount of the cases' facts (the check the buckets are held to)."""
    so_far = chosen.until(now)
    rows = [kpi_row(key, c, so_far) for key, c in group(facts, by, names).items()]
    return answer(kpi_row(None, facts, so_far), rows, chosen, so_far, by, names)


def kpi_answer(
    r: redis.Redis, keys: Keys, town: Town, by: GroupBy, chosen: Period, now: datetime
) -> dict[str, Any]:
    """`GET /api/kpi`'s answer for a period begun by ``now``, read from the buckets: the route
    and the tablet both show this (ValueError: the period has not begun)."""
    so_far = chosen.until(now)
    names = unit_names(town, by)
    total, rows = read_kpis(r, keys, so_far, by, names)
    return answer(total, rows, chosen, so_far, by, names)


def kpi_router(
    r: redis.Redis,
    keys: Keys,
    town: Town,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    """A plain `def` handler: FastAPI runs it in its threadpool, the sync client is fine."""
    router = APIRouter()

    @router.get("/api/kpi", responses=KPI_RESPONSES)
    def kpi(
        by: Annotated[GroupBy, Query(description="grid, village or department")] = "grid",
        period: Annotated[
            str | None, Query(description=PERIOD_FORMS, json_schema_extra={"pattern": PERIOD})
        ] = None,
        first: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD", **DAY)] = None,
        last: Annotated[
            str | None, Query(alias="to", description="YYYY-MM-DD, included", **DAY)
        ] = None,
    ) -> dict[str, Any]:
        """结案率, 按期结案率, 返工率, 延期率, first-response mean and p90, open overdue:
        per unit and for the town, for a Beijing calendar period (default: this month)."""
        now = clock()
        try:
            chosen = choose_period(period, first, last, now)
            chosen.until(now)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
        try:
            return kpi_answer(r, keys, town, by, chosen, now)
        except redis.RedisError as exc:
            raise HTTPException(status_code=503, detail="Redis did not answer") from exc

    return router
