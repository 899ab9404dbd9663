"""The centre's own health, in one place: what `/healthz`, `/metrics` and the wall say about
the processes, the memory and the calendar behind the screens.

A check is a function of (sync Redis client, keys, settings, now) returning notices; every
reader asks `notices()` and shows what it returns, so the three never disagree. A check that
fails is itself a notice: a broken check must not look like a healthy centre.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import redis

from cases.calendar import calendar_end, load_calendar
from core import children
from core.keys import ENGINE_GROUP, Keys
from core.replies import text
from core.settings import Settings
from dashboard import redis_memory

log = logging.getLogger(__name__)

Level = Literal["warning", "critical"]


@dataclass(frozen=True, slots=True)
class Notice:
    """Something an operator must know about the centre itself.

    ``code``: stable id (`engine-stopped`, `calendar-ends`, `redis-memory`, …), also the key
    of its wall text in dashboard/i18n.py (`notice.<code>`), formatted with ``params``.
    ``detail``: one English line for /healthz and the logs; never a secret or a host name.
    """

    code: str
    level: Level
    detail: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "level": self.level, "detail": self.detail, **self.params}


Check = Callable[[redis.Redis, Keys, Settings, datetime], list[Notice]]

# Filled by register(): each concern adds its check next to its own code's import here.
CHECKS: list[Check] = []


def register(check: Check) -> Check:
    """Add a check (usable as a decorator); checks run in the order registered."""
    CHECKS.append(check)
    return check


def notices(r: redis.Redis, keys: Keys, settings: Settings, now: datetime) -> list[Notice]:
    """Every registered check's notices; a check that raises becomes a notice of its own."""
    found: list[Notice] = []
    for check in CHECKS:
        try:
            found += check(r, keys, settings, now)
        except redis.RedisError:
            raise  # Redis itself is down: the caller answers 503, not a list of notices
        except Exception as exc:  # one broken check must not hide the others
            name = getattr(check, "__name__", "?")
            log.exception("health check %s failed", name)
            detail = f"health check {name} failed: {type(exc).__name__}"
            found.append(Notice("check-failed", "warning", detail, {"check": name}))
    return found


# ---- the checks, each with its own code's import above --------------------------------------


@register
def redis_memory_check(
    r: redis.Redis, keys: Keys, settings: Settings, now: datetime
) -> list[Notice]:
    """Redis near its memory limit (writes are refused when full), or a policy that evicts."""
    memory = redis_memory.read(r)
    found: list[Notice] = []
    params = memory.params()
    if (level := redis_memory.level(memory)) is not None:
        found.append(
            Notice(
                "redis-memory",
                level,
                f"Redis uses {params['used_mb']} of {params['max_mb']} MB; "
                "when full it refuses writes",
                params,
            )
        )
    if memory.evicts:
        found.append(
            Notice(
                "redis-evicts",
                "warning",
                f"Redis maxmemory-policy is {memory.policy}: it may drop data; set noeviction",
                {"policy": memory.policy},
            )
        )
    return found


@register
def calendar_ends(r: redis.Redis, keys: Keys, settings: Settings, now: datetime) -> list[Notice]:
    """`calendar-ends`: within 30 days, working-time deadlines run past the holiday calendar."""
    end = calendar_end(load_calendar(settings.holiday_arrangements_path), now)
    if end is None:
        return []
    until, year = end.until.isoformat(), str(end.next_year)
    where = "the file of holiday_arrangements_path (TOWNCC_HOLIDAY_ARRANGEMENTS_PATH)"
    state = (
        f"holiday calendar ended {until}: later deadlines are counted Monday to Friday"
        if end.ended
        else f"holiday calendar known until {until}"
    )
    detail = f"{state}; add the {year} arrangement to {where}"
    return [Notice("calendar-ends", "warning", detail, {"until": until, "year": year})]


# ---- the processes -------------------------------------------------------------------------


def engine_consumers(r: redis.Redis, keys: Keys, settings: Settings) -> list[str]:
    """The configured engine and every consumer of the engine group on `events`."""
    names = [settings.engine_consumer]
    try:
        consumers: Any = r.xinfo_consumers(keys.events, ENGINE_GROUP)
    except redis.ResponseError:  # no stream or no group yet: no engine ever ran
        consumers = []
    return names + [text(c["name"]) for c in consumers]


@register
def engine_stopped(r: redis.Redis, keys: Keys, settings: Settings, now: datetime) -> list[Notice]:
    """No engine heartbeat (an engine refreshes its own every second, with a 10 s TTL):
    nothing turns events and commands into cases, so the wall's cases stand still."""
    names = engine_consumers(r, keys, settings)
    if any(r.mget([keys.heartbeat(n) for n in names])):
        return []
    detail = "case engine stopped: no engine heartbeat; cases are not being updated"
    return [Notice("engine-stopped", "critical", detail)]


@register
def children_down(r: redis.Redis, keys: Keys, settings: Settings, now: datetime) -> list[Notice]:
    """A child of `towncc demo` over its restart budget (core/children.py)."""
    return [
        Notice(
            "child-down",
            "critical",
            f"process {s.name} is down: it exited (code {s.exit_code}) more often than its "
            "restart budget allows",
            {"child": s.name, "exit_code": s.exit_code, "restarts": s.restarts},
        )
        for s in children.read(r, keys)
        if s.state == "down"
    ]
