"""A case is a frozen value; ``apply`` folds one Event into it (or says it was already applied)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import msgspec
import orjson

from cases.categories import category
from cases.clock import first_response_due
from core.event import Event

ChangeType = Literal[
    "created", "updated", "closed", "escalated", "refused", "registered", "dispatched",
    "accepted", "handled", "verified", "rework", "returned", "extended", "parked", "resumed",
    "cancelled", "merged",
]  # fmt: skip
Level = Literal["grid", "village", "town"]
MAX_EVENT_IDS = 32
# 小事不出格、大事不出村、难事不出镇: each escalation moves a case one rung up.
LEVELS: tuple[Level, ...] = ("grid", "village", "town")
# 重大 and 特别重大 (CAP Severe, Extreme) are not left to a grid.
HIGH_SEVERITY = 3
# The stages in which the handling deadline runs: the work is not yet reported done.
HANDLING_STAGES = frozenset({"reported", "registered", "dispatched", "accepted"})
# Flags the engine sets on a case, kept across the source's updates (the rest are re-derived).
ENGINE_FLAGS = frozenset({"calendar_fallback"})


@dataclass(frozen=True, slots=True)
class Place:
    """Where a point falls in the town; None of it when the point is outside."""

    grid: str
    grid_name: str
    village: str
    village_name: str


@dataclass(frozen=True, slots=True)
class Siting:
    """Where the engine puts an event: its grid (None outside), the point shown, and flags."""

    place: Place | None
    lon: float | None
    lat: float | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Responsible:
    """Who a case escalated to its village or the town is handed to (cases/escalation.py)."""

    level: Level
    name: str
    role_name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    feed: str
    source_id: str
    category: str
    group: str
    title: str
    description: str
    address: str
    status: Literal["open", "closed"]
    stage: str
    source_status: str
    grid: str | None
    grid_name: str | None
    village: str | None
    village_name: str | None
    lon: float | None
    lat: float | None
    outside_town: bool
    reported_at: datetime
    received_at: datetime
    response_due: datetime | None
    responded_at: datetime | None
    severity: int
    level: Level
    updated_at: datetime
    version: int
    flags: tuple[str, ...]
    event_ids: tuple[str, ...]
    last_entry: str
    # The closed loop (defaults: projections written before it read as they were).
    department: str | None = None  # a team code of cases/data/routing.json
    team: str | None = None
    queue: str | None = None  # "duty-officer" while a person must register or dispatch it
    handling_due: datetime | None = None
    rework_count: int = 0
    extension_count: int = 0
    returns: int = 0
    parent: str | None = None  # the case this one was merged into
    workers: tuple[str, ...] = ()  # the actors who accepted or handled it (not its inspector)
    escalations: tuple[str, ...] = ()  # what moved it up: first-response, severity, handling@…
    closed_at: datetime | None = None
    closed_by: str | None = None  # the actor, or feed:<feed> when the source closed it
    last_command: str = ""  # the last entry of `commands` applied (idempotency)
    responsible: Responsible | None = None  # above its grid: the person it was handed to

    def to_json(self) -> bytes:
        # orjson writes a dataclass field by field as asdict would, without its deep copies.
        return orjson.dumps(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Case:
        return _DECODER.decode(data)


# msgspec parses the times and checks the types in C: a tenth of the cost of doing it here.
_DECODER = msgspec.json.Decoder(Case)


def case_id(event: Event) -> str:
    """Cases are keyed by their source record: the same ajbh is always the same case."""
    return f"{event.feed}:{event.source_id}"


def entry_key(entry: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair."""
    ms, _, seq = entry.partition("-")
    return int(ms), int(seq or 0)


# What an adapter found wrong in a record's classification, carried to the case as flags.
SOURCE_FLAGS = ("unmapped_category", "code_name_mismatch")


def _flags(event: Event, siting: Siting) -> tuple[str, ...]:
    return (*siting.flags, *(flag for flag in SOURCE_FLAGS if event.attrs.get(flag)))


def _closed_by_command(case: Case | None) -> bool:
    """Closed, merged or cancelled by an operator: the source's later words never reopen it."""
    return (
        case is not None
        and case.status == "closed"
        and not (case.closed_by or "feed:").startswith("feed:")
    )


def _status_fields(event: Event, previous: Case | None) -> dict[str, Any]:
    """Status, stage and first response from what the source's status means.

    The source may close or reopen its own record, but never moves the lifecycle back: an
    acknowledgement registers a reported case and leaves a dispatched one where it is.
    """
    responded = previous.responded_at if previous else None
    if previous is not None and _closed_by_command(previous):
        return {}
    if event.status in ("closed", "cancelled"):
        stage = "closed" if event.status == "closed" else "cancelled"
        was_closed = previous is not None and previous.status == "closed"
        return {
            "status": "closed",
            "stage": stage,
            "responded_at": responded,
            "closed_at": previous.closed_at if was_closed and previous else event.received_at,
            "closed_by": f"feed:{event.feed}",
        }
    reopened = {"status": "open", "closed_at": None, "closed_by": None}
    still = previous.stage if previous and previous.status == "open" else "reported"
    if event.status == "acknowledged":
        stage = "registered" if still == "reported" else still
        return {**reopened, "stage": stage, "responded_at": responded or event.received_at}
    return {**reopened, "stage": still, "responded_at": responded}


