"""Read side of the case projections in Redis: what the dashboard and the JSON API read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import redis

from cases import alerts
from cases.model import Case, entry_key
from cases.view import with_view
from core.keys import ENGINE_GROUP, Keys
from core.replies import text


def get_cases(
    r: redis.Redis, keys: Keys, ids: list[str], now: datetime | None = None
) -> list[dict[str, Any]]:
    """The cases of these ids that exist, in the order given, each with its view at `now`
    (cases.view: overdue, handling-overdue, the countdowns, the stage's label)."""
    if not ids:
        return []
    now = now or datetime.now(UTC)
    raw = r.mget([keys.case(i) for i in ids])
    return [with_view(orjson.loads(v), now) for v in raw if v]


def get_case(r: redis.Redis, keys: Keys, case_id: str) -> dict[str, Any] | None:
    found = get_cases(r, keys, [case_id])
    return found[0] if found else None


def load_case(r: redis.Redis, keys: Keys, case_id: str) -> Case | None:
    """The case as the engine holds it (a frozen value), or None."""
    raw: Any = r.get(keys.case(case_id))
    return Case.from_json(raw) if raw else None


def case_history(r: redis.Redis, keys: Keys, case_id: str) -> list[dict[str, Any]]:
    """Every change applied to the case, oldest first."""
    return [orjson.loads(v) for v in r.lrange(keys.history(case_id), 0, -1)]


DUPLICATE_FIELDS = ("id", "feed", "source_id", "reported_at", "address", "description")


def duplicates(r: redis.Redis, keys: Keys, case_id: str) -> list[dict[str, Any]]:
    """The reports merged into this case as duplicates, in the order they came."""
    ids = [text(i) for i in r.lrange(keys.duplicates(case_id), 0, -1)]
    return [{f: c.get(f) for f in DUPLICATE_FIELDS} for c in get_cases(r, keys, ids)]


def open_case_ids(r: redis.Redis, keys: Keys, limit: int | None = None) -> list[str]:
    """Open case ids, newest report first."""
    end = -1 if limit is None else limit - 1
    return _texts(r.zrevrange(keys.open_cases, 0, end))


def all_case_ids(r: redis.Redis, keys: Keys, limit: int | None = None) -> list[str]:
    """Every case id, newest report first."""
    end = -1 if limit is None else limit - 1
    return _texts(r.zrevrange(keys.all_cases, 0, end))


def open_cases(r: redis.Redis, keys: Keys, limit: int | None = None) -> list[dict[str, Any]]:
    """Open cases, newest report first."""
    return get_cases(r, keys, open_case_ids(r, keys, limit))


def grid_open_counts(r: redis.Redis, keys: Keys) -> dict[str, int]:
    """Open cases per level-2 grid code (grids with none are absent)."""
    return {text(k): int(v) for k, v in r.hgetall(keys.grid_open).items() if int(v)}


def live_alerts(r: redis.Redis, keys: Keys, now: datetime | None = None) -> list[dict[str, Any]]:
    """CAP alerts in force now (not superseded, cancelled or expired), newest first."""
    now = now or datetime.now(UTC)
    found = [orjson.loads(v) for v in r.hvals(keys.latest("alert"))]
    live = [a for a in found if alerts.is_live(a, now)]
    return sorted(live, key=lambda a: a["occurred_at"], reverse=True)


def _texts(values: Any) -> list[str]:
    return [text(v) for v in values]


def wait_outcome(
    r: redis.Redis, keys: Keys, command_id: str, timeout_s: float
) -> dict[str, Any] | None:
    """The command's outcome once the engine has committed it, or None after ``timeout_s``.

    The engine pushes the outcome in the transaction that applies the command, so an outcome
    read here is in the projections already; a reply pushed before the wait began is kept.
    """
    if timeout_s <= 0:  # BLPOP's 0 would wait forever
        return command_outcome(r, keys, command_id)
    reply: Any = r.blpop([keys.command_reply(command_id)], timeout=timeout_s)
    if reply is None:
        return None
    found: dict[str, Any] = orjson.loads(reply[1])
    return found


def command_outcome(r: redis.Redis, keys: Keys, command_id: str) -> dict[str, Any] | None:
    """applied or refused (with the reason), pending, or expired; None for an unknown id."""
    raw: Any = r.get(keys.command(command_id))
    if raw:
        found: dict[str, Any] = orjson.loads(raw)
        return found
    try:
        if not r.xrange(keys.commands, command_id, command_id):
            return None
    except redis.ResponseError:  # not a stream entry id
        return None
    state = "pending" if _not_yet_applied(r, keys, command_id) else "expired"
    return {"command_id": command_id, "outcome": state}


def _not_yet_applied(r: redis.Redis, keys: Keys, command_id: str) -> bool:
    """Not yet delivered to the engine, or delivered and not acknowledged."""
    groups: Any = r.xinfo_groups(keys.commands)
    group = next((g for g in groups if text(g["name"]) == ENGINE_GROUP), None)
    if group is None or entry_key(command_id) > entry_key(text(group["last-delivered-id"])):
        return True
    pending: Any = r.xpending_range(keys.commands, ENGINE_GROUP, command_id, command_id, 1)
    return bool(pending)
