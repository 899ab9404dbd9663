"""The Redis writer: Events → stream `events`, DeadLetters → stream `deadletter`.

The only module of ingest/ that talks to Redis; no adapter imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio as aredis
from redis.typing import EncodableT, FieldT

from ingest.adapter import Result
from ingest.event import DeadLetter, Event
from towncc.keys import Keys


@dataclass(slots=True)
class Outcome:
    """What happened to one payload: counts plus each dead letter's reason."""

    accepted: int = 0
    deadlettered: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    body_error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "deadlettered": self.deadlettered, "errors": self.errors}


Fields = dict[FieldT, EncodableT]


def plan(results: Iterable[Result], keys: Keys) -> tuple[list[tuple[str, Fields]], Outcome]:
    """The stream entries to add for these results, and the outcome to report once stored."""
    entries: list[tuple[str, Fields]] = []
    outcome = Outcome()
    for index, result in enumerate(results):
        if isinstance(result, Event):
            fields: Fields = {"id": result.id, "feed": result.feed, "e": result.to_json()}
            entries.append((keys.events, fields))
            outcome.accepted += 1
        else:
            entries.append((keys.deadletter, result.fields()))
            outcome.deadlettered += 1
            outcome.errors.append(_error(index, result))
            if result.scope == "body":
                outcome.body_error = result.reason
    return entries, outcome


def _error(index: int, dead: DeadLetter) -> dict[str, Any]:
    return {"index": index, "source_id": dead.source_id, "reason": dead.reason}


class RedisSink:
    """Writes planned entries in one pipelined round trip, each stream capped (MAXLEN ~)."""

    def __init__(self, keys: Keys, maxlen: int) -> None:
        self.keys = keys
        self.maxlen = maxlen

    def write(self, client: redis.Redis, results: Iterable[Result]) -> Outcome:
        entries, outcome = plan(results, self.keys)
        pipe = client.pipeline(transaction=False)
        for stream, fields in entries:
            pipe.xadd(stream, fields, maxlen=self.maxlen, approximate=True)
        pipe.execute()
        return outcome

    async def write_async(self, client: aredis.Redis, results: Iterable[Result]) -> Outcome:
        entries, outcome = plan(results, self.keys)
        async with client.pipeline(transaction=False) as pipe:
            for stream, fields in entries:
                pipe.xadd(stream, fields, maxlen=self.maxlen, approximate=True)
            await pipe.execute()
        return outcome
