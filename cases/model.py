"""A case is a frozen value; ``apply`` folds one Event into it (or says it was already applied)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import orjson

from cases.categories import category
from ingest.event import Event

ChangeType = Literal["created", "updated", "closed", "escalated"]
MAX_EVENT_IDS = 32


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
    level: Literal["grid", "village", "town"]
    updated_at: datetime
    version: int
    flags: tuple[str, ...]
    event_ids: tuple[str, ...]
    last_entry: str

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> Case:
        value: dict[str, Any] = orjson.loads(data)
        for name in ("reported_at", "received_at", "updated_at", "response_due", "responded_at"):
            if value.get(name):
                value[name] = datetime.fromisoformat(value[name])
        value["flags"] = tuple(value["flags"])
        value["event_ids"] = tuple(value["event_ids"])
        return cls(**value)


def case_id(event: Event) -> str:
    """Cases are keyed by their source record: the same ajbh is always the same case."""
    return f"{event.feed}:{event.source_id}"


def entry_key(entry: str) -> tuple[int, int]:
    """A stream entry id as a sortable pair."""
    ms, _, seq = entry.partition("-")
    return int(ms), int(seq or 0)


def _flags(event: Event, siting: Siting) -> tuple[str, ...]:
    unmapped = ("unmapped_category",) if event.attrs.get("unmapped_category") else ()
    return (*siting.flags, *unmapped)


def _status_fields(event: Event, previous: Case | None) -> dict[str, Any]:
    """Status, stage and first response from what the source's status means."""
    responded = previous.responded_at if previous else None
    if event.status == "closed":
        return {"status": "closed", "stage": "closed", "responded_at": responded}
    if event.status == "cancelled":
        return {"status": "closed", "stage": "cancelled", "responded_at": responded}
    if event.status == "acknowledged":
        return {
            "status": "open",
            "stage": "registered",
            "responded_at": responded or event.received_at,
        }
    stage = previous.stage if previous and previous.status == "open" else "reported"
    return {"status": "open", "stage": stage, "responded_at": responded}


def _fields(event: Event, siting: Siting, entry: str) -> dict[str, Any]:
    place = siting.place
    cat = category(event.category)
    minutes = cat.response_minutes
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
        "response_due": event.occurred_at + timedelta(minutes=minutes) if minutes else None,
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


def escalate_unanswered(case: Case, now: datetime) -> Case | None:
    """The case moved up to its village when its first response is overdue; else None.

    小事不出格、大事不出村: a grid that lets the first-response deadline pass hands the case
    to the village.
    """
    if not awaiting_response(case) or case.response_due is None or case.response_due > now:
        return None
    return replace(case, level="village", updated_at=now, version=case.version + 1)
