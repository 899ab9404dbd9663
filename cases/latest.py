"""The engine's side of telemetry, module metrics and CAP alerts: what a batch changes in
`latest:<kind>` and `alert-index`, read from Redis and folded by cases.readings and
cases.alerts (pure)."""

from __future__ import annotations

from typing import Any

import orjson
import redis

from cases import alerts, readings
from ingest.event import Event
from towncc.keys import Keys

Latest = dict[tuple[str, str], bytes]  # (hash key, field) → value


def latest(r: redis.Redis, keys: Keys, events: list[Event]) -> Latest:
    """Telemetry and metrics, the newest per source; alerts and their retirements."""
    found = _newest(r, keys, [e for e in events if e.kind != "alert"])
    found.update(_alerts(r, keys, [e for e in events if e.kind == "alert"]))
    return found


def _newest(r: redis.Redis, keys: Keys, events: list[Event]) -> Latest:
    if not events:
        return {}
    slots = list(dict.fromkeys((e.kind, readings.field_of(e)) for e in events))
    pipe = r.pipeline(transaction=False)
    for kind, field in slots:
        pipe.hget(keys.latest(kind), field)
    newest = readings.newest(events, dict(zip(slots, pipe.execute(), strict=True)))
    return {(keys.latest(kind), field): v for (kind, field), v in newest.items()}


def _alerts(r: redis.Redis, keys: Keys, events: list[Event]) -> Latest:
    """Alerts stored, and those their Updates and Cancels retire."""
    if not events:
        return {}
    wanted = alerts.referenced_keys(events)
    index = {
        k: orjson.loads(v)
        for k, v in zip(wanted, _hmget(r, keys.alert_index, wanted), strict=True)
        if v
    }
    fields = [f for entry in index.values() for f in entry["fields"]]
    stored = {
        f: orjson.loads(v)
        for f, v in zip(fields, _hmget(r, keys.latest("alert"), fields), strict=True)
        if v
    }
    changed_index, changed = alerts.fold(events, index, stored)
    out = {(keys.alert_index, k): alerts.dumps(v) for k, v in changed_index.items()}
    out.update({(keys.latest("alert"), f): alerts.dumps(v) for f, v in changed.items()})
    return out


def _hmget(r: redis.Redis, key: str, fields: list[str]) -> list[Any]:
    return list(r.hmget(key, fields)) if fields else []
