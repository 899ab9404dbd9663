"""Telemetry, alerts and module metrics: the latest record per source, not cases.

Kept in one hash per kind (`latest:<kind>`, field `<feed>:<source id>`), replaced only by a
newer record, so a re-delivered or late old reading never hides the current one. The module
feeds whose figures have a history (DAILY_FEEDS) also keep, per Beijing day, the newest record
of each source that day (`metric-day:<feed>:<day>`, by the same rule): what the tablet's
analysis reads for the days before today.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson

from core.event import Event
from core.times import beijing

# The module feeds whose history is kept day by day (enterprises, labour, tourism); the
# economy's records are each a month's already.
DAILY_FEEDS = frozenset({"enterprise", "labour", "tourism"})


def field_of(event: Event) -> str:
    return f"{event.feed}:{event.source_id}"


def snapshot(event: Event) -> dict[str, Any]:
    """What a screen needs of a reading: everything but the raw payload."""
    return event.to_dict(exclude=frozenset({"raw"}))


def slot_of(event: Event) -> tuple[str, str]:
    """Where the newest record of a source is kept: (kind, field)."""
    return event.kind, field_of(event)


def day_slot_of(event: Event) -> tuple[str, str]:
    """Where a module feed's newest record of a day is kept: (feed and Beijing day, source)."""
    return f"{event.feed}:{beijing(event.occurred_at).date().isoformat()}", event.source_id


def newest(
    events: Sequence[Event],
    current: dict[tuple[str, str], bytes | str | None],
    slot: Callable[[Event], tuple[str, str]] = slot_of,
) -> dict[tuple[str, str], bytes]:
    """slot → the JSON to store, for each slot (by default a source: (kind, field)) whose
    newest record is new."""
    best: dict[tuple[str, str], Event] = {}
    for event in events:
        where = slot(event)
        if where not in best or event.occurred_at >= best[where].occurred_at:
            best[where] = event
    updates: dict[tuple[str, str], bytes] = {}
    for where, event in best.items():
        stored = current.get(where)
        if stored is None or _replaces(orjson.loads(stored), event):
            updates[where] = orjson.dumps(snapshot(event))
    return updates


def _replaces(stored: dict[str, Any], event: Event) -> bool:
    """Newer, or as new but different; the very record again (same id) changes nothing."""
    return (
        stored["id"] != event.id
        and datetime.fromisoformat(stored["occurred_at"]) <= event.occurred_at
    )
