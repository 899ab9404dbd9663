"""Read side of the case projections in Redis: what the dashboard and the JSON API read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import redis

from cases import alerts
from towncc.keys import Keys
from towncc.replies import text


def is_overdue(case: dict[str, Any], now: datetime) -> bool:
    """Open, not yet responded to, and past its first-response deadline."""
    due = case.get("response_due")
    if case.get("status") != "open" or case.get("responded_at") or not due:
        return False
    return datetime.fromisoformat(due) < now


def _decorate(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**case, "overdue": is_overdue(case, now)}


def get_cases(
    r: redis.Redis, keys: Keys, ids: list[str], now: datetime | None = None
) -> list[dict[str, Any]]:
    """The cases of these ids that exist, in the order given, with ``overdue`` computed now."""
    if not ids:
        return []
    now = now or datetime.now(UTC)
    raw = r.mget([keys.case(i) for i in ids])
    return [_decorate(orjson.loads(v), now) for v in raw if v]


def get_case(r: redis.Redis, keys: Keys, case_id: str) -> dict[str, Any] | None:
    found = get_cases(r, keys, [case_id])
    return found[0] if found else None


def case_history(r: redis.Redis, keys: Keys, case_id: str) -> list[dict[str, Any]]:
    """Every change applied to the case, oldest first."""
    return [orjson.loads(v) for v in r.lrange(keys.history(case_id), 0, -1)]


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
