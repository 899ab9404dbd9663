"""CAP alerts in force: Update supersedes and Cancel withdraws the alerts they reference.

Every CAP message is indexed by (sender, identifier) with its `sent` time and the fields of
its info blocks in `latest:alert`. A reference retires the message it names only when sender,
identifier and sent all match. A reference to a message not yet seen leaves a tombstone, so
an original that arrives late (or is delivered again) is stored already retired: re-delivery
never brings a withdrawn alert back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import shapely
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from cases.readings import field_of, snapshot
from core.event import Event

RETIRING = {"Update": "superseded", "Cancel": "cancelled"}
LIVE_STATUS = "Actual"
LIVE_TYPES = ("Alert", "Update")


def index_key(sender: str, identifier: str) -> str:
    return f"{sender}\t{identifier}"


def referenced_keys(events: Sequence[Event]) -> list[str]:
    """Every index entry a batch of alerts reads: their own and those they reference."""
    keys = []
    for event in events:
        keys.append(index_key(event.attrs.get("sender", ""), event.attrs.get("identifier", "")))
        keys += [index_key(ref["sender"], ref["identifier"]) for ref in _references(event)]
    return list(dict.fromkeys(keys))


def _references(event: Event) -> list[dict[str, str]]:
    refs: list[dict[str, str]] = event.attrs.get("references") or []
    return refs if event.attrs.get("msgType") in RETIRING else []


def fold(
    events: Sequence[Event], index: dict[str, dict[str, Any]], stored: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The index entries and alert snapshots after this batch (only those that changed).

    ``index``: key → {"sent", "fields", "retired"}; ``stored``: field → snapshot.
    """
    changed_index: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    for event in events:
        key = index_key(event.attrs.get("sender", ""), event.attrs.get("identifier", ""))
        entry = index.setdefault(key, {"sent": None, "fields": [], "retired": None})
        field = field_of(event)
        if entry["sent"] != event.attrs.get("sent") or field not in entry["fields"]:
            entry["sent"] = event.attrs.get("sent")
            entry["fields"] = (
                [*entry["fields"], field] if field not in entry["fields"] else entry["fields"]
            )
            changed_index[key] = entry
        current = changed.get(field) or stored.get(field)
        if current is None or current["id"] != event.id or current["retired"] != entry["retired"]:
            changed[field] = _snapshot(event, entry["retired"])
        for ref in _references(event):
            retired = {"as": RETIRING[event.attrs["msgType"]], "by": event.attrs.get("identifier")}
            _retire(index, changed_index, stored, changed, ref, retired)
    return changed_index, changed


def _snapshot(event: Event, retired: dict[str, Any] | None) -> dict[str, Any]:
    value = snapshot(event)
    value["retired"] = retired
    return value


def _retire(
    index: dict[str, dict[str, Any]],
    changed_index: dict[str, dict[str, Any]],
    stored: dict[str, dict[str, Any]],
    changed: dict[str, dict[str, Any]],
    ref: dict[str, str],
    retired: dict[str, Any],
) -> None:
    key = index_key(ref["sender"], ref["identifier"])
    entry = index.get(key)
    if entry is not None and entry["sent"] not in (None, ref.get("sent")):
        return  # the same identifier from another message: retire nothing
    entry = entry or index.setdefault(key, {"sent": ref.get("sent"), "fields": [], "retired": None})
    if entry["retired"] is not None:
        return  # the first retirement stands: a later reference changes nothing
    entry["retired"] = retired
    changed_index[key] = entry
    for field in entry["fields"]:
        current = changed.get(field) or stored.get(field)
        if current is not None:
            changed[field] = {**current, "retired": retired}


def is_live(alert: dict[str, Any], now: datetime) -> bool:
    """In force now: an actual Alert or Update, not retired, not expired."""
    attrs = alert.get("attrs", {})
    if alert.get("retired") or attrs.get("status") != LIVE_STATUS:
        return False
    if attrs.get("msgType") not in LIVE_TYPES:
        return False
    expires = attrs.get("expires")
    return not expires or datetime.fromisoformat(expires) > now


def dumps(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def placed(alert: dict[str, Any], town: BaseGeometry) -> bool:
    """Whether an alert's area (its polygons and circles, merged by the adapter) touches the
    town. An alert with no area to place (a description or codes only) is not the town's:
    a US AMBER alert with a county's FIPS code is not."""
    geometry = (alert.get("attrs") or {}).get("geometry")
    if not isinstance(geometry, dict):
        return False
    try:
        area = shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, AttributeError, KeyError, IndexError):
        return False
    return bool(area.is_valid and area.intersects(town))


def for_town(
    alerts: Sequence[dict[str, Any]], town: BaseGeometry, *, outside: bool
) -> list[dict[str, Any]]:
    """The alerts a town's screens show, in their order: those whose area touches the town;
    with ``outside``, the others too, after them and marked (`outside: true`)."""
    inside = [a for a in alerts if placed(a, town)]
    if not outside:
        return inside
    chosen = {id(a) for a in inside}
    return inside + [{**a, "outside": True} for a in alerts if id(a) not in chosen]
