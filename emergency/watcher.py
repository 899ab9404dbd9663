"""`towncc emergency`: the process that declares incidents by rule, keeps their timelines, and
sends their notices.

One loop, each step:

1. reads `events` (the CAP alerts) and `case-events` (every change of a case) as the consumer
   group `emergency` (created at the streams' end: a first start never replays history);
2. matches the rules (emergency/rules.py) and declares what they find, once per occasion;
3. puts on an active incident's timeline every case opened inside its area, and every action
   taken on one;
4. hands the new `notifications` entries to the phone gateway (group `gateway`), takes the
   gateway's acknowledgements, and re-sends and escalates the notices past their time.

A record that breaks a step is logged (its id and the error, never its text) and acknowledged:
one bad record never stops the centre's emergency side.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
import shapely

from cases.escalation import Handover
from cases.readings import snapshot
from cases.store import get_cases
from core.event import Event
from core.keys import Keys
from core.replies import text
from emergency import incidents, notices, rules, store
from emergency.gateway import Gateway, Message, Off
from emergency.incidents import Context

log = logging.getLogger(__name__)
GROUP = "emergency"
GATEWAY_GROUP = "gateway"
ALERT_FEED = "cap"
QUIET_TYPES = frozenset({"updated"})  # a feed's update of a case is not an action on it
MAX_TRIES = 5  # a message the gateway refuses this often is given up, and said so


@dataclass
class Watcher:
    r: redis.Redis
    keys: Keys
    context: Context
    handover: Handover
    gateway: Gateway = field(default_factory=Off)
    table: tuple[rules.Rule, ...] = field(default_factory=rules.rules)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    minutes: float = 10.0  # to acknowledge a notice
    link_base: str = ""  # the centre's address, for the acknowledgement links
    consumer: str = "emergency-1"
    batch: int = 500
    _tries: dict[str, int] = field(default_factory=dict)

    def ensure_groups(self) -> None:
        for stream, name in (
            (self.keys.events, GROUP),
            (self.keys.case_events, GROUP),
            (self.keys.notifications, GATEWAY_GROUP),
        ):
            try:
                self.r.xgroup_create(stream, name, id="$", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    # ---- one step -------------------------------------------------------------------------

    def step(self, block_ms: int | None = 1000) -> int:
        """Read, match, declare, log, notify; the entries handled."""
        reply: Any = self.r.xreadgroup(
            GROUP,
            self.consumer,
            {self.keys.events: ">", self.keys.case_events: ">"},
            count=self.batch,
            block=block_ms,
        )
        handled = 0
        for stream, entries in reply or []:
            name = text(stream)
            if name == self.keys.events:
                self._alerts(entries)
            else:
                self._cases(entries)
            self.r.xack(name, GROUP, *[entry_id for entry_id, _ in entries])
            handled += len(entries)
        self.notify()
        return handled

    def run(self, stop: threading.Event) -> None:
        self.ensure_groups()
        while not stop.is_set():
            try:
                self.step()
            except redis.RedisError as exc:
                log.warning("Redis failed (%s); trying again", type(exc).__name__)
                stop.wait(1.0)
            except Exception:  # a step that breaks is logged and the loop goes on
                log.exception("an emergency step failed; trying again")
                stop.wait(1.0)

    # ---- rules ----------------------------------------------------------------------------

    def _alerts(self, entries: list[tuple[Any, dict[Any, Any]]]) -> None:
        now = self.clock()
        for entry_id, raw in entries:
            fields = {text(k): v for k, v in raw.items()}  # bytes or text, as the client reads
            if text(fields.get("feed", "")) != ALERT_FEED:
                continue
            try:
                alert = snapshot(Event.from_json(fields["e"]))
                if self._follows(alert, now):
                    continue
                found = rules.for_alert(alert, self.context.town.boundary, now, self.table)
                if found is not None:
                    self.declare(found, now, alert=alert)
            except Exception:  # one record never stops the loop
                log.exception("alert entry %s could not be matched", text(entry_id))

    def _follows(self, alert: dict[str, Any], now: datetime) -> bool:
        """An Update or a Cancel of an alert that declared an incident belongs to that
        incident: an Update carries it on (never a second incident for one storm), a Cancel
        puts 预警解除 on its timeline and, when the rule says so (`ends_with_alert`), ends it.
        True when the alert was one of those."""
        attrs = alert.get("attrs") or {}
        kind = attrs.get("msgType")
        refs = attrs.get("references") or [] if kind in ("Update", "Cancel") else []
        for ref in refs:
            source = rules.alert_source(ref.get("sender", ""), ref.get("identifier", ""))
            incident_id = self.r.hget(self.keys.incident_sources, source)
            incident = store.get(self.r, self.keys, text(incident_id)) if incident_id else None
            if incident is None:
                continue
            own = rules.alert_source(attrs.get("sender", ""), attrs.get("identifier", ""))
            self.r.hsetnx(self.keys.incident_sources, own, incident["id"])
            title = attrs.get("headline") or alert.get("title") or ""
            what = "alert_updated" if kind == "Update" else "alert_cancelled"
            entry = store.entry(what, now, "feed:cap", title=title, severity=attrs.get("severity"))
            store.log(self.r, self.keys, incident["id"], entry)
            rule = next((r for r in self.table if r.id == incident["source"].get("rule")), None)
            if (
                kind == "Cancel"
                and incident["status"] == "active"
                and rule
                and rule.ends_with_alert
            ):
                with contextlib.suppress(store.IncidentError):  # ended meanwhile
                    store.end(self.r, self.keys, incident["id"], actor=f"rule:{rule.id}", at=now,
                              note=title)  # fmt: skip
            return True
        return False

    def _cases(self, entries: list[tuple[Any, dict[Any, Any]]]) -> None:
        now = self.clock()
        changes = [(text(i), {text(k): text(v) for k, v in f.items()}) for i, f in entries]
        ids = list(dict.fromkeys(f["case_id"] for _, f in changes if f.get("case_id")))
        cases = {c["id"]: c for c in get_cases(self.r, self.keys, ids, now)}
        active = (store.get(self.r, self.keys, a) for a in store.active_ids(self.r, self.keys))
        areas = [(i, shapely.geometry.shape(i["area"])) for i in active if i]
        for entry_id, change in changes:
            case = cases.get(change.get("case_id", ""))
            if case is None:
                continue
            try:
                self._timeline(change, case, areas)
                found = rules.for_case(case, self.table)
                if found is not None:
                    self.declare(found, now)
                if change.get("type") == "created":
                    self._cluster(case, now)
            except Exception:  # one record never stops the loop
                log.exception("case entry %s could not be matched", entry_id)

    def _timeline(self, change: dict[str, str], case: dict[str, Any], areas: list[Any]) -> None:
        """The case in or out of each active incident's index of the cases inside; a case
        opened inside, or acted on, on its timeline."""
        at = datetime.fromisoformat(change["at"])
        for incident, area in areas:
            key = self.keys.incident_cases(incident["id"])
            if incidents.inside(case, incident, area):
                reported = datetime.fromisoformat(case["reported_at"])
                self.r.zadd(key, {case["id"]: int(reported.timestamp() * 1000)})
            else:
                self.r.zrem(key, case["id"])
            if case.get("lon") is None or change.get("type") in QUIET_TYPES:
                continue
            point = shapely.Point(case["lon"], case["lat"])
            if at < datetime.fromisoformat(incident["declared_at"]) or not area.intersects(point):
                continue
            kind = "case_opened" if change["type"] == "created" else "case_action"
            actor = change.get("actor_name") or change.get("actor", "")
            detail = {"case": case["id"], "title": case["title"], "change": change["type"]}
            entry = store.entry(kind, at, actor, **detail, stage=change.get("stage", ""))
            store.log(self.r, self.keys, incident["id"], entry)

    def _cluster(self, case: dict[str, Any], now: datetime) -> None:
        grid = case.get("grid")
        if not grid:
            return
        for rule in rules.cluster_rules(case["category"], self.table):
            window = self.keys.incident_window(rule.id, grid, case["category"])
            reported = datetime.fromisoformat(case["reported_at"])
            since = reported - timedelta(minutes=rule.minutes)
            pipe = self.r.pipeline(transaction=True)
            pipe.zadd(window, {case["id"]: int(reported.timestamp() * 1000)})
            pipe.zremrangebyscore(window, "-inf", int(since.timestamp() * 1000) - 1)
            pipe.zcard(window)
            pipe.pexpire(window, int(rule.minutes * 60_000) + 60_000)
            count = pipe.execute()[2]
            if count < rule.count:
                continue
            occasion = f"cluster:{rule.id}:{grid}:{case['category']}"
            earlier = self.r.hget(self.keys.incident_sources, occasion)
            if earlier and text(earlier) in store.active_ids(self.r, self.keys):
                continue  # this grid's cluster already has its incident
            area = self.context.town.l2.geometry[grid]
            title = rules.cluster_title(rule, case.get("grid_name") or grid, case["category"])
            found = rules.Match(
                rule, f"{occasion}:{case['id']}", title, "polygon", None,
                shapely.geometry.mapping(area),
            )  # fmt: skip
            declared = self.declare(found, now)
            if declared:
                self.r.hset(self.keys.incident_sources, occasion, declared)

    def declare(
        self, found: rules.Match, now: datetime, alert: dict[str, Any] | None = None
    ) -> str | None:
        """Declare the match's incident (once per occasion) and send its notices; its id, or
        None when the occasion had one already or its area does not touch the town."""
        if self.r.hexists(self.keys.incident_sources, found.source):
            return None
        try:
            area = incidents.area_of(
                found.shape, context=self.context, point=found.point,
                radius_m=found.rule.radius_m, polygon=found.area, alert=alert,
            )  # fmt: skip
        except store.IncidentError:
            return None
        source = {"kind": "rule", "rule": found.rule.id, "occasion": found.source}
        incident = incidents.prepare(
            self.r, self.keys, self.context, title=found.title, shape=found.shape, area=area,
            actor=f"rule:{found.rule.id}", now=now, point=found.point,
            radius_m=found.rule.radius_m if found.shape == "point" else None, source=source,
        )  # fmt: skip
        incident_id, new = incidents.open_incident(
            self.r, self.keys, incident, source=found.source, now=now, minutes=self.minutes,
            link_base=self.link_base,
        )  # fmt: skip
        return incident_id if new else None

    # ---- notices --------------------------------------------------------------------------

    def notify(self) -> None:
        """Send what `notifications` holds, take the acknowledgements, re-send the late."""
        now = self.clock()
        reply: Any = self.r.xreadgroup(
            GATEWAY_GROUP, self.consumer, {self.keys.notifications: "0"}, count=self.batch
        )
        pending = [e for _, entries in reply or [] for e in entries]
        reply = self.r.xreadgroup(
            GATEWAY_GROUP, self.consumer, {self.keys.notifications: ">"}, count=self.batch
        )
        for entry_id, fields in [*pending, *(e for _, entries in reply or [] for e in entries)]:
            self._send(text(entry_id), {text(k): text(v) for k, v in fields.items()}, now)
        for notice_id, via in self.gateway.replies(now):
            notices.ack(self.r, self.keys, notice_id, now=now, via=via)
        notices.tick(self.r, self.keys, now, minutes=self.minutes, handover=self.handover)

    def _send(self, entry_id: str, fields: dict[str, str], now: datetime) -> None:
        ref = fields.get("notice") or fields.get("case_id") or entry_id
        if fields.get("kind") == "incident-village":
            ref = f"{ref}-village"
        message = Message(
            ref, fields.get("to", ""), fields.get("phone", ""), fields.get("text", "")
        )
        try:
            if message.phone:
                self.gateway.send(message, now)
        except Exception as exc:  # a gateway's failure, whatever it is, is tried again
            tries = self._tries[entry_id] = self._tries.get(entry_id, 0) + 1
            if tries < MAX_TRIES:
                log.warning(
                    "gateway %s refused %s (%s): try %d", self.gateway.name, ref, exc, tries
                )
                return
            log.error(
                "gateway %s gave up on %s after %d tries: %s", self.gateway.name, ref, tries, exc
            )
            if fields.get("incident"):
                entry = store.entry("notice_failed", now, "centre", notice=ref, error=str(exc))
                store.log(self.r, self.keys, fields["incident"], entry)
        self._tries.pop(entry_id, None)
        self.r.xack(self.keys.notifications, GATEWAY_GROUP, entry_id)
