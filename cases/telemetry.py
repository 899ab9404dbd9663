"""Telemetry alarms: thresholds with hysteresis, escalation in place, and silent stations.

A pure state machine per station, holding each metric's open alarm: ``observe(state,
reading)`` and ``silence(state, now)`` return the new state and the alarm changes. A breach
opens an alarm at the highest tier it passes; a higher tier later escalates it in place (same
id); it clears only once the value is back past the lowest tier's limit by the metric's band,
so a value hovering at a limit never flaps. A reading no newer than the station's last one
changes nothing. Times come from the readings or an explicit ``now``; the rules from
``cases/data/thresholds.json`` (docs/closed-loop-rules.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from cases.thresholds import NO_DATA, THRESHOLDS_FILE, Metric, Reading, Rules, Tier, thresholds
from core.event import Event

__all__ = ["NO_DATA", "THRESHOLDS_FILE", "Reading", "Rules", "thresholds"]  # re-exported

Action = Literal["opened", "escalated", "cleared"]


# ---- the state machine -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alarm:
    """An open alarm; ``id`` is stable for its station, metric and opening time."""

    id: str
    station: str
    category: str
    metric: str
    kind: str
    tier: str
    severity: int
    opened_at: datetime
    limit: float | None
    clear: float | None


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """What the engine turns into an alarm case: open it, raise it, or clear it."""

    action: Action
    alarm: Alarm
    at: datetime
    value: float | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (times as ISO 8601 text), for the audit log."""
        value: dict[str, Any] = orjson.loads(orjson.dumps(asdict(self)))
        return value


@dataclass(frozen=True, slots=True)
class StationState:
    station: str
    category: str
    last_at: datetime | None = None
    alarms: tuple[Alarm, ...] = ()

    def alarm(self, metric: str) -> Alarm | None:
        return next((a for a in self.alarms if a.metric == metric), None)

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, data: bytes | str) -> StationState:
        value: dict[str, Any] = orjson.loads(data)
        alarms = tuple(
            Alarm(**{**a, "opened_at": datetime.fromisoformat(a["opened_at"])})
            for a in value["alarms"]
        )
        last = value["last_at"] and datetime.fromisoformat(value["last_at"])
        return cls(value["station"], value["category"], last, alarms)


def alarm_id(station: str, metric: str, opened_at: datetime) -> str:
    """``alarm:<feed>:<station code>:<metric>:<UTC opening time>``: one case per opening."""
    utc = _utc(opened_at)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return f"alarm:{station}:{metric}:{utc:%Y%m%dT%H%M%S}{fraction}Z"


def reading_of(event: Event) -> Reading | None:
    """A telemetry event's numbers (``attrs["values"]``, else the numeric attrs); else None."""
    if event.kind != "telemetry":
        return None
    source = event.attrs.get("values")
    numbers: Mapping[str, Any] = source if isinstance(source, dict) else event.attrs
    values = {
        name: float(v)
        for name, v in numbers.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }
    station = f"{event.feed}:{event.source_id}"
    return Reading(station, event.category, _utc(event.occurred_at), tuple(sorted(values.items())))


def observe(
    state: StationState | None, reading: Reading, rules: Rules | None = None
) -> tuple[StationState, list[AlarmChange]]:
    """Fold a reading into its station's state; an older or repeated one changes nothing."""
    rules = rules or thresholds()
    reading = replace(reading, at=_utc(reading.at))
    state = state or StationState(reading.station, reading.category)
    if state.station != reading.station:
        raise ValueError(f"a reading of {reading.station} given the state of {state.station}")
    if state.last_at is not None and reading.at <= state.last_at:
        return state, []
    changes: list[AlarmChange] = []
    alarms = {a.metric: a for a in state.alarms}
    if (silent := alarms.pop(NO_DATA, None)) is not None:
        back = f"a reading again, of {reading.at:%Y-%m-%d %H:%M:%S}Z"
        changes.append(AlarmChange("cleared", silent, reading.at, None, back))
    metrics = rules.metrics.get(reading.category, {})
    for key in sorted(set(alarms) - set(metrics)):  # its rule left the file: nothing else clears it
        changes.append(
            AlarmChange("cleared", alarms.pop(key), reading.at, None, "no rule any more")
        )
    for key, metric in metrics.items():
        alarm, change = _step(key, metric, alarms.pop(key, None), reading, rules)
        alarms |= {key: alarm} if alarm is not None else {}
        changes += [change] if change is not None else []
    kept = tuple(alarms[k] for k in sorted(alarms))
    return replace(state, category=reading.category, last_at=reading.at, alarms=kept), changes


