"""Read side of the KPI buckets: a period's figures per unit by summing the few pieces that
cover it (cases/kpi_buckets.py says what each holds), never by reading the cases.

A period [s, e) costs a handful of round trips: the counters of the pieces covering it and of
those before e (whole years, months, then days), then per unit a few ZCOUNTs on the sorted
sets, and the p90's rank. The figures that change with the clock alone (an open case falling
due, becoming overdue) are counted from the sorted sets by deadline at the period's end.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import redis

from cases.kpi import GroupBy, KpiRow, response_figures
from cases.kpi_buckets import (
    EVER,
    FLAGS,
    FLOW,
    LATE,
    OPEN_DUE,
    RESPONSE,
    STOCK,
    TOWN,
    YEARS,
    cover,
    epoch_us,
)
from cases.periods import Period, next_month
from core.keys import Keys
from core.replies import text
from core.times import BEIJING

Sums = dict[str, dict[str, int]]  # unit → metric → total


def _beijing_midnight(moment: datetime) -> bool:
    return moment.astimezone(BEIJING).time() == time()


def _sum(found: Iterable[dict[Any, Any]]) -> Sums:
    sums: Sums = defaultdict(lambda: defaultdict(int))
    for fields in found:
        for name, value in fields.items():
            unit, metric = text(name).rsplit("|", 1)
            sums[unit][metric] += int(value)
    return sums


class _Reader:
    """The reads of one request: one grouping (and the town) over one period."""

    def __init__(self, r: redis.Redis, keys: Keys, period: Period, by: GroupBy) -> None:
        if not _beijing_midnight(period.start):
            raise ValueError(f"a KPI period starts at a Beijing midnight, not {period.start}")
        self.r, self.keys, self.by = r, keys, by
        self.start, self.end = period.start, period.end
        self.first = period.start.astimezone(BEIJING).date()
        # A period running now ends mid-day. Nothing that its counters and pieces hold
        # happens after now (reports, answers, closes, and the deadlines of closed cases are
        # in the past), so it may be read to the end of any later day, month or year: the one
        # that takes the fewest pieces. And the closed cases' part of "overdue at the end" is
        # nil: none can have been closed after now.
        self.over = _beijing_midnight(period.end)
        self.last = period.end.astimezone(BEIJING).date()

    def _after(self) -> date:
        """Where the pieces end: the period's end, or for a running one the cheapest day
        boundary after now."""
        if self.over:
            return self.last
        day = self.last
        ends = (day + timedelta(days=1), next_month(day.year, day.month), date(day.year + 1, 1, 1))
        return min(ends, key=lambda end: len(cover(self.first, end)))

    def counters(self) -> tuple[dict[str, Sums], dict[str, Sums], dict[str, Sums]]:
        """Per grouping: the flow over the period, the stock before its end and before its
        start. For a period running now, the stock before its end is every moment's (nothing
        lies after now), and before its start that less the period's flow."""
        years = [int(text(y)) for y in self.r.smembers(self.keys.kpi(YEARS))]
        origin = date(min(years), 1, 1) if years else self.first
        after = self._after()
        within = cover(self.first, after)
        before_end = cover(origin, after) if self.over else [EVER]
        before_start = cover(origin, self.first) if self.over else []
        pipe = self.r.pipeline(transaction=False)
        for grouping in (self.by, TOWN):
            for piece in within:
                pipe.hgetall(self.keys.kpi(FLOW, grouping, piece))
            for piece in (*before_end, *before_start):
                pipe.hgetall(self.keys.kpi(STOCK, grouping, piece))
        replies = iter(pipe.execute())
        flow, stock_end, stock_start = {}, {}, {}
        for grouping in (self.by, TOWN):
            flow[grouping] = _sum([next(replies) for _ in within])
            stock_end[grouping] = _sum([next(replies) for _ in before_end])
            stock_start[grouping] = _sum([next(replies) for _ in before_start])
            if not self.over:
                for unit, sums in stock_end[grouping].items():
                    stock_start[grouping][unit]["c"] = sums["c"] - flow[grouping][unit]["c"]
        self.within = within
        return flow, stock_end, stock_start

    def counts(self, units: list[tuple[str, str]]) -> list[dict[str, int]]:
        """Per (grouping, unit): what the sorted sets say of the period."""
        s, e = epoch_us(self.start), epoch_us(self.end)
        pipe = self.r.pipeline(transaction=False)
        for grouping, unit in units:
            for flag in FLAGS:
                pipe.zcount(self.keys.kpi(f"{OPEN_DUE}-{flag}", grouping, unit), s, f"({e}")
                for piece in self.within:
                    pipe.zcount(
                        self.keys.kpi(f"{LATE}-{flag}", grouping, unit, piece), "-inf", f"({s}"
                    )
            pipe.zcount(self.keys.kpi(f"{OPEN_DUE}-all", grouping, unit), "-inf", f"({e}")
        replies = iter(pipe.execute())
        found: list[dict[str, int]] = []
        for _ in units:
            row: dict[str, int] = {}
            for flag in FLAGS:
                row[f"open-due-{flag}"] = next(replies)
                row[f"late-{flag}"] = sum(next(replies) for _ in self.within)
            row["open-overdue"] = next(replies)
            found.append(row)
        return found

    def p90s(self, units: list[tuple[str, str]], sizes: list[int]) -> list[tuple[int | None, int]]:
        """Per (grouping, unit): the p90 response time (nearest rank, µs) and how many
        responses were no slower, from the sorted sets of the pieces covering the period."""
        sets = [
            [self.keys.kpi(RESPONSE, grouping, unit, piece) for piece in self.within]
            for grouping, unit in units
        ]
        ranks = [math.ceil(0.9 * n) for n in sizes]
        slow = _kth(self.r, sets, ranks)
        pipe = self.r.pipeline(transaction=False)
        for keys, value in zip(sets, slow, strict=True):
            if value is not None:
                for key in keys:
                    pipe.zcount(key, "-inf", value)
        replies = iter(pipe.execute())
        return [
            (value, sum(next(replies) for _ in keys) if value is not None else 0)
            for keys, value in zip(sets, slow, strict=True)
        ]


