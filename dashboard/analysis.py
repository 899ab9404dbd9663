"""What the tablet's analysis (参谋) reads: the economy's indicators month by month with the
change on the year before, and the module figures that have a history, day by day.

- The economy: every month's record is its own source in `latest:metric` (the statistics
  station sends each month once, with its 同比), so the series is read from there.
- Enterprises, labour, tourism: the engine keeps each source's newest record of every Beijing
  day (`metric-day:<feed>:<day>`, cases/readings.py). A day's figures are its module's own
  `past` function (dashboard/modules) over the sources as they stood at that day's end: a
  source that sent nothing that day still stands at its last record (within LOOKBACK days).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
import redis

from cases.readings import DAILY_FEEDS
from core.keys import Keys
from core.times import BEIJING
from dashboard.modules import MODULES, Figure, Module, ModuleData
from dashboard.modules._base import attrs

DAYS = 14  # the days the analysis shows, today included
LOOKBACK = 31  # a source silent this many days before the first day shown is left out


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str  # YYYY-MM
    value: float | None  # 当月
    yoy: float | None
    ytd: float | None  # 累计
    ytd_yoy: float | None


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    name: str
    unit: str
    months: tuple[MonthRow, ...]  # newest first


@dataclass(frozen=True, slots=True)
class History:
    module: Module
    days: tuple[tuple[date, tuple[Figure, ...]], ...]  # newest first


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def economy(metrics: Sequence[Mapping[str, Any]]) -> list[Indicator]:
    """Each indicator's months (newest first): the month's value and the year so far, each
    with its year-on-year change as the source gave it."""
    by_code: dict[str, dict[str, dict[str, Mapping[str, Any]]]] = defaultdict(dict)
    named: dict[str, tuple[str, str]] = {}
    for record in metrics:
        if record.get("feed") != "economy":
            continue
        a = attrs(record)
        code, month, scope = a.get("indicator"), a.get("month"), a.get("scope")
        if not code or not month or scope not in ("month", "ytd"):
            continue
        by_code[str(code)].setdefault(str(month), {})[str(scope)] = a
        named[str(code)] = (str(a.get("indicator_name") or code), str(a.get("unit") or ""))
    found = []
    for code, months in by_code.items():
        rows = []
        for month in sorted(months, reverse=True):
            m, y = months[month].get("month", {}), months[month].get("ytd", {})
            rows.append(MonthRow(month, _number(m.get("value")), _number(m.get("yoy_pct")),
                                 _number(y.get("value")), _number(y.get("yoy_pct"))))  # fmt: skip
        found.append(Indicator(code, *named[code], tuple(rows)))
    return sorted(found, key=lambda i: i.code)


def read_economy(r: redis.Redis, keys: Keys) -> list[Indicator]:
    raw = r.hvals(keys.latest("metric"))
    return economy([orjson.loads(v) for v in raw])


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), BEIJING) - timedelta(microseconds=1)


def histories(
    stored: Mapping[str, Mapping[date, Sequence[Mapping[str, Any]]]],
    first: date,
    today: date,
    now: datetime,
    modules: Sequence[Module] = MODULES,
) -> list[History]:
    """Per module with a past: its figures on each day from ``first`` to ``today``, from the
    records ``stored`` per feed and day (the days before ``first`` only carry sources in)."""
    found = []
    for module in modules:
        if module.past is None or module.id not in stored:
            continue
        days = stored[module.id]
        state: dict[str, Mapping[str, Any]] = {}
        rows: list[tuple[date, tuple[Figure, ...]]] = []
        for day in sorted(days):
            for record in sorted(days[day], key=lambda r: str(r.get("occurred_at"))):
                state[str(record.get("source_id"))] = record
            if day >= first:
                at = now if day == today else _day_end(day)
                data = ModuleData(now=at, metrics=tuple(state.values()))
                rows.append((day, tuple(module.past(data))))
        found.append(History(module, tuple(reversed(rows))))
    return found


def read_histories(r: redis.Redis, keys: Keys, now: datetime, shown: int = DAYS) -> list[History]:
    """The last ``shown`` days of every module with a history, today's included."""
    today = now.astimezone(BEIJING).date()
    first = today - timedelta(days=shown - 1)
    days = [first - timedelta(days=k) for k in range(LOOKBACK, 0, -1)]
    days += [first + timedelta(days=k) for k in range(shown)]
    feeds = sorted(DAILY_FEEDS)
    pipe = r.pipeline(transaction=False)
    for feed in feeds:
        for day in days:
            pipe.hvals(keys.metric_day(feed, day.isoformat()))
    replies = iter(pipe.execute())
    stored = {
        feed: {day: [orjson.loads(v) for v in next(replies)] for day in days} for feed in feeds
    }
    return histories(stored, first, today, now)
