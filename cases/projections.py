"""Write side of the projections: one batch of case changes → one MULTI/EXEC with the XACKs.

Applying the changes and acknowledging their stream entries in the same transaction makes
a crash either lose the whole batch (re-delivered, re-applied) or keep all of it (acked):
never half. ``apply`` itself also skips an event it has seen, so re-delivery changes nothing.
The same transaction appends the batch to the engine's journal, so a rebuild replays exactly
what was applied (cases/journal.py); a rebuild writes the projections alone (``replay``).

Every time written comes from the batch (its journaled ``now``) or from its input, never from
the clock at write time: that is what makes a rebuild identical to the live projections.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import redis
from redis.typing import EncodableT, FieldT

from cases import kpi_projection
from cases.dedup import near_point
from cases.escalation import notification
from cases.facets import FACETS
from cases.lifecycle_events import LifecycleEvent, event_to_dict
from cases.model import Case, ChangeType, awaiting_response, entry_key, handling_armed
from cases.tally import keep_counts, late_score
from cases.telemetry import StationState, silent_at
from cases.view import countdowns
from core.keys import COMMAND_OUTCOME_TTL_S, COMMAND_REPLY_TTL_S, ENGINE_GROUP, Keys
from core.times import epoch_ms
from ingest.guard import Guard


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
    at: datetime | None = None  # None: the batch's time
    command_id: str = ""  # the entry of `commands` it answers
    lifecycle: tuple[LifecycleEvent, ...] = ()  # the lifecycle events it applied
    actor_name: str = ""  # the signed-in actor's display name, as it was when they acted


@dataclass(frozen=True, slots=True)
class Reply:
    """The outcome of one command, written with its change and its XACK, never before."""

    command_id: str
    body: bytes


Fields = dict[FieldT, EncodableT]


@dataclass(slots=True)
class Writes:
    """What one transaction writes, and the stream entries it acknowledges."""

    changes: list[Change]
    first: Mapping[str, Case | None]  # the changed cases as they were before the batch
    now: datetime  # the batch's clock: the time of every audit entry without its own
    latest: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (hash, field) → value
    replies: list[Reply] = field(default_factory=list)
    unindexed: dict[str, list[str]] = field(default_factory=dict)  # due set → ids to drop
    dead: list[Fields] = field(default_factory=list)  # entries that are not Events
    acks: list[str] = field(default_factory=list)  # entries of `events`
    command_acks: list[str] = field(default_factory=list)  # entries of `commands`
    journal: Fields | None = None  # this transaction's journal entry

    def projects(self) -> bool:
        """Whether it writes any projection (or dead letter); if not, only its acks count."""
        return bool(self.changes or self.latest or self.replies or self.unindexed or self.dead)


def handed_up(change: Change) -> bool:
    """An escalation that moved the case to a level above: its new level is told."""
    before = change.before
    return change.type == "escalated" and (before is None or before.level != change.after.level)


def _open_in(case: Case | None, attr: str) -> str | None:
    if case is None or case.status != "open":
        return None
    value: str | None = getattr(case, attr)
    return value


def count_deltas(
    first: Mapping[str, Case | None], last: dict[str, Case]
) -> dict[str, Counter[str]]:
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


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else epoch_ms(moment)


# The dead-letter stream's exact cap at the default byte budget, as the intake keeps it.
DEAD_MAXLEN = Guard().deadletter_maxlen

Index = tuple[Callable[[Keys], str], Callable[[Case], int | None]]
# The deadlines that can still escalate a case (the engine's sweep reads them), in ms.
DUE_INDEXES: tuple[Index, ...] = (
    (lambda k: k.response_due, lambda c: _ms(c.response_due) if awaiting_response(c) else None),
    (lambda k: k.handling_due, lambda c: _ms(c.handling_due) if handling_armed(c) else None),
)
# When an open case becomes late on either clock / on its first response, as the case view
# says (cases/view.py), in µs: what cases/counts.py counts "late now" from.
LATE_INDEXES: tuple[Index, ...] = (
    (lambda k: k.late_at, lambda c: late_score(countdowns(c).late_at)),
    (lambda k: k.response_late_at, lambda c: late_score(countdowns(c).response_due)),
)
# Each sorted set the engine keeps, and a case's score in it (None: not a member).
INDEXES: tuple[Index, ...] = (
    (lambda k: k.all_cases, lambda c: _ms(c.reported_at)),
    (lambda k: k.open_cases, lambda c: _ms(c.reported_at) if c.status == "open" else None),
    *DUE_INDEXES,
    *LATE_INDEXES,
)


def facet_values(case: Case | None) -> dict[str, str]:
    """The facet sets an open case belongs to (none for a closed or absent one)."""
    if case is None or case.status != "open":
        return {}
    return {name: value for name in FACETS if (value := getattr(case, name))}


def facets(
    pipe: redis.client.Pipeline, keys: Keys, first: Mapping[str, Case | None], last: list[Case]
) -> None:
    """Each changed case leaves the sets of the values it no longer has and joins its new
    ones; a case whose values stayed writes nothing."""
    add: dict[str, dict[str, int]] = defaultdict(dict)
    drop: dict[str, list[str]] = defaultdict(list)
    for case in last:
        before, after = facet_values(first.get(case.id)), facet_values(case)
        for name in FACETS:
            old, new = before.get(name), after.get(name)
            if old == new:
                continue
            if old:
                drop[keys.facet(name, old)].append(case.id)
            if new:
                add[keys.facet(name, new)][case.id] = epoch_ms(case.reported_at)
    for key, ids in drop.items():
        pipe.zrem(key, *ids)
    for key, members in add.items():
        pipe.zadd(key, members)


def off_clock(keys: Keys, cases: Mapping[str, Case | None]) -> dict[str, list[str]]:
    """Deadline set → those of these cases (None: gone) whose clock there no longer runs."""
    found: dict[str, list[str]] = {}
    for key_of, score_of in DUE_INDEXES:
        if stale := [cid for cid, case in cases.items() if case is None or score_of(case) is None]:
            found[key_of(keys)] = stale
    return found


def commit(
    r: redis.Redis, keys: Keys, writes: Writes, maxlen: int, *, replay: bool = False
) -> None:
    """Write every change and acknowledge every entry of the batch, atomically.

    ``replay`` (a rebuild) writes the projections only: no audit stream, no one-shot replies,
    no acks, no journal. The replies are the commands' outcomes, so the API never reports an
    outcome that is not in the projections.
    """
    last = {c.after.id: c.after for c in writes.changes if c.type != "refused"}
    pipe = r.pipeline(transaction=True)
    if last:
        pipe.mset({keys.case(cid): case.to_json() for cid, case in last.items()})
    index(pipe, keys, list(last.values()), writes.unindexed)
    facets(pipe, keys, writes.first, list(last.values()))
    _near(pipe, keys, writes.first, list(last.values()))
    _silent_due(pipe, keys, writes)
    for change in writes.changes:
        if (parent := merged_into(change)) is not None:
            pipe.rpush(keys.duplicates(parent), change.after.id)
    kpi_projection.write(pipe, keys, writes.first, last)
    deltas = count_deltas(writes.first, last)
    for attr, key in (("grid", keys.grid_open), ("village", keys.village_open)):
        for code, delta in deltas[attr].items():
            if delta:
                pipe.hincrby(key, code, delta)
    keep_counts(pipe, keys, writes.first, last)
    _record(pipe, keys, writes, maxlen, replay)
    by_key: dict[str, Fields] = defaultdict(dict)
    for (key, name), value in writes.latest.items():
        by_key[key][name] = value
    for key, mapping in by_key.items():
        pipe.hset(key, mapping=mapping)
    _reply(pipe, keys, writes.replies, replay)
    if not replay:
        for fields in writes.dead:
            pipe.xadd(keys.deadletter, fields, maxlen=DEAD_MAXLEN, approximate=False)
        if writes.acks:
            pipe.xack(keys.events, ENGINE_GROUP, *writes.acks)
        if writes.command_acks:
            pipe.xack(keys.commands, ENGINE_GROUP, *writes.command_acks)
        if writes.journal is not None:
            pipe.xadd(keys.journal, writes.journal, maxlen=maxlen, approximate=True)
    pipe.execute()


def index(
    pipe: redis.client.Pipeline,
    keys: Keys,
    cases: list[Case],
    unindexed: Mapping[str, list[str]],
    indexes: tuple[Index, ...] = INDEXES,
) -> None:
    """Each sorted set gets one ZADD and one ZREM for the whole batch, not one per case."""
    for key_of, score_of in indexes:
        key = key_of(keys)
        add: dict[str, int] = {}
        drop: list[str] = list(unindexed.get(key, ()))
        for case in cases:
            score = score_of(case)
            if score is None:
                drop.append(case.id)
            else:
                add[case.id] = score
        if add:
            pipe.zadd(key, add)
        if drop:
            pipe.zrem(key, *drop)


def _silent_due(pipe: redis.client.Pipeline, keys: Keys, writes: Writes) -> None:
    """The stations' silent-due set follows their alarm states: each state written puts its
    station where ``silent_at`` says (or takes it out), so the two never disagree."""
    add: dict[str, int] = {}
    drop = list(writes.unindexed.get(keys.silent_due, ()))
    for (key, station), value in writes.latest.items():
        if key != keys.alarm_state:
            continue
        due = silent_at(StationState.from_json(value))
        if due is None:
            drop.append(station)
        else:
            add[station] = epoch_ms(due)
    if add:
        pipe.zadd(keys.silent_due, add)
    if drop:
        pipe.zrem(keys.silent_due, *drop)


def merged_into(change: Change) -> str | None:
    """The case this change merges its case into (by an operator or as a duplicate), if any."""
    before, after = change.before, change.after
    if change.type == "refused" or after.stage != "merged" or after.parent is None:
        return None
    return None if before is not None and before.stage == "merged" else after.parent


def _near(
    pipe: redis.client.Pipeline, keys: Keys, first: Mapping[str, Case | None], cases: list[Case]
) -> None:
    """The GEO sets of the open cases a duplicate may join (cases/dedup.py): one GEOADD and
    one ZREM per category for the batch."""
    add: dict[str, list[EncodableT]] = defaultdict(list)
    drop: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        before = first.get(case.id)
        if before is not None and before.category != case.category:
            drop[keys.near(before.category)].append(case.id)
        point = near_point(case)
        if point is None:
            drop[keys.near(case.category)].append(case.id)
        else:
            add[keys.near(case.category)] += [point[0], point[1], case.id]
    for key, values in add.items():
        pipe.geoadd(key, values)
    for key, ids in drop.items():
        pipe.zrem(key, *ids)


def _reply(pipe: redis.client.Pipeline, keys: Keys, replies: list[Reply], replay: bool) -> None:
    """Outcomes expire counted from the command's entry id (its time), so a rebuild
    writes the very same expiry; the one-shot reply is for a request waiting now only."""
    for reply in replies:
        queued_ms = entry_key(reply.command_id)[0]
        outcome_until = queued_ms + COMMAND_OUTCOME_TTL_S * 1000
        pipe.set(keys.command(reply.command_id), reply.body, pxat=outcome_until)
        if not replay:
            waiting = keys.command_reply(reply.command_id)
            pipe.rpush(waiting, reply.body)
            pipe.pexpireat(waiting, queued_ms + COMMAND_REPLY_TTL_S * 1000)


def _record(
    pipe: redis.client.Pipeline, keys: Keys, writes: Writes, maxlen: int, replay: bool
) -> None:
    """The audit entries: each case's history (one RPUSH per case), and `case-events`."""
    now = writes.now.astimezone(UTC).isoformat()
    history: dict[str, list[bytes]] = defaultdict(list)
    for change in writes.changes:
        entry = audit_entry(change, now)
        history[change.after.id].append(orjson.dumps(entry))
        if not replay:
            pipe.xadd(keys.case_events, entry, maxlen=maxlen, approximate=True)
            if handed_up(change):
                told = notification(change.after, change.reason, change.at or writes.now)
                pipe.xadd(keys.notifications, told, maxlen=maxlen, approximate=True)
    for case_id, entries in history.items():
        pipe.rpush(keys.history(case_id), *entries)


def audit_entry(change: Change, now: str) -> Fields:
    """One change as `case-events` and the case's history carry it."""
    after = change.after
    entry: Fields = {
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
    if change.actor_name:
        entry["actor_name"] = change.actor_name
    if change.lifecycle:
        entry["lifecycle"] = orjson.dumps([event_to_dict(e) for e in change.lifecycle]).decode()
    return entry
