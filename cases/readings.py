"""Telemetry, alerts and module metrics: the latest record per source, not cases.

Kept in one hash per kind (`latest:<kind>`, field `<feed>:<source id>`), replaced only by a
newer record, so a re-delivered or late old reading never hides the current one. The module
feeds whose figures have a history (DAILY_FEEDS) also keep, per Beijing day, the newest record
of each source that day (`metric-day:<feed>:<day>`, by the same rule): what the tablet's
analysis reads for the days before today.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import orjson

from core.event import Event
from core.times import beijing, stored_beijing

# The module feeds whose history is kept day by day (enterprises, labour, tourism); the
# economy's records are each a month's already.
DAILY_FEEDS = frozenset({"enterprise", "labour", "tourism"})


def field_of(event: Event) -> str:
    return f"{event.feed}:{event.source_id}"


def snapshot(event: Event) -> dict[str, Any]:
    """What a screen needs of a reading: everything but the raw payload."""
    return event.to_dict(exclude=frozenset({"raw"}))


def slot_of(event: Event) -> tuple[str, str]:
    """Where the newest record of a source is kept: (kind, field)."""
    return event.kind, field_of(event)


def day_slot_of(event: Event) -> tuple[str, str]:
    """Where a module feed's newest record of a day is kept: (feed and Beijing day, source)."""
    return f"{event.feed}:{beijing(event.occurred_at).date().isoformat()}", event.source_id


def newest(
    events: Sequence[Event],
    current: dict[tuple[str, str], bytes | str | None],
    slot: Callable[[Event], tuple[str, str]] = slot_of,
) -> dict[tuple[str, str], bytes]:
    """slot → the JSON to store, for each slot (by default a source: (kind, field)) whose
    newest record is new."""
    best: dict[tuple[str, str], Event] = {}
    for event in events:
        where = slot(event)
        if where not in best or event.occurred_at >= best[where].occurred_at:
            best[where] = event
    updates: dict[tuple[str, str], bytes] = {}
    for where, event in best.items():
        stored = current.get(where)
        if stored is None or _replaces(orjson.loads(stored), event):
            updates[where] = orjson.dumps(snapshot(event))
    return updates


def _replaces(stored: dict[str, Any], event: Event) -> bool:
    """Newer, or as new but different; the very record again (same id) changes nothing."""
    return (
        stored["id"] != event.id
        and datetime.fromisoformat(stored["occurred_at"]) <= event.occurred_at
    )


# ---- the module feeds' summaries --------------------------------------------------------------
# The wall's module panels read counts and sums over a feed's current records (3,000+
# enterprises, 569 party organisations, a year's service cases), never the records: the engine
# keeps them as it replaces each record (take the old record's contribution away, add the new
# one's), in `latest:summary:<feed>` and, for a tally by a day or a month, in
# `latest:summary:<feed>:<that day or month>`, so a screen reads today's and this month's only.


@dataclass(frozen=True, slots=True)
class Tally:
    """A count of a feed's current records by some of their values (``by``), with the sums of
    some whole-number attrs. A record lacking one of the values is not counted in it."""

    by: tuple[str, ...] = ()
    sums: tuple[str, ...] = ()
    period: str | None = None  # the value of ``by`` (a day or a month) that names its hash


# What each module feed's panels read (dashboard/modules). A change here needs the summaries
# computed again: the engine does so when it starts (`cases.latest.resummarise`).
SUMMARIES: dict[str, tuple[Tally, ...]] = {
    "economy": (Tally(("month", "source")),),
    "enterprise": (
        Tally(()),
        Tally(("registration",)),
        Tally(("registration", "above_scale")),
    ),
    "inspection": (
        Tally(("month", "random"), period="month"),
        Tally(("month", "random", "published"), period="month"),
        Tally(("month", "squad", "random"), period="month"),
        Tally(("month", "domain"), period="month"),
        Tally(("month", "result"), period="month"),
    ),
    "labour": (Tally(("record",), sums=("headcount", "vacancies")),),
    "party": (
        Tally(("record", "org_type"), sums=("members",)),
        Tally(("record", "org_type", "grid"), sums=("members",)),
        Tally(("record", "month"), period="month"),
    ),
    "service_hall": (
        Tally(("accepted_day",), period="accepted_day"),
        Tally(("accepted_day", "mode", "window"), period="accepted_day"),
        Tally(("finished_day",), period="finished_day"),
        Tally(("finished_day", "overdue_promise"), period="finished_day"),
    ),
    "tourism": (Tally(("day",), sums=("in_park", "capacity", "arrivals_today"), period="day"),),
}


