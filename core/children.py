"""What `towncc demo` says about each of its child processes, kept in Redis for the web
process (its `/healthz` and the wall) to show.

The supervisor rewrites the whole hash every second with a short TTL: a supervisor that is
gone leaves no "running" behind, only an expired (empty) hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal, cast

import orjson
import redis

from core.keys import Keys
from core.replies import text

State = Literal["waiting", "running", "restarting", "down"]
STATES: tuple[State, ...] = ("waiting", "running", "restarting", "down")
STATE_TTL_MS = 10_000


@dataclass(frozen=True, slots=True)
class ChildState:
    """One child: ``down`` is over its restart budget and stays down until the next start."""

    name: str
    state: State
    restarts: int = 0
    exit_code: int | None = None
    since: str = ""  # ISO 8601 UTC: when it entered this state
    pid: int | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, name: str, raw: str | bytes) -> ChildState:
        """The state as written; something unreadable reads as unknown (never as running)."""
        try:
            data = orjson.loads(raw)
            state = data["state"] if data["state"] in STATES else "down"
            code = data.get("exit_code")
            return cls(
                name, cast(State, state), int(data.get("restarts") or 0),
                code if isinstance(code, int) else None, str(data.get("since") or ""),
                data.get("pid") if isinstance(data.get("pid"), int) else None,
            )  # fmt: skip
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return cls(name, "down")


def publish(r: redis.Redis, keys: Keys, states: Sequence[ChildState]) -> None:
    """Replace the hash with these states, expiring in STATE_TTL_MS unless published again."""
    pipe = r.pipeline(transaction=True)
    pipe.delete(keys.supervisor)
    if states:
        pipe.hset(keys.supervisor, mapping={s.name: s.to_json() for s in states})
        pipe.pexpire(keys.supervisor, STATE_TTL_MS)
    pipe.execute()


def read(r: redis.Redis, keys: Keys) -> list[ChildState]:
    """The children a live supervisor reports (none when there is no supervisor)."""
    found = r.hgetall(keys.supervisor)
    states = [ChildState.from_json(text(k), v) for k, v in found.items()]
    return sorted(states, key=lambda s: s.name)
