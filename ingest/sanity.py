"""The plausible-time window: one check, applied by the sink to every Event on every path.

A record dated 9999 or 0001 parses, but the engine then computes with it (deadlines,
Beijing days, silence windows) and fails. So the sink refuses any Event whose times lie
outside a window, as a dead letter with the reason, before it reaches a stream. Whatever
the path (HTTP, drop folder, bulk file, Open311, dead-letter replay), the check is the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from core.event import Event

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
# Times kept in attrs that the engine or the wall computes with. Those that have happened
# are held to the window of occurred_at; deadlines and expiries lie ahead by nature and may
# be up to ten years after the record arrived.
PAST_ATTRS: dict[str, tuple[str, ...]] = {
    "cap": ("sent",),
    "service_hall": ("accepted_at", "finished_at"),
}
FUTURE_ATTRS: dict[str, tuple[str, ...]] = {
    "cap": ("effective", "onset", "expires"),
    "safety": ("deadline",),
    "service_hall": ("promised_by",),
}
FUTURE_HORIZON = timedelta(days=3653)
_CHECKED = frozenset(PAST_ATTRS) | frozenset(FUTURE_ATTRS)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """From ``earliest`` to ``ahead`` after the record's arrival."""

    earliest: datetime = EARLIEST
    ahead: timedelta = AHEAD

    def refuse(self, event: Event) -> str | None:
        """Why this Event's times are implausible; None when they are all in the window."""
        latest = event.received_at + self.ahead
        if self.earliest <= event.occurred_at <= latest and event.feed not in _CHECKED:
            return None  # the common case in two comparisons: this runs once per record
        reason = _outside("occurred_at", event.occurred_at, self.earliest, latest, "+ ahead")
        if reason is None:
            reason = self._attrs(event, latest)
        return None if reason is None else f"time out of range: {reason}"

    def _attrs(self, event: Event, latest: datetime) -> str | None:
        horizon = event.received_at + FUTURE_HORIZON
        checks = [(name, latest, "+ ahead") for name in PAST_ATTRS.get(event.feed, ())]
        checks += [(name, horizon, "+ 10 years") for name in FUTURE_ATTRS.get(event.feed, ())]
        for name, last, why in checks:
            value = event.attrs.get(name)
            if not value:
                continue
            try:
                moment = _instant(value)
            except (TypeError, ValueError, OverflowError):
                return f"attrs.{name} {value!r} is not a time"
            if (reason := _outside(f"attrs.{name}", moment, self.earliest, last, why)) is not None:
                return reason
        return None


def _instant(value: object) -> datetime:
    """An attr's time (ISO date or date and time, as the adapters write them) as UTC."""
    if not isinstance(value, str):
        raise TypeError(value)
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError(value)
    return moment.astimezone(UTC)


def _outside(name: str, moment: datetime, first: datetime, last: datetime, why: str) -> str | None:
    if moment < first:
        return f"{name} {_iso(moment)} is before {_iso(first)}"
    if moment > last:
        return f"{name} {_iso(moment)} is after {_iso(last)} (received_at {why})"
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