def _attrs(record: Mapping[str, Any]) -> Mapping[str, Any]:
    value = record.get("attrs")
    return value if isinstance(value, Mapping) else {}


def _day(value: Any) -> str | None:
    local = stored_beijing(value)
    return local.date().isoformat() if local else None


def _month(value: Any) -> str | None:
    local = stored_beijing(value)
    return f"{local.year:04d}-{local.month:02d}" if local else None


# Values a tally may be by besides the records' attrs: Beijing days and months of its times.
DERIVED: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "day": lambda r: _day(r.get("occurred_at")),
    "month": lambda r: _month(r.get("occurred_at")),
    "accepted_day": lambda r: _day(_attrs(r).get("accepted_at")),
    "finished_day": lambda r: _day(_attrs(r).get("finished_at")),
    "source": lambda r: r.get("source_id"),
}
PERIOD_KINDS = {"day": "day", "month": "month", "accepted_day": "day", "finished_day": "day"}


def _text(value: Any) -> str | None:
    """A value as a tally's field spells it; None: not a value a record is counted by."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    if isinstance(value, str) and value.strip():
        # Reversibly: a source's own text (its ids, its names) may hold the separators.
        return value.strip().replace("%", "%25").replace("|", "%7C").replace("=", "%3D")
    return None


def tally_name(values: Mapping[str, Any]) -> str:
    """The field counting the records with these values (dimension order does not matter):
    `org_type=branch|record=organisation`; `all` for every record."""
    parts = [f"{d}={_text(v)}" for d, v in sorted(values.items())]
    return "|".join(parts) or "all"


def sum_name(attr: str, values: Mapping[str, Any]) -> str:
    """The field summing ``attr`` over the records with these values."""
    return f"sum:{attr}|{tally_name(values)}"


def has_name(attr: str, values: Mapping[str, Any]) -> str:
    """The field counting the records with these values that gave ``attr``."""
    return f"has:{attr}|{tally_name(values)}"


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, float) and value.is_integer() else None


Contribution = Counter[tuple[str, str]]  # (period value or "", field) → amount


def contribution(feed: str, record: Mapping[str, Any] | None) -> Contribution:
    """What one current record of ``feed`` adds to its summary."""
    found: Contribution = Counter()
    if record is None:
        return found
    a = _attrs(record)
    for tally in SUMMARIES.get(feed, ()):
        values = {d: (DERIVED[d](record) if d in DERIVED else a.get(d)) for d in tally.by}
        if any(_text(v) is None for v in values.values()):
            continue
        period = _text(values[tally.period]) or "" if tally.period else ""
        found[period, tally_name(values)] += 1
        for attr in tally.sums:
            if (amount := _whole(a.get(attr))) is not None:
                found[period, sum_name(attr, values)] += amount
                found[period, has_name(attr, values)] += 1
    return found


def summary_change(
    feed: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> Contribution:
    """What replacing ``old`` by ``new`` (either None) changes in the feed's summary."""
    change = contribution(feed, new)
    change.subtract(contribution(feed, old))
    return Counter({k: v for k, v in change.items() if v})


def summary_of(feed: str, records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The feed's summary over these current records, every period in one mapping."""
    total: Counter[str] = Counter()
    for record in records:
        for (_, name), amount in contribution(feed, record).items():
            total[name] += amount
    return {name: n for name, n in total.items() if n}


def period_values(feed: str, now: datetime) -> tuple[str, ...]:
    """The periods of the feed's summary a screen reads at ``now``: today and this month."""
    local = beijing(now)
    kinds = {PERIOD_KINDS[t.period] for t in SUMMARIES.get(feed, ()) if t.period}
    found = {"day": local.date().isoformat(), "month": f"{local.year:04d}-{local.month:02d}"}
    return tuple(found[k] for k in sorted(kinds))


NAMING = 2  # how a tally's field spells its values: a change rebuilds the summaries
SPEC = hashlib.sha256(repr((NAMING, sorted(SUMMARIES.items()))).encode()).hexdigest()[:16]


def parse_name(name: str) -> dict[str, str] | None:
    """The values a tally's field counts by (None for a sum's or the whole feed's)."""
    if name == "all" or name.startswith(("sum:", "has:")):
        return None
    found: dict[str, str] = {}
    for part in name.split("|"):
        key, sep, value = part.partition("=")
        if not sep:
            return None
        found[key] = unquote(value)  # what _text escaped, back as it was sent
    return found
