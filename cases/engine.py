"""The case engine: a consumer-group worker on `events` and `commands`, the single writer of
the case projections."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import redis

from cases import group, quarantine, recovery
from cases.alarms import FEED as ALARM_FEED
from cases.calendar import HolidayCalendar
from cases.commands import admit, apply_commands, merge_duplicate, wanted_cases
from cases.dedup import Pool, nearby_ids
from cases.escalation import Handover
from cases.journal import Op, step_fields
from cases.latest import alarm_reports, latest, resummarise, silent_reports
from cases.lifecycle_events import LifecycleEvent
from cases.model import (
    Case,
    Siting,
    apply,
    case_id,
    escalate_overdue,
    escalate_severe,
    escalate_unanswered,
    escalation_reason,
)
from cases.projections import Change, Fields, Writes, commit, off_clock
from cases.quarantine import Poison, Source
from cases.routing import table, village_kinds
from core.event import DeadLetter, Event
from core.keys import ENGINE_GROUP, Keys
from core.replies import text
from core.times import epoch_ms
from ingest.guard import Guard

log = logging.getLogger(__name__)


class Siter(Protocol):
    """Where each event of a batch belongs (cases.places.Geography is the real one)."""

    def site(self, events: Sequence[Event]) -> list[Siting]: ...


Entry = tuple[str, dict[str, Any]]

RETRY_S = 1.0  # the first wait after Redis failed; it doubles up to RETRY_MAX_S
RETRY_MAX_S = 8.0
NO_LIFECYCLE: tuple[LifecycleEvent, ...] = ()
DEAD_LETTERS = Guard()  # the default bounds of a stored dead letter and of its stream


@dataclass
class Engine:
    r: redis.Redis
    keys: Keys
    geography: Siter
    consumer: str = "engine-1"
    batch: int = 500
    maxlen: int = 1_000_000  # of `case-events` and of the journal
    clock: Callable[[], datetime] = dc_field(default=lambda: datetime.now(UTC))
    # Level-1 grid code → community or village, for the routing table; None: the shipped town's.
    kinds: Mapping[str, str] | None = None
    # The holiday calendar of working-time deadlines; None: the shipped one (cases/calendar.py).
    calendar: HolidayCalendar | None = None
    # Who a case escalated to its village or the town is handed to; None: the shipped town's.
    handover: Handover | None = None
    # A rebuild (cases/rebuild.py): write the projections only, never the streams or acks.
    replay: bool = False
    # After each batch: trim the streams by age (cases/retention.py); default: by count only.
    trim: Callable[[redis.Redis, Keys, datetime], object] = dc_field(default=lambda *_: None)
    # Deliveries (each ended by the process dying) after which an entry is quarantined.
    max_deliveries: int = 3
    written: int = dc_field(default=0, init=False)  # audit entries of the last transaction
    _beaten: float = dc_field(default=float("-inf"), init=False)
    _recovered: bool = dc_field(default=False, init=False)  # this process has recovered once

    def __post_init__(self) -> None:
        if self.kinds is None or self.handover is None:
            from layers.town import default_town

            town = default_town()
            self.kinds = self.kinds if self.kinds is not None else village_kinds(town)
            self.handover = self.handover or Handover(table().escalation, town.roster)
        self._handover: Handover = self.handover

    @property
    def _streams(self) -> tuple[str, str]:
        return group.streams(self.keys)

    def ensure_group(self) -> None:
        group.ensure(self.r, self.keys)

    def recover(self) -> int:
        """Apply what this consumer had read but not acked, then what dead peers left; an
        entry that killed the engine ``max_deliveries`` times is quarantined (cases/recovery.py).

        Only the first recovery of a process counts a delivery: a later one follows a Redis
        outage, which was not the entries' fault.
        """
        counted, self._recovered = not self._recovered, True
        return recovery.recover(self, counted)

    def source(self, stream: str) -> Source:
        return "events" if stream == self.keys.events else "commands"

    def step(self, block_ms: int | None = 1000) -> int:
        """Read and apply one batch of new entries; the number of entries handled.

        ``block_ms`` None: return at once when there is nothing to read.
        """
        read = self._read(">", block=block_ms)
        return self._apply(read) if read else 0

    def _apply(self, read: dict[str, list[Entry]]) -> int:
        """Events first, then commands, each batch in its own transaction with its acks."""
        self._beat()
        done = 0
        if entries := read.get(self.keys.events):
            done += self.isolate("events", entries)
        if entries := read.get(self.keys.commands):
            done += self.isolate("commands", entries)
        return done

    def isolate(self, source: Source, entries: list[Entry]) -> int:
        """Apply a batch; an entry that makes it raise is quarantined, the rest applied once."""
        apply = self.process if source == "events" else self.process_commands
        stream = quarantine.stream_of(self.keys, source)

        def set_aside(item: Entry, exc: Exception) -> int:
            count = group.deliveries(self.r, stream, item[0])
            error = quarantine.error_text(exc)
            return self.set_aside(Poison(source, item[0], item[1], error, count))

        return quarantine.isolate(entries, apply, set_aside)

    def set_aside(self, poison: Poison) -> int:
        """Quarantine it: its record, its count and its ack (or its due sets) in one
        transaction; the stream entries this handled (a swept case is none)."""
        # The error is bounded and redacted, and says where it was raised; no traceback,
        # whose last line would repeat the message unredacted.
        log.error(
            "engine %s: %s %s quarantined: %s",
            self.consumer, poison.source, poison.entry, poison.error,
        )  # fmt: skip
        pipe = self.r.pipeline(transaction=True)
        quarantine.add(pipe, self.keys, poison, self.clock(), self.maxlen)
        pipe.execute()
        return 1 if poison.source != "sweep" else 0

    def _read(self, start: str, block: int | None) -> dict[str, list[Entry]]:
        reply: Any = self.r.xreadgroup(
            ENGINE_GROUP,
            self.consumer,
            {stream: start for stream in self._streams},
            count=self.batch,
            block=block,
        )
        return {
            text(s): [(text(i), group.decode(f)) for i, f in rows]
            for s, rows in reply or []
            if rows
        }

    def _beat(self, now: bool = False) -> None:
        """Say that this engine runs, once a second at most (a rebuild refuses meanwhile)."""
        if not self.replay and (now or time.monotonic() - self._beaten >= group.BEAT_S):
            group.beat(self.r, self.keys, self.consumer)
            self._beaten = time.monotonic()

    def _now(self, now: datetime | None) -> datetime:
        """The batch's time: read once per transaction, journaled with it."""
        return (now or self.clock()).astimezone(UTC)

    def process_commands(self, entries: list[Entry], now: datetime | None = None) -> int:
        """Apply a batch of operator commands, re-checking every guard; refusals are recorded."""
        first = self._load(wanted_cases(entries))
        changes, replies = apply_commands(entries, first, self._handover.hand_up)
        acks = [e for e, _ in entries]
        writes = Writes(changes, first, self._now(now), replies=replies, command_acks=acks)
        self._commit(writes, "commands", [e for e, f in entries if f])
        return len(entries)

    def process(self, entries: list[Entry], now: datetime | None = None) -> int:
        """Apply a batch: decode, locate in one query, fold per case, commit with the acks."""
        at = self._now(now)
        events: list[tuple[str, Event]] = []
        dead: list[Fields] = []
        for entry, fields in entries:
            if not fields:  # trimmed from the stream before it was applied: only ack it
                continue
            event = self._decode_event(entry, fields, dead)
            if event is not None:
                events.append((entry, event))
        telemetry = [(entry, e) for entry, e in events if e.kind == "telemetry"]
        alarmed, others = alarm_reports(self.r, self.keys, telemetry)
        reports = [(entry, e) for entry, e in events if e.kind == "report"] + alarmed
        first, changes = self._fold(reports, at)
        # A rebuild leaves the module feeds' days alone: they hold what the streams no longer do.
        held = [e for _, e in events if e.kind != "report"]
        others.update(latest(self.r, self.keys, held, daily=not self.replay))
        acks = [e for e, _ in entries]
        writes = Writes(changes, first, at, latest=others, dead=dead, acks=acks)
        self._commit(writes, "events", [e for e, f in entries if f])
        return len(entries)

    def _commit(self, writes: Writes, op: Op, ids: Sequence[str]) -> None:
        if ids and writes.projects() and not self.replay:
            # A transaction that projects nothing needs no replay: a rebuild skips it too.
            writes.journal = step_fields(op, ids, writes.now, len(writes.changes))
        commit(self.r, self.keys, writes, self.maxlen, replay=self.replay)
        self.written = len(writes.changes)

    def _fold(
        self, reports: list[tuple[str, Event]], now: datetime
    ) -> tuple[dict[str, Case | None], list[Change]]:
        """The cases before the batch, and every change the batch's reports make to them; a
        new case that duplicates an open one is merged into it as it is created."""
        sitings = self.geography.site([e for _, e in reports])
        first = self._load(list(dict.fromkeys(case_id(e) for _, e in reports)))
        current: dict[str, Case | None] = dict(first)
        pool = self._pool(reports, sitings, current)
        changes: list[Change] = []
        for (entry, event), siting in zip(reports, sitings, strict=True):
            cid = case_id(event)
            result = apply(current[cid], event, siting, entry)
            if result is None:
                continue
            after, kind = result
            reason, lifecycle = "", NO_LIFECYCLE
            if kind == "created" and (parent := pool.parent_of(after, current)) is not None:
                after, reason, merged = merge_duplicate(after, parent)
                lifecycle = tuple(merged)
            elif kind == "created":
                after, reason, lifecycle = self._admit(after)
                pool.offer([after])
            before, current[cid] = current[cid], after
            changes.append(
                Change(before, after, kind, event.id, entry, reason=reason, lifecycle=lifecycle)
            )
            if (severe := escalate_severe(after, now)) is not None:
                changes.append(self._escalation(after, severe))
                current[cid] = severe
        return first, changes

    def _pool(
        self,
        reports: list[tuple[str, Event]],
        sitings: list[Siting],
        current: dict[str, Case | None],
    ) -> Pool:
        """The open cases the batch's new reports may duplicate, loaded into ``current``."""
        pool = Pool()
        points = [
            (event.category, siting.lon, siting.lat)
            for (_, event), siting in zip(reports, sitings, strict=True)
            if current.get(case_id(event)) is None and event.feed != ALARM_FEED
            and siting.lon is not None
            and siting.lat is not None and "location_from_grid" not in siting.flags
        ]  # fmt: skip
        if not points:
            return pool
        wanted = [i for i in nearby_ids(self.r, self.keys, points, pool.rules) if i not in current]
        current.update(self._load(wanted))
        pool.offer(c for c in current.values() if c is not None)
        return pool

    def _admit(self, case: Case) -> tuple[Case, str, tuple[LifecycleEvent, ...]]:
        """A new case: its handling deadline, and its team or the duty officer's queue."""
        after, reason, lifecycle = admit(case, self.kinds or {}, self.calendar)
        if "calendar_fallback" in after.flags and not self.replay:
            log.warning("case %s: handling deadline runs past the holiday calendar", after.id)
        return after, reason, tuple(lifecycle)

    def _escalation(self, before: Case, after: Case) -> Change:
        """The engine's escalation (a deadline passed, a severe case), handed to its level."""
        reason = escalation_reason(before, after)
        after = self._handover.hand_up(after, after.updated_at)
        return Change(before, after, "escalated", "", "", "engine", reason, after.updated_at)

    def sweep(self, now: datetime | None = None) -> int:
        """Escalate every case whose first-response or handling deadline has passed, and
        raise the no-data alarm of every station silent for longer than its window.

        Runs between batches, so deadlines fire on time even when no event arrives. A case or
        station whose sweep raises is quarantined, off its due set, so it cannot stop the rest.
        """
        at = self._now(now)
        due = epoch_ms(at)
        ids: list[str] = []
        for key in (self.keys.response_due, self.keys.handling_due):
            found: Any = self.r.zrangebyscore(key, "-inf", due, start=0, num=self.batch)
            ids += [text(i) for i in found]
        escalated = self._sweep_guarded(list(dict.fromkeys(ids)), at, stations=False)
        silent: Any = self.r.zrangebyscore(
            self.keys.silent_due, "-inf", f"({due}", start=0, num=self.batch
        )
        return escalated + self._sweep_guarded([text(s) for s in silent], at, stations=True)

    def _sweep_guarded(self, members: list[str], at: datetime, *, stations: bool) -> int:
        keys = self.keys
        due_sets = (keys.silent_due,) if stations else (keys.response_due, keys.handling_due)

        def apply(part: list[str]) -> int:
            return self.sweep_stations(part, at) if stations else self.sweep_cases(part, at)

        def set_aside(member: str, exc: Exception) -> int:
            scores = {k: s for k in due_sets if (s := self.r.zscore(k, member)) is not None}
            fields = {"member": member, "due": orjson.dumps(scores).decode()}
            error = quarantine.error_text(exc)
            return self.set_aside(Poison("sweep", member, fields, error))

        return quarantine.isolate(members, apply, set_aside)

    def sweep_stations(self, stations: list[str], now: datetime) -> int:
        """Open the no-data alarm cases of these stations if silent by ``now``; the changes."""
        reports, states, gone = silent_reports(self.r, self.keys, stations, now)
        first, changes = self._fold(reports, now)
        unindexed = {self.keys.silent_due: gone} if gone else {}
        writes = Writes(changes, first, now, latest=states, unindexed=unindexed)
        if writes.projects():
            self._commit(writes, "silence", stations)
        return len(changes)

    def sweep_cases(self, ids: list[str], now: datetime) -> int:
        """Escalate those of these cases whose deadline passed by ``now``; the escalations."""
        first = self._load(ids)
        current = dict(first)
        changes = []
        for cid in first:
            for rule in (escalate_unanswered, escalate_overdue):
                case = current[cid]
                after = rule(case, now) if case else None
                if case and after:
                    changes.append(self._escalation(case, after))
                    current[cid] = after
        changed = {c.after.id for c in changes}
        unchanged = {cid: case for cid, case in current.items() if cid not in changed}
        writes = Writes(changes, first, now, unindexed=off_clock(self.keys, unchanged))
        if changes or writes.unindexed:
            self._commit(writes, "sweep", ids)
        return len(changes)

    def _decode_event(self, entry: str, fields: dict[str, str], dead: list[Fields]) -> Event | None:
        try:
            return Event.from_json(fields["e"])
        except (KeyError, ValueError) as exc:  # msgspec's errors are ValueErrors
            # Only a writer bug puts such an entry in the stream: keep it, never loop on it.
            if not self.replay:
                log.error("entry %s of %s is not an Event: %s", entry, self.keys.events, exc)
            letter = DeadLetter(
                feed=fields.get("feed", ""),
                reason=f"engine: not an Event: {exc}",
                raw=orjson.dumps(fields).decode(),
                received_at=self._now(None),
            )
            # Bounded and redacted as the intake stores its own (ingest/guard.py).
            dead.append({**DEAD_LETTERS.dead_fields(letter), "entry": entry})
            return None

    def _load(self, ids: list[str]) -> dict[str, Case | None]:
        if not ids:
            return {}
        raw = self.r.mget([self.keys.case(i) for i in ids])
        return {i: Case.from_json(v) if v else None for i, v in zip(ids, raw, strict=True)}

    def run(self, stop: threading.Event) -> None:
        """Apply batches until ``stop``; ride out Redis outages, re-reading what was pending."""
        delay = RETRY_S
        while not stop.is_set():
            try:
                # First the heartbeat, then the lock; a rebuild takes them the other way round:
                # either it sees this engine, or this engine sees it and waits.
                self._beat(now=True)
                group.wait_for_rebuild(self.r, self.keys, stop, self.consumer)
                self.ensure_group()
                if resummarise(self.r, self.keys):
                    log.info("engine %s: the module feeds' summaries computed again", self.consumer)
                recovered = self.recover()
                log.info(
                    "engine %s running; %d pending entries re-applied", self.consumer, recovered
                )
                delay = RETRY_S
                while not stop.is_set():
                    self.step()
                    self.sweep()
                    self.trim(self.r, self.keys, self.clock())
                    self._beat()
            except redis.RedisError as exc:
                if not quarantine.redis_fault(exc):
                    raise
                # Unreachable, out of memory, read-only: nothing is lost and nothing is the
                # entries' fault; they stay pending and are re-read once Redis serves again.
                log.warning(
                    "engine %s: Redis cannot serve (%s); retrying in %g s", self.consumer,
                    quarantine.error_text(exc), delay,
                )  # fmt: skip
                stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        group.leave(self.r, self.keys, self.consumer)