def _fields(event: Event, siting: Siting, entry: str) -> dict[str, Any]:
    place = siting.place
    cat = category(event.category)
    return {
        "category": cat.code,
        "group": cat.group,
        "title": event.title,
        "description": event.description,
        "address": event.address,
        "source_status": event.source_status,
        "grid": place.grid if place else None,
        "grid_name": place.grid_name if place else None,
        "village": place.village if place else None,
        "village_name": place.village_name if place else None,
        "lon": siting.lon,
        "lat": siting.lat,
        "outside_town": "outside_town" in siting.flags,
        "reported_at": event.occurred_at,
        "response_due": first_response_due(cat.code, event.occurred_at),
        "severity": event.severity,
        "updated_at": event.received_at,
        "flags": _flags(event, siting),
        "last_entry": entry,
    }


def apply(
    case: Case | None, event: Event, siting: Siting, entry: str
) -> tuple[Case, ChangeType] | None:
    """The case after this event, and what kind of change it was; None if already applied."""
    if case is not None and (
        event.id in case.event_ids or entry_key(entry) <= entry_key(case.last_entry)
    ):
        return None
    fields = {**_fields(event, siting, entry), **_status_fields(event, case)}
    if case is not None:
        kept = tuple(f for f in case.flags if f in ENGINE_FLAGS and f not in fields["flags"])
        fields["flags"] = (*fields["flags"], *kept)
    if case is None:
        new = Case(
            id=case_id(event),
            feed=event.feed,
            source_id=event.source_id,
            received_at=event.received_at,
            level="grid",
            version=1,
            event_ids=(event.id,),
            **fields,
        )
        return new, "created"
    event_ids = (*case.event_ids, event.id)[-MAX_EVENT_IDS:]
    new = replace(case, **fields, version=case.version + 1, event_ids=event_ids)
    change: ChangeType = "closed" if new.status == "closed" and case.status == "open" else "updated"
    return new, change


def awaiting_response(case: Case) -> bool:
    """Open, on a first-response clock, not yet responded to and not yet escalated for it."""
    return (
        case.status == "open"
        and case.responded_at is None
        and case.response_due is not None
        and case.level == "grid"
    )


def _up(case: Case, now: datetime, why: str) -> Case:
    """One rung up the ladder, remembering why (so the same cause never fires twice)."""
    level = LEVELS[min(LEVELS.index(case.level) + 1, len(LEVELS) - 1)]
    escalations = (*case.escalations, why)
    return replace(
        case, level=level, escalations=escalations, updated_at=now, version=case.version + 1
    )


def escalate_unanswered(case: Case, now: datetime) -> Case | None:
    """The case moved up to its village once its first response is overdue; else None.

    小事不出格、大事不出村: a grid that lets the first-response deadline pass hands the case
    to the village.
    """
    if not awaiting_response(case) or case.response_due is None or case.response_due >= now:
        return None
    return _up(case, now, "first-response")


def handling_key(case: Case) -> str:
    """What a breach of the current handling deadline is remembered as: an extension re-arms."""
    return f"handling@{case.handling_due.isoformat() if case.handling_due else ''}"


def handling_armed(case: Case) -> bool:
    """Open, not yet handled, below the town, and not yet escalated for this deadline."""
    return (
        case.status == "open"
        and case.stage in HANDLING_STAGES
        and case.handling_due is not None
        and case.level != "town"
        and handling_key(case) not in case.escalations
    )


def escalate_overdue(case: Case, now: datetime) -> Case | None:
    """One level up when the handling deadline 处置时限 has passed with the work not done."""
    if not handling_armed(case) or case.handling_due is None or case.handling_due >= now:
        return None
    return _up(case, now, handling_key(case))


def escalate_severe(case: Case, now: datetime) -> Case | None:
    """One level up, once, for a 重大 or 特别重大 case: a big matter is not left to its grid."""
    if (
        case.status != "open"
        or case.severity < HIGH_SEVERITY
        or case.level == "town"
        or "severity" in case.escalations
    ):
        return None
    return _up(case, now, "severity")


def escalation_reason(before: Case, after: Case) -> str:
    """Why ``after`` is a level above ``before``, for the audit log."""
    why = after.escalations[-1] if after.escalations else ""
    moved = f"escalated from {before.level} to {after.level}"
    if why == "first-response":
        return f"first response overdue: {moved}"
    if why == "severity":
        return f"severity {after.severity} (重大 or above): {moved}"
    return f"handling deadline {why.partition('@')[2]} passed: {moved}"
