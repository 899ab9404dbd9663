"""Read the facts assessment needs from the case projections: every case, MGET in pipelined
chunks, decoded straight into the few fields KPIs use (the rest of a case is skipped)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Annotated

import msgspec
import redis

from cases.kpi import NOT_ASSESSED, CaseFacts, Status, bears_on
from cases.model import Case
from cases.periods import Period
from core.keys import Keys
from core.replies import text
from core.times import epoch_ms

log = logging.getLogger(__name__)

CHUNK = 1000  # keys per MGET
DEPTH = 10  # MGETs per round trip


# Projections store aware times; a naive one is refused as the JSON is read.
Aware = Annotated[datetime, msgspec.Meta(tz=True)]


class _Row(msgspec.Struct):
    """The fields of a projected case (cases.model.Case) that assessment reads."""

    id: str
    status: str
    stage: str
    reported_at: Aware
    grid: str | None = None
    village: str | None = None
    department: str | None = None
    responded_at: Aware | None = None
    handling_due: Aware | None = None
    closed_at: Aware | None = None
    updated_at: Aware | None = None
    rework_count: int = 0
    extension_count: int = 0


_decoder = msgspec.json.Decoder(_Row)


def _status(row: _Row | Case) -> Status:
    if row.stage in NOT_ASSESSED:
        stage: Status = row.stage  # type: ignore[assignment]  # checked just above
        return stage
    return "closed" if row.status == "closed" else "open"


def _facts(row: _Row | Case, status: Status, closed_at: datetime | None) -> CaseFacts:
    return CaseFacts(
        id=row.id,
        grid=row.grid,
        village=row.village,
        department=row.department,
        reported_at=row.reported_at,
        first_response_at=row.responded_at,
        due_at=row.handling_due,
        closed_at=closed_at,
        reworks=row.rework_count,
        extensions=row.extension_count,
        status=status,
    )


def _closed_at(row: _Row | Case, status: Status) -> datetime | None:
    """Merged and cancelled cases keep no close time here (they are not assessed at all); a
    closed case written before ``closed_at`` existed is taken as closed at its last change."""
    return (row.closed_at or row.updated_at) if status == "closed" else None


def facts_of(raw: bytes | str) -> CaseFacts:
    """A projected case's JSON as facts; ValueError when it is not a readable case."""
    row = _decoder.decode(raw)  # msgspec.ValidationError and DecodeError are ValueErrors
    status = _status(row)
    return _facts(row, status, _closed_at(row, status))


def facts_of_case(case: Case) -> CaseFacts:
    """A case as the engine holds it, as facts (what the KPI buckets are written from)."""
    status = _status(case)
    return _facts(case, status, _closed_at(case, status))


def _relevant(raw: bytes | str, period: Period | None) -> CaseFacts | None:
    """The facts of a case that can count in the period's figures, else None (not built)."""
    row = _decoder.decode(raw)
    status = _status(row)
    closed_at = _closed_at(row, status)
    if period is not None and not bears_on(status, row.reported_at, closed_at, period):
        return None
    return _facts(row, status, closed_at)


def _chunks(ids: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def read_facts(r: redis.Redis, keys: Keys, period: Period | None = None) -> list[CaseFacts]:
    """Facts of every case, or of those that can count in ``period`` (cases.kpi.bears_on).

    A projection that cannot be read is logged and left out rather than failing the figures.
    """
    # Scores are report times in whole ms; bears_on filters exactly.
    top = "+inf" if period is None else epoch_ms(period.end)
    ids = [text(i) for i in r.zrangebyscore(keys.all_cases, "-inf", top)]
    found: list[CaseFacts] = []
    for batch in _chunks(ids, CHUNK * DEPTH):
        pipe = r.pipeline(transaction=False)
        for chunk in _chunks(batch, CHUNK):
            pipe.mget([keys.case(i) for i in chunk])
        for values in pipe.execute():
            for value in values:
                if value is None:  # listed but gone: nothing to assess
                    continue
                try:
                    facts = _relevant(value, period)
                except ValueError as exc:
                    log.warning("case projection not readable for KPIs: %s", exc)
                    continue
                if facts is not None:
                    found.append(facts)
    return found
