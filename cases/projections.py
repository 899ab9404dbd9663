"""Write side of the projections: one batch of case changes → one MULTI/EXEC with the XACKs.

Applying the changes and acknowledging their stream entries in the same transaction makes
a crash either lose the whole batch (re-delivered, re-applied) or keep all of it (acked):
never half. ``apply`` itself also skips an event it has seen, so re-delivery changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import redis
from redis.typing import EncodableT, FieldT

from cases.lifecycle_events import LifecycleEvent, event_to_dict
from cases.model import Case, ChangeType, awaiting_response, handling_armed
from towncc.keys import COMMAND_OUTCOME_TTL_S, COMMAND_REPLY_TTL_S, ENGINE_GROUP, Keys


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the audit log; a ``refused`` one leaves the case as it was."""

    before: Case | None
    after: Case
    type: ChangeType
    event_id: str
    entry: str
    actor: str | None = None  # None: the case's feed
    reason: str = ""
    at: datetime | None = None  # None: when it is written
    command_id: str = ""  # the entry of `commands` it answers
    lifecycle: tuple[LifecycleEvent, ...] = ()  # the lifecycle events it applied


@dataclass(frozen=True, slots=True)
class Reply:
    """The outcome of one command, written with its change and its XACK, never before."""

    command_id: str
    body: bytes


def _open_in(case: Case | None, attr: str) -> str | None:
    if case is None or case.status != "open":
        return None
    value: str | None = getattr(case, attr)
    return value


def count_deltas(first: dict[str, Case | None], last: dict[str, Case]) -> dict[str, Counter[str]]:
    """How the open counts per grid and per village move from before a batch to after it."""
    deltas: dict[str, Counter[str]] = {"grid": Counter(), "village": Counter()}
    for case_id, after in last.items():
        before = first.get(case_id)
        for attr, counter in deltas.items():
            old, new = _open_in(before, attr), _open_in(after, attr)
            if old != new:
                if old:
                    counter[old] -= 1
                if new:
                    counter[new] += 1
    return deltas


def commit(
    r: redis.Redis,
    keys: Keys,
    changes: list[Change],
    first: dict[str, Case | None],
    acks: list[str],
    maxlen: int,
    latest: dict[tuple[str, str], bytes] | None = None,
    *,
    command_acks: Sequence[str] = (),
    replies: Sequence[Reply] = (),
) -> None:
    """Write every change and acknowledge every entry of the batch, atomically.

    ``acks`` are entries of `events`, ``command_acks`` of `commands`; ``replies`` are the
    commands' outcomes, so the API never reports an outcome that is not in the projections.
    """
    last = {c.after.id: c.after for c in changes if c.type != "refused"}
    pipe = r.pipeline(transaction=True)
    for case in last.values():
        score = int(case.reported_at.timestamp() * 1000)
        pipe.set(keys.case(case.id), case.to_json())
        pipe.zadd(keys.all_cases, {case.id: score})
        if case.status == "open":
            pipe.zadd(keys.open_cases, {case.id: score})
        else:
            pipe.zrem(keys.open_cases, case.id)
        if awaiting_response(case) and case.response_due is not None:
            pipe.zadd(keys.response_due, {case.id: int(case.response_due.timestamp() * 1000)})
        else:
            pipe.zrem(keys.response_due, case.id)
        if handling_armed(case) and case.handling_due is not None:
            pipe.zadd(keys.handling_due, {case.id: int(case.handling_due.timestamp() * 1000)})
        else:
            pipe.zrem(keys.handling_due, case.id)
    deltas = count_deltas(first, last)
    for attr, key in (("grid", keys.grid_open), ("village", keys.village_open)):
        for code, delta in deltas[attr].items():
            if delta:
                pipe.hincrby(key, code, delta)
    now = datetime.now(UTC).isoformat()
    for change in changes:
        _record(pipe, keys, change, now, maxlen)
    for (key, field), value in (latest or {}).items():
        pipe.hset(key, field, value)
    for reply in replies:
        pipe.set(keys.command(reply.command_id), reply.body, ex=COMMAND_OUTCOME_TTL_S)
        pipe.rpush(keys.command_reply(reply.command_id), reply.body)
        pipe.expire(keys.command_reply(reply.command_id), COMMAND_REPLY_TTL_S)
    if acks:
        pipe.xack(keys.events, ENGINE_GROUP, *acks)
    if command_acks:
        pipe.xack(keys.commands, ENGINE_GROUP, *command_acks)
    pipe.execute()


def _record(pipe: redis.client.Pipeline, keys: Keys, change: Change, now: str, maxlen: int) -> None:
    """The audit entry of one change, in the case's history and in `case-events`."""
    after = change.after
    entry: dict[FieldT, EncodableT] = {
        "case_id": after.id,
        "type": change.type,
        "at": change.at.astimezone(UTC).isoformat() if change.at else now,
        "actor": change.actor or f"feed:{after.feed}",
        "reason": change.reason,
        "event_id": change.event_id,
        "entry": change.entry,
        "status": after.status,
        "stage": after.stage,
        "source_status": after.source_status,
        "level": after.level,
        "department": after.department or "",
        "queue": after.queue or "",
    }
    if change.command_id:
        entry["command_id"] = change.command_id
    if change.lifecycle:
        entry["lifecycle"] = orjson.dumps([event_to_dict(e) for e in change.lifecycle]).decode()
    pipe.rpush(keys.history(after.id), orjson.dumps(entry))
    pipe.xadd(keys.case_events, entry, maxlen=maxlen, approximate=True)
