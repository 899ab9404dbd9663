"""The case engine: a consumer-group worker on `events` that keeps the case projections."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
import redis

from cases import alerts, readings
from cases.model import Case, Siting, apply, awaiting_response, case_id, escalate_unanswered
from cases.projections import Change, commit
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

    def ensure_group(self) -> None:
        try:
            self.r.xgroup_create(self.keys.events, ENGINE_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def recover(self) -> int:
        """Re-apply what this consumer had read but not acked, then what dead peers left."""
        done = 0
        while entries := self._read("0", block=None):
            done += self.process(entries)
        cursor = "0-0"
        while True:
            cursor, claimed, *_ = self.r.xautoclaim(
                self.keys.events,
                ENGINE_GROUP,
                self.consumer,
                CLAIM_IDLE_MS,
                cursor,
                count=self.batch,
            )
            if claimed:
                done += self.process([(i, f) for i, f in claimed if f])
            if text(cursor) == "0-0":
                return done

    def step(self, block_ms: int = 1000) -> int:
        """Read and apply one batch of new entries; the number of entries handled."""
        entries = self._read(">", block=block_ms)
        return self.process(entries) if entries else 0

    def _read(self, start: str, block: int | None) -> list[Entry]:
        reply: Any = self.r.xreadgroup(
            ENGINE_GROUP, self.consumer, {self.keys.events: start}, count=self.batch, block=block
        )
        if not reply:
            return []
        return [(text(i), _decode(f)) for i, f in reply[0][1]]

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
            if result is not None:
                after, kind = result
                changes.append(Change(current[cid], after, kind, event.id, entry))
                current[cid] = after
        return first, changes

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
        """Escalate every case whose first-response deadline has passed unanswered.

        Runs between batches, so deadlines fire on time even when no event arrives.
        """
        now = self.clock()
        due: Any = self.r.zrangebyscore(
            self.keys.response_due, "-inf", int(now.timestamp() * 1000), start=0, num=self.batch
        )
        ids = [text(i) for i in due]
        first = self._load(ids)
        changes = []
        for case in first.values():
            after = escalate_unanswered(case, now) if case else None
            if after is not None:
                reason = "first response overdue: escalated from grid to village"
                changes.append(Change(case, after, "escalated", "", "", "engine", reason))
        stale = [cid for cid, case in first.items() if case is None or not awaiting_response(case)]
        if stale:
            self.r.zrem(self.keys.response_due, *stale)
        if changes:
            commit(self.r, self.keys, changes, dict(first), [], self.maxlen)
        return len(changes)

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


def _decode(fields: dict[Any, Any] | None) -> dict[str, str]:
    return {text(k): text(v) for k, v in (fields or {}).items()}