def _kth(r: redis.Redis, sets: list[list[str]], ranks: list[int]) -> list[int | None]:
    """The rank-th smallest score (1-based) over the union of each entry's sorted sets; None
    for rank 0. One set: ZRANGE by rank. Several: a binary search on the score (whole µs),
    every entry's search advancing in the same round trip."""
    found: list[int | None] = [None] * len(sets)
    pipe = r.pipeline(transaction=False)
    asked = []
    for i, (keys, rank) in enumerate(zip(sets, ranks, strict=True)):
        if rank == 0:
            continue
        asked.append(i)
        if len(keys) == 1:
            pipe.zrange(keys[0], rank - 1, rank - 1, withscores=True)
        else:
            for key in keys:
                pipe.zrange(key, -1, -1, withscores=True)
    replies = iter(pipe.execute())
    bounds: dict[int, list[int]] = {}
    for i in asked:
        if len(sets[i]) == 1:
            ((_, score),) = next(replies)
            found[i] = int(score)
        else:
            tops = [int(top[0][1]) for key in sets[i] if (top := next(replies))]
            bounds[i] = [0, max(tops)]
    while bounds:
        pipe = r.pipeline(transaction=False)
        for i, (low, high) in bounds.items():
            for key in sets[i]:
                pipe.zcount(key, "-inf", (low + high) // 2)
        replies = iter(pipe.execute())
        for i, (low, high) in list(bounds.items()):
            middle = (low + high) // 2
            if sum(next(replies) for _ in sets[i]) >= ranks[i]:
                high = middle
            else:
                low = middle + 1
            if low == high:
                found[i] = low
                del bounds[i]
            else:
                bounds[i] = [low, high]
    return found


def _row(
    key: str | None,
    flow: Mapping[str, int],
    end: Mapping[str, int],
    sets: Mapping[str, int],
    p90: tuple[int | None, int],
    over: bool,
) -> KpiRow:
    due = {
        flag: flow.get(f"c1-{flag}", 0) + flow.get(f"dl-{flag}", 0)
        + sets[f"late-{flag}"] + sets[f"open-due-{flag}"]
        for flag in FLAGS
    }  # fmt: skip
    closed_overdue = end.get("dc", 0) - end.get("m", 0) if over else 0
    return KpiRow(
        key=key,
        due_to_close=due["all"],
        closed=flow.get("c", 0),
        closed_on_time=flow.get("ot", 0),
        reworked=due["rw"],
        extended=due["ex"],
        open_cases=end.get("r", 0) - end.get("c", 0),
        open_overdue=sets["open-overdue"] + closed_overdue,
        **response_figures(flow.get("n", 0), flow.get("us", 0), p90[0], p90[1]),
    )


def read_kpis(
    r: redis.Redis, keys: Keys, period: Period, by: GroupBy, units: Iterable[str] = ()
) -> tuple[KpiRow, list[KpiRow]]:
    """The town's row and one row per unit, as ``cases.kpi.kpis`` gives them from a full
    recount: ``units`` listed even when quiet, any other unit when a case of it bears on the
    period (reported before its end, not closed before its start), None (no unit) last.

    ``period`` is as far as it has run (``Period.until(now)``); ValueError if it does not
    start at a Beijing midnight.
    """
    reader = _Reader(r, keys, period, by)
    flow, stock_end, stock_start = reader.counters()
    mine = stock_end[by]
    bearing = {unit for unit, sums in mine.items() if sums["r"] - stock_start[by][unit]["c"] > 0}
    listed = sorted({*units, *bearing} - {""}) + ([""] if "" in bearing else [])
    asked = [(by, unit) for unit in listed] + [(TOWN, "")]
    sets = reader.counts(asked)
    sizes = [flow[grouping][unit]["n"] for grouping, unit in asked]
    p90s = reader.p90s(asked, sizes)
    rows = [
        _row(
            unit if grouping != TOWN and unit != "" else None,
            flow[grouping][unit],
            stock_end[grouping][unit],
            found,
            p90,
            reader.over,
        )
        for (grouping, unit), found, p90 in zip(asked, sets, p90s, strict=True)
    ]
    return rows[-1], rows[:-1]


def closed_on(r: redis.Redis, keys: Keys, day: date) -> int:
    """The town's cases closed on this Beijing day that the KPIs assess (a cancelled, merged
    or parked case is not closed work): the day's counter of closures, one read."""
    value = r.hget(keys.kpi(FLOW, TOWN, f"d{day.isoformat()}"), "|c")
    return int(text(value)) if value is not None else 0
