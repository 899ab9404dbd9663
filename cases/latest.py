"""The engine's side of telemetry, module metrics and CAP alerts: what a batch changes in
`latest:<kind>`, `alert-index` and `alarm-state`, read from Redis and folded by
cases.readings, cases.alerts and cases.telemetry (pure); threshold alarms come back as report
Events (cases.alarms) for the batch's case fold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import redis

from cases import alerts, readings
from cases.alarms import Station, alarm_event, placed, station_of
from cases.model import entry_key
from cases.telemetry import StationState, observe, reading_of, silence
from core.event import Event
from core.keys import Keys

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
    return found


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