def _step(
    key: str, metric: Metric, alarm: Alarm | None, reading: Reading, rules: Rules
) -> tuple[Alarm | None, AlarmChange | None]:
    value = next((v for n in metric.names or (key,) if (v := reading.get(n)) is not None), None)
    levels, band = rules.levels(key, metric, reading)
    if value is None or not levels:
        return alarm, None  # nothing to judge by: an open alarm stays as it is
    over = [i for i, (_, limit) in enumerate(levels) if metric.breached(value, limit)]
    clear = metric.clear_level(levels[0][1], band)
    top = levels[over[-1]] if over else None
    if alarm is None and top is not None:
        (tier, limit), at = top, reading.at
        alarm = Alarm(
            alarm_id(reading.station, key, at), reading.station, reading.category, key,
            tier.kind, tier.name, tier.severity, at, limit, clear,
        )  # fmt: skip
        return alarm, AlarmChange("opened", alarm, at, value, _why(key, metric, value, tier, limit))
    if alarm is None:
        return None, None
    rank = [t.name for t in metric.tiers]
    if top is not None and rank.index(top[0].name) > _rank(rank, alarm.tier):
        tier, limit = top
        alarm = replace(alarm, kind=tier.kind, tier=tier.name, severity=tier.severity, limit=limit)
        why = _why(key, metric, value, tier, limit)
        return alarm, AlarmChange("escalated", alarm, reading.at, value, why)
    if metric.cleared(value, clear):
        back = f"{key} {value:g}{_unit(metric)} back {'≤' if metric.rising else '≥'} {clear:g}"
        return None, AlarmChange("cleared", alarm, reading.at, value, back + _unit(metric))
    return alarm, None


def silent_at(state: StationState, rules: Rules | None = None) -> datetime | None:
    """When the station reads as no data if nothing newer arrives; None: never, or already."""
    window = (rules or thresholds()).window(state.station, state.category)
    if window is None or state.last_at is None or state.alarm(NO_DATA) is not None:
        return None
    return state.last_at + window


def silence(
    state: StationState, now: datetime, rules: Rules | None = None
) -> tuple[StationState, list[AlarmChange]]:
    """Open the no-data alarm of a station silent for longer than its window, once.

    The alarm opens at the moment the station fell silent (its last reading + the window),
    not at ``now``, so its id does not depend on when the engine looked.
    """
    rules = rules or thresholds()
    due = silent_at(state, rules)
    if due is None or state.last_at is None or _utc(now) <= due:
        return state, []
    alarm = Alarm(
        alarm_id(state.station, NO_DATA, due), state.station, state.category, NO_DATA,
        rules.no_data.kind, NO_DATA, rules.no_data.severity, due, None, None,
    )  # fmt: skip
    why = (
        f"no reading since {state.last_at:%Y-%m-%d %H:%M:%S}Z, for more than {due - state.last_at}"
    )
    alarms = tuple(sorted((*state.alarms, alarm), key=lambda a: a.metric))
    return replace(state, alarms=alarms), [AlarmChange("opened", alarm, due, None, why)]


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware one")
    return moment.astimezone(UTC)


def _rank(names: list[str], tier: str) -> int:
    """A tier's place; one no longer in the file ranks lowest, so any breach raises it."""
    return names.index(tier) if tier in names else -1


def _unit(metric: Metric) -> str:
    return f" {metric.unit}" if metric.unit else ""


def _why(key: str, metric: Metric, value: float, tier: Tier, limit: float) -> str:
    unit = _unit(metric)
    return f"{key} {value:g}{unit} {metric.op} {tier.name} limit {limit:g}{unit}"
