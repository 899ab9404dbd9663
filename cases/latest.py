"""The engine's side of telemetry, module metrics and CAP alerts: what a batch changes in
`latest:<kind>`, the module feeds' summaries (`latest:summary:*`), `alert-index` and
`alarm-state`, read from Redis and folded by cases.readings, cases.alerts and cases.telemetry
(pure); threshold alarms come back as report Events (cases.alarms) for the batch's case fold."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import orjson
import redis
from redis.typing import EncodableT, FieldT

from cases import alerts, readings
from cases.alarms import Station, alarm_event, placed, station_of
from cases.model import entry_key
from cases.telemetry import StationState, observe, reading_of, silence
from core.event import Event
from core.keys import Keys, glob_escape
from core.replies import text

Latest = dict[tuple[str, str], bytes]  # (hash key, field) → value


def latest(r: redis.Redis, keys: Keys, events: list[Event], *, daily: bool = True) -> Latest:
    """Telemetry and metrics, the newest per source (``daily``: and per day, for the module
    feeds with a history); alerts and their retirements."""
    found = _newest(r, keys, [e for e in events if e.kind != "alert"], daily)
    found.update(_alerts(r, keys, [e for e in events if e.kind == "alert"]))
    return found


def _newest(r: redis.Redis, keys: Keys, events: list[Event], by_day: bool) -> Latest:
    """The newest record per source, and per day for the module feeds with a history."""
    if not events:
        return {}
    daily = [e for e in events if by_day and e.kind == "metric" and e.feed in readings.DAILY_FEEDS]
    slots = list(dict.fromkeys(readings.slot_of(e) for e in events))
    days = list(dict.fromkeys(readings.day_slot_of(e) for e in daily))
    pipe = r.pipeline(transaction=False)
    for kind, field in slots:
        pipe.hget(keys.latest(kind), field)
    for feed_day, source in days:
        pipe.hget(keys.metric_day(*feed_day.split(":", 1)), source)
    stored = pipe.execute()
    newest = readings.newest(events, dict(zip(slots, stored[: len(slots)], strict=True)))
    found = {(keys.latest(kind), field): v for (kind, field), v in newest.items()}
    current = dict(zip(days, stored[len(slots) :], strict=True))
    for (feed_day, source), v in readings.newest(daily, current, readings.day_slot_of).items():
        found[keys.metric_day(*feed_day.split(":", 1)), source] = v
    before = dict(zip(slots, stored[: len(slots)], strict=True))
    found.update(_summaries(r, keys, [(before.get(slot), v) for slot, v in newest.items()
                                      if slot[0] == "metric"]))  # fmt: skip
    return found


def summary_key(keys: Keys, feed: str, period: str = "") -> str:
    """A module feed's summary (cases/readings.py SUMMARIES): its tallies, or those of one day
    or month."""
    return keys.latest(f"summary:{feed}" + (f":{period}" if period else ""))


def spec_key(keys: Keys) -> str:
    """Hash: `spec` → which SUMMARIES the summaries were kept by (`readings.SPEC`)."""
    return keys.latest("summary")


def _summaries(
    r: redis.Redis, keys: Keys, replaced: list[tuple[bytes | str | None, bytes]]
) -> Latest:
    """The summaries' fields these replacements (old record or None, new record) change, as
    their new values: one HMGET per summary hash touched."""
    change: Counter[tuple[str, str]] = Counter()
    for old, new in replaced:
        record = orjson.loads(new)
        feed = record.get("feed")
        if feed not in readings.SUMMARIES:
            continue
        before = orjson.loads(old) if old else None
        for (period, name), amount in readings.summary_change(feed, before, record).items():
            change[summary_key(keys, feed, period), name] += amount
    if not change:
        return {}
    by_key: dict[str, list[str]] = defaultdict(list)
    for key, name in change:
        by_key[key].append(name)
    pipe = r.pipeline(transaction=False)
    for key, names in by_key.items():
        pipe.hmget(key, names)
    found: Latest = {(spec_key(keys), "spec"): readings.SPEC.encode()}
    for (key, names), values in zip(by_key.items(), pipe.execute(), strict=True):
        for name, value in zip(names, values, strict=True):
            found[key, name] = str(int(value or 0) + change[key, name]).encode()
    return found


def resummarise(r: redis.Redis, keys: Keys) -> bool:
    """Every summary computed again from `latest:metric` when they were kept by other
    SUMMARIES than this code's, or never (an upgrade): at the engine's start. True if it did."""
    stored = r.hget(spec_key(keys), "spec")
    if stored is not None and text(stored) == readings.SPEC:
        return False
    if stored is None and not r.hlen(keys.latest("metric")):
        return False  # a new centre: nothing to summarise yet
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _, raw in r.hscan_iter(keys.latest("metric"), count=1000):
        record = orjson.loads(raw)
        if record.get("feed") in readings.SUMMARIES:
            records[record["feed"]].append(record)
    if stored is None and not records:
        return False
    totals: Counter[tuple[str, str]] = Counter()
    for feed, found in records.items():
        for record in found:
            for (period, name), n in readings.contribution(feed, record).items():
                totals[summary_key(keys, feed, period), name] += n
    old = list(r.scan_iter(match=glob_escape(summary_key(keys, "")) + "*", count=1000))
    by_key: dict[str, dict[FieldT, EncodableT]] = defaultdict(dict)
    for (key, name), n in totals.items():
        if n:
            by_key[key][name] = n
    pipe = r.pipeline(transaction=True)
    if old:
        pipe.unlink(*old)
    for key, mapping in by_key.items():
        pipe.hset(key, mapping=mapping)
    pipe.hset(spec_key(keys), "spec", readings.SPEC)
    pipe.execute()
    return True


def _alerts(r: redis.Redis, keys: Keys, events: list[Event]) -> Latest:
    """Alerts stored, and those their Updates and Cancels retire."""
    if not events:
        return {}
    wanted = alerts.referenced_keys(events)
    index = {
        k: orjson.loads(v)
        for k, v in zip(wanted, _hmget(r, keys.alert_index, wanted), strict=True)
        if v
    }
    fields = [f for entry in index.values() for f in entry["fields"]]
    stored = {
        f: orjson.loads(v)
        for f, v in zip(fields, _hmget(r, keys.latest("alert"), fields), strict=True)
        if v
    }
    changed_index, changed = alerts.fold(events, index, stored)
    out = {(keys.alert_index, k): alerts.dumps(v) for k, v in changed_index.items()}
    out.update({(keys.latest("alert"), f): alerts.dumps(v) for f, v in changed.items()})
    return out


def _hmget(r: redis.Redis, key: str, fields: list[str]) -> list[Any]:
    return list(r.hmget(key, fields)) if fields else []


def alarm_reports(
    r: redis.Redis, keys: Keys, telemetry: list[tuple[str, Event]]
) -> tuple[list[tuple[str, Event]], Latest]:
    """The report Events that open, raise and clear the alarms of this batch's readings (each
    with the entry of its reading), and the stations' new alarm states.

    Readings fold in time order; an alarm Event never carries an entry older than one before
    it, so a case's changes keep the order ``apply`` checks.
    """
    found = [(entry, e, rd) for entry, e in telemetry if (rd := reading_of(e)) is not None]
    if not found:
        return [], {}
    found.sort(key=lambda x: (x[2].at, entry_key(x[0])))
    stations = list(dict.fromkeys(rd.station for _, _, rd in found))
    stored = _hmget(r, keys.alarm_state, stations)
    states = {
        s: StationState.from_json(v) if v else None for s, v in zip(stations, stored, strict=True)
    }
    out: list[tuple[str, Event]] = []
    newest = "0-0"
    changed: set[str] = set()
    for entry, event, reading in found:
        state, changes = observe(states[reading.station], reading)
        if state != states[reading.station]:
            changed.add(reading.station)
        states[reading.station] = state
        newest = max(newest, entry, key=entry_key)
        out += [(newest, alarm_event(c, station_of(event), event.received_at)) for c in changes]
    saved = {(keys.alarm_state, s): st.to_json() for s in changed if (st := states[s]) is not None}
    return out, saved


# Silent stations are swept with no stream entry to point at: before every real entry.
SWEEP_ENTRY = "0-0"


def silent_reports(
    r: redis.Redis, keys: Keys, stations: list[str], now: datetime
) -> tuple[list[tuple[str, Event]], Latest, list[str]]:
    """The no-data alarms of the stations silent by ``now`` (report Events), their new alarm
    states, and the stations that are in the silent-due set but have no state to judge by."""
    if not stations:
        return [], {}, []
    states = _hmget(r, keys.alarm_state, stations)
    newest = _hmget(r, keys.latest("telemetry"), stations)
    out: list[tuple[str, Event]] = []
    saved: Latest = {}
    gone: list[str] = []
    for station, stored, reading in zip(stations, states, newest, strict=True):
        if not stored:
            gone.append(station)
            continue
        state, changes = silence(StationState.from_json(stored), now)
        if changes:
            saved[keys.alarm_state, station] = state.to_json()
        where = _station(station, reading)
        out += [(SWEEP_ENTRY, alarm_event(change, where, now)) for change in changes]
    return out, saved, gone


def _station(station: str, snapshot: bytes | str | None) -> Station:
    """The station as its newest reading describes it; its code alone if there is none."""
    if not snapshot:
        return placed(station, station, None, None)
    value = orjson.loads(snapshot)
    return placed(station, value.get("title") or station, value.get("lon"), value.get("lat"),
                  value.get("address") or "")  # fmt: skip
