"""Telemetry, alerts and module metrics: the latest record per source, not cases.

Kept in one hash per kind (`latest:<kind>`, field `<feed>:<source id>`), replaced only by a
newer record, so a re-delivered or late old reading never hides the current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from core.event import Event


def field_of(event: Event) -> str:
    return f"{event.feed}:{event.source_id}"


def snapshot(event: Event) -> dict[str, Any]:
    """What a screen needs of a reading: everything but the raw payload."""
    return event.to_dict(exclude=frozenset({"raw"}))


def newest(
    events: Sequence[Event], current: dict[tuple[str, str], bytes | str | None]
) -> dict[tuple[str, str], bytes]:
    """(kind, field) → the JSON to store, for each source whose newest record is new."""
    best: dict[tuple[str, str], Event] = {}
    for event in events:
        slot: tuple[str, str] = (event.kind, field_of(event))
        if slot not in best or event.occurred_at >= best[slot].occurred_at:
            best[slot] = event
    updates: dict[tuple[str, str], bytes] = {}
    for slot, event in best.items():
        stored = current.get(slot)
        if stored is None or _replaces(orjson.loads(stored), event):
            updates[slot] = orjson.dumps(snapshot(event))
    return updates


def _replaces(stored: dict[str, Any], event: Event) -> bool:
    """Newer, or as new but different; the very record again (same id) changes nothing."""
    return (
        stored["id"] != event.id
        and datetime.fromisoformat(stored["occurred_at"]) <= event.occurred_at
    )
