"""The case engine: a consumer-group worker on `events` and `commands`, the single writer of
the case projections."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import redis

from cases import alerts, readings
from cases.commands import admit, apply_commands
from cases.model import (
    Case,
    Siting,
    apply,
    awaiting_response,
    case_id,
    escalate_overdue,
    escalate_severe,
    escalate_unanswered,
    escalation_reason,
    handling_armed,
)
from cases.projections import Change, commit
from cases.routing import village_kinds
from ingest.event import Event
from towncc.keys import ENGINE_GROUP, Keys
from towncc.replies import text

log = logging.getLogger(__name__)


class Siter(Protocol):
    """Where each event of a batch belongs (cases.places.Geography is the real one)."""

    def site(self, events: Sequence[Event]) -> list[Siting]: ...


Entry = tuple[str, dict[str, Any]]

# An entry that another consumer has held this long without acking is taken over.
CLAIM_IDLE_MS = 30_000
RETRY_S = 1.0


@dataclass
class Engine:
    r: redis.Redis
    keys: Keys
    geography: Siter
    consumer: str = "engine-1"
    batch: int = 500
    maxlen: int = 1_000_000
    clock: Callable[[], datetime] = dc_field(default=lambda: datetime.now(UTC))
    # Level-1 grid code → community or village, for the routing table; None: the shipped town's.
    kinds: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kinds is None:
            from layers.town import default_town

            self.kinds = village_kinds(default_town())

    @property
    def _streams(self) -> tuple[str, str]:
        return self.keys.events, self.keys.commands

    def ensure_group(self) -> None:
        for stream in self._streams:
            try:
                self.r.xgroup_create(stream, ENGINE_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def recover(self) -> int:
        """Re-apply what this consumer had read but not acked, then what dead peers left."""
        done = 0
        while read := self._read("0", block=None):
            done += self._apply(read)
        for stream in self._streams:
            cursor = "0-0"
            while True:
                cursor, claimed, *_ = self.r.xautoclaim(
                    stream, ENGINE_GROUP, self.consumer, CLAIM_IDLE_MS, cursor, count=self.batch
                )
                entries = [(text(i), _decode(f)) for i, f in claimed if f]
                if entries:
                    done += self._apply({stream: entries})
                if text(cursor) == "0-0":
                    break
        return done

    def step(self, block_ms: int = 1000) -> int:
        """Read and apply one batch of new entries; the number of entries handled."""
        read = self._read(">", block=block_ms)
        return self._apply(read) if read else 0

    def _apply(self, read: dict[str, list[Entry]]) -> int:
        """Events first, then commands, each batch in its own transaction with its acks."""
        done = 0
        if entries := read.get(self.keys.events):
            done += self.process(entries)
        if entries := read.get(self.keys.commands):
            done += self.process_commands(entries)
        return done

    def _read(self, start: str, block: int | None) -> dict[str, list[Entry]]:
        reply: Any = self.r.xreadgroup(
            ENGINE_GROUP,
            self.consumer,
            {stream: start for stream in self._streams},
            count=self.batch,
            block=block,
        )
        return {
            text(s): [(text(i), _decode(f)) for i, f in rows] for s, rows in reply or [] if rows
        }

    def process_commands(self, entries: list[Entry]) -> int:
        """Apply a batch of operator commands, re-checking every guard; refusals are recorded."""
        wanted = {f.get("case_id", "") for _, f in entries} | _parents(entries)
        first = self._load(sorted(w for w in wanted if w))
        changes, replies = apply_commands(entries, first)
        acks = [e for e, _ in entries]
        commit(
            self.r, self.keys, changes, first, [], self.maxlen, command_acks=acks, replies=replies
        )
        return len(entries)

    def process(self, entries: list[Entry]) -> int:
        """Apply a batch: decode, locate in one query, fold per case, commit with the acks."""
        events: list[tuple[str, Event]] = []
        for entry, fields in entries:
            if not fields:  # trimmed from the stream before it was applied: only ack it
                continue
            event = self._decode_event(entry, fields)
            if event is not None:
                events.append((entry, event))
        reports = [(entry, e) for entry, e in events if e.kind == "report"]
        first, changes = self._fold(reports)
        latest = self._latest([e for _, e in events if e.kind != "report"])
        acks = [e for e, _ in entries]
        commit(self.r, self.keys, changes, first, acks, self.maxlen, latest)
        return len(entries)

    def _fold(
        self, reports: list[tuple[str, Event]]
    ) -> tuple[dict[str, Case | None], list[Change]]:
        """The cases before the batch, and every change the batch's reports make to them."""
        sitings = self.geography.site([e for _, e in reports])
        first = self._load(list(dict.fromkeys(case_id(e) for _, e in reports)))
        current: dict[str, Case | None] = dict(first)
        changes: list[Change] = []
        for (entry, event), siting in zip(reports, sitings, strict=True):
            cid = case_id(event)
            result = apply(current[cid], event, siting, entry)
            if result is None:
                continue
            change = Change(current[cid], *result, event.id, entry)
            if change.type == "created":
                change = self._admit(change)
            changes.append(change)
            after = change.after
            current[cid] = after
            if (severe := escalate_severe(after, self.clock())) is not None:
                changes.append(self._escalation(after, severe))
                current[cid] = severe
        return first, changes

    def _admit(self, change: Change) -> Change:
        """A new case: its handling deadline, and its team or the duty officer's queue."""
        after, reason, lifecycle = admit(change.after, self.kinds or {})
        if "calendar_fallback" in after.flags:
            log.warning("case %s: handling deadline runs past the holiday calendar", after.id)
        return replace(change, after=after, reason=reason, lifecycle=tuple(lifecycle))

    def _escalation(self, before: Case, after: Case) -> Change:
        reason = escalation_reason(before, after)
        return Change(before, after, "escalated", "", "", "engine", reason, after.updated_at)

    def _latest(self, events: list[Event]) -> dict[tuple[str, str], bytes]:
        """(hash key, field) → value: telemetry and metrics, newest per source; alerts."""
        found = self._newest([e for e in events if e.kind != "alert"])
        found.update(self._alerts([e for e in events if e.kind == "alert"]))
        return found

    def _newest(self, events: list[Event]) -> dict[tuple[str, str], bytes]:
        if not events:
            return {}
        slots = list(dict.fromkeys((e.kind, readings.field_of(e)) for e in events))
        pipe = self.r.pipeline(transaction=False)
        for kind, field in slots:
            pipe.hget(self.keys.latest(kind), field)
        newest = readings.newest(events, dict(zip(slots, pipe.execute(), strict=True)))
        return {(self.keys.latest(kind), field): v for (kind, field), v in newest.items()}

    def _alerts(self, events: list[Event]) -> dict[tuple[str, str], bytes]:
        """Alerts stored, and those their Updates and Cancels retire."""
        if not events:
            return {}
        wanted = alerts.referenced_keys(events)
        index = {
            k: orjson.loads(v)
            for k, v in zip(wanted, self._hmget(self.keys.alert_index, wanted), strict=True)
            if v
        }
        fields = [f for entry in index.values() for f in entry["fields"]]
        stored = {
            f: orjson.loads(v)
            for f, v in zip(fields, self._hmget(self.keys.latest("alert"), fields), strict=True)
            if v
        }
        changed_index, changed = alerts.fold(events, index, stored)
        out = {(self.keys.alert_index, k): alerts.dumps(v) for k, v in changed_index.items()}
        out.update({(self.keys.latest("alert"), f): alerts.dumps(v) for f, v in changed.items()})
        return out

    def _hmget(self, key: str, fields: list[str]) -> list[Any]:
        return list(self.r.hmget(key, fields)) if fields else []

    def sweep(self) -> int:
        """Escalate every case whose first-response or handling deadline has passed.

        Runs between batches, so deadlines fire on time even when no event arrives.
        """
        now = self.clock()
        due = int(now.timestamp() * 1000)
        ids: list[str] = []
        for key in (self.keys.response_due, self.keys.handling_due):
            found: Any = self.r.zrangebyscore(key, "-inf", due, start=0, num=self.batch)
            ids += [text(i) for i in found]
        first = self._load(list(dict.fromkeys(ids)))
        current = dict(first)
        changes = []
        for cid in first:
            for rule in (escalate_unanswered, escalate_overdue):
                case = current[cid]
                after = rule(case, now) if case else None
                if case and after:
                    changes.append(self._escalation(case, after))
                    current[cid] = after
        self._forget(current)
        if changes:
            commit(self.r, self.keys, changes, dict(first), [], self.maxlen)
        return len(changes)

    def _forget(self, cases: dict[str, Case | None]) -> None:
        """Take cases whose clock no longer runs off the deadline sets (commit re-adds any)."""
        for key, running in (
            (self.keys.response_due, awaiting_response),
            (self.keys.handling_due, handling_armed),
        ):
            stale = [cid for cid, case in cases.items() if case is None or not running(case)]
            if stale:
                self.r.zrem(key, *stale)

    def _decode_event(self, entry: str, fields: dict[str, str]) -> Event | None:
        try:
            return Event.from_json(fields["e"])
        except (KeyError, ValueError) as exc:  # msgspec's errors are ValueErrors
            # Only a writer bug puts such an entry in the stream: keep it, never loop on it.
            log.error("entry %s of %s is not an Event: %s", entry, self.keys.events, exc)
            self.r.xadd(
                self.keys.deadletter,
                {"feed": fields.get("feed", ""), "reason": f"engine: not an Event: {exc}",
                 "raw": str(fields), "entry": entry},
            )  # fmt: skip
            return None

    def _load(self, ids: list[str]) -> dict[str, Case | None]:
        if not ids:
            return {}
        raw = self.r.mget([self.keys.case(i) for i in ids])
        return {i: Case.from_json(v) if v else None for i, v in zip(ids, raw, strict=True)}

    def run(self, stop: threading.Event) -> None:
        """Apply batches until ``stop``; ride out Redis outages, re-reading what was pending."""
        while not stop.is_set():
            try:
                self.ensure_group()
                recovered = self.recover()
                log.info(
                    "engine %s running; %d pending entries re-applied", self.consumer, recovered
                )
                while not stop.is_set():
                    self.step()
                    self.sweep()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                # Nothing is lost: unacked entries stay pending and are re-read after reconnecting.
                log.warning("engine %s: Redis unreachable (%s); retrying", self.consumer, exc)
                stop.wait(RETRY_S)


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so the loop ends after its current batch."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _parents(entries: list[Entry]) -> set[str]:
    """The cases that merge commands name, loaded with the batch to check them."""
    found = set()
    for _, fields in entries:
        try:
            command = orjson.loads(fields.get("c", "{}"))
        except orjson.JSONDecodeError:
            continue
        if isinstance(command, dict) and isinstance(command.get("parent_id"), str):
            found.add(command["parent_id"])
    return found


def _decode(fields: dict[Any, Any] | None) -> dict[str, str]:
    return {text(k): text(v) for k, v in (fields or {}).items()}
