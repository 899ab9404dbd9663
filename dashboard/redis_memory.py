"""Redis's memory against its limit: read once from INFO, judged by one pure function.

The embedded Redis runs with ``maxmemory`` and the ``noeviction`` policy: when it is full,
writes are refused (the intake spools, the engine retries) and nothing is silently dropped.
An operator must hear of it before then, so the health notice `redis-memory` warns at
``WARN`` of the limit and turns critical at ``CRITICAL``. A Redis without a limit is judged
against the machine's memory; one whose policy evicts keys is a notice of its own, since
its data may vanish without a trace (an external Redis's configuration is never changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import redis

from core.replies import text

WARN = 0.80
CRITICAL = 0.95
MB = 1024 * 1024
NO_EVICTION = "noeviction"


@dataclass(frozen=True, slots=True)
class Memory:
    used: int  # bytes (INFO used_memory)
    maxmemory: int  # bytes; 0: no limit set
    system: int  # the machine's memory, bytes (0: unknown)
    policy: str

    @property
    def limit(self) -> int:
        """What Redis can use: its maxmemory, else the machine's memory (0: unknown)."""
        return self.maxmemory or self.system

    @property
    def evicts(self) -> bool:
        return self.policy != NO_EVICTION

    def params(self) -> dict[str, Any]:
        return {"used_mb": round(self.used / MB), "max_mb": round(self.limit / MB)}


def of_info(info: dict[str, Any]) -> Memory:
    """The figures of an ``INFO memory`` reply (decoded or not)."""
    fields = {text(k): v for k, v in info.items()}
    return Memory(
        used=int(fields.get("used_memory", 0)),
        maxmemory=int(fields.get("maxmemory", 0)),
        system=int(fields.get("total_system_memory", 0)),
        policy=text(fields.get("maxmemory_policy", NO_EVICTION)),
    )


def read(r: redis.Redis) -> Memory:
    reply: Any = r.info("memory")
    return of_info(reply)


def level(memory: Memory) -> Literal["warning", "critical"] | None:
    """How close Redis is to its limit: None while below WARN (or the limit is unknown)."""
    if memory.limit <= 0:
        return None
    share = memory.used / memory.limit
    if share >= CRITICAL:
        return "critical"
    return "warning" if share >= WARN else None
