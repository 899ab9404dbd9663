"""Incidents in Redis: declared, read, ended, and their timelines.

An incident is one JSON string (`incident:<id>`); its timeline is a list beside it, and every
timeline entry is also appended to `incident-events`, the incidents' audit log, which the
screens tail to switch to and from the incident layout. Each change is one MULTI: an incident
is never seen without its first entry, nor ended without its last.

A rule's occasion (an alert, a river's crossing …) is claimed in `incident-sources` first, so
the same occasion delivered twice, or seen by two processes at once, declares one incident.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import redis

from core.keys import Keys
from core.replies import text
from core.times import beijing

EVENTS_MAXLEN = 100_000


class IncidentError(ValueError):
    """The incident cannot be changed so: `code` is the HTTP status the API answers."""

    def __init__(self, message: str, code: int = 409) -> None:
        super().__init__(message)
        self.code = code


def new_id(r: redis.Redis, keys: Keys, now: datetime) -> str:
    """`INC-<Beijing date>-<n>`: n counts every incident the centre ever declared."""
    return f"INC-{beijing(now):%Y%m%d}-{int(r.incr(keys.incident_seq)):04d}"


def entry(kind: str, at: datetime, actor: str, **detail: Any) -> dict[str, Any]:
    """A timeline entry: what happened (`kind`), when, who or what did it, and its details."""
    return {"kind": kind, "at": at.isoformat(), "actor": actor, **detail}


def declare(
    r: redis.Redis, keys: Keys, incident: dict[str, Any], *, source: str | None = None
) -> tuple[str, bool]:
    """Store a new incident (its `id` set by `new_id`) with its `declared` entry; with a
    `source`, only if no incident was declared for it before. Returns the id and whether it
    was declared now (False: the source's earlier incident)."""
    if source is not None and not r.hsetnx(keys.incident_sources, source, incident["id"]):
        return text(r.hget(keys.incident_sources, source)), False
    declared = datetime.fromisoformat(incident["declared_at"])
    first = entry(
        "declared",
        declared,
        incident["declared_by"],
        title=incident["title"],
        shape=incident["shape"],
    )
    pipe = r.pipeline(transaction=True)
    pipe.set(keys.incident(incident["id"]), orjson.dumps(incident))
    score = int(declared.timestamp() * 1000)
    pipe.zadd(keys.incidents, {incident["id"]: score})
    pipe.zadd(keys.incidents_active, {incident["id"]: score})
    _append(pipe, keys, incident["id"], first)
    pipe.execute()
    return incident["id"], True


def _append(pipe: Any, keys: Keys, incident_id: str, item: dict[str, Any]) -> None:
    body = orjson.dumps(item)
    pipe.rpush(keys.incident_timeline(incident_id), body)
    pipe.xadd(
        keys.incident_events,
        {"incident": incident_id, "e": body},
        maxlen=EVENTS_MAXLEN,
        approximate=True,
    )


def log(r: redis.Redis, keys: Keys, incident_id: str, *items: dict[str, Any]) -> None:
    """Append entries to an incident's timeline and to the audit log, in one transaction."""
    pipe = r.pipeline(transaction=True)
    for item in items:
        _append(pipe, keys, incident_id, item)
    pipe.execute()


def get(r: redis.Redis, keys: Keys, incident_id: str) -> dict[str, Any] | None:
    raw = r.get(keys.incident(incident_id))
    return orjson.loads(raw) if raw else None


def timeline(
    r: redis.Redis, keys: Keys, incident_id: str, last: int | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """How many entries the timeline has, and its entries (``last``: only the newest so many),
    oldest first."""
    key = keys.incident_timeline(incident_id)
    pipe = r.pipeline(transaction=False)
    pipe.llen(key)
    pipe.lrange(key, -last if last else 0, -1)
    length, entries = pipe.execute()
    return int(length), [orjson.loads(v) for v in entries]


def active_ids(r: redis.Redis, keys: Keys) -> list[str]:
    """The incidents not ended, the newest first."""
    return [text(i) for i in r.zrevrange(keys.incidents_active, 0, -1)]


def listing(r: redis.Redis, keys: Keys, *, active_only: bool, limit: int) -> list[dict[str, Any]]:
    """Incidents, newest first (all, or only those not ended), without their footprints."""
    key = keys.incidents_active if active_only else keys.incidents
    ids = [text(i) for i in r.zrevrange(key, 0, limit - 1)]
    stored = r.mget([keys.incident(i) for i in ids]) if ids else []
    return [summary(orjson.loads(raw)) for raw in stored if raw]


def summary(incident: dict[str, Any]) -> dict[str, Any]:
    """An incident without the bulky parts (the area, the rings, what it touches)."""
    touched = incident.get("footprint", {})
    return {
        **{k: v for k, v in incident.items() if k not in ("area", "rings", "footprint")},
        "population": touched.get("population"),
        "grids": len(touched.get("grids", [])),
        "villages": [v["name"] for v in touched.get("villages", [])],
    }


def end(
    r: redis.Redis, keys: Keys, incident_id: str, *, actor: str, at: datetime, note: str = ""
) -> dict[str, Any]:
    """End an active incident (IncidentError 404: none such; 409: already ended). Watches the
    record so that two people ending it at once give one `ended` entry."""
    with r.pipeline(transaction=True) as pipe:
        pipe.watch(keys.incident(incident_id))  # type: ignore[no-untyped-call]
        raw = pipe.get(keys.incident(incident_id))
        if raw is None:
            raise IncidentError(f"no incident {incident_id}", 404)
        incident = orjson.loads(raw)
        if incident["status"] != "active":
            raise IncidentError(f"incident {incident_id} ended at {incident['ended_at']}")
        incident.update(status="ended", ended_at=at.isoformat(), ended_by=actor)
        pipe.multi()
        pipe.set(keys.incident(incident_id), orjson.dumps(incident))
        pipe.zrem(keys.incidents_active, incident_id)
        _append(pipe, keys, incident_id, entry("ended", at, actor, note=note))
        pipe.execute()
    return dict(incident)
