"""What the module panels read, fetched once per refresh: the counts over every open case
(cases/counts.py), the module feeds' summaries the engine keeps (cases/readings.py
SUMMARIES: today's and this month's, never the feeds' thousands of records), the stations'
newest readings and alarm states, today's KPI counters by team and grid, and the town's own
figures (its grids, its population).

The only records read are those a panel shows as they are: the economy's newest month (a
few dozen, named by its summary). The newest open cases (up to `limit`) come along for the
map's marks only (dashboard/overlays.py places them); no module figure counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import orjson
import redis
import redis.asyncio as aredis

from cases.counts import Counts, aread_counts, read_counts
from cases.kpi_buckets import FLOW, STOCK, pieces_of
from cases.latest import summary_key
from cases.readings import SUMMARIES, parse_name, period_values
from cases.telemetry import StationState
from cases.view import with_view
from core.keys import Keys
from core.replies import text
from dashboard.modules._base import ModuleData, Summary, TownFacts
from layers.emergency import PLACES, POPULATION, Emergency, default_emergency
from layers.town import Town, TownDataError, default_town

KPI_GROUPINGS = ("department", "grid")  # today's reported and closed, by team and by grid
# Feeds whose records a panel shows as they are: the records of the newest value of this
# dimension of the feed's summary (its tallies name the sources).
SHOWN_RECORDS = {"economy": "month"}


def village_names(town: Town | None = None) -> dict[str, str]:
    """Level-1 grid (village) code → its name, from the town's own file."""
    frame = (town or default_town()).l1
    return {str(code): str(name) for code, name in frame["name"].items()}


@cache
def town_facts(town: Town | None = None) -> TownFacts:
    """The town's grids (each with its village) and its population, read once per town."""
    town = town or default_town()
    grids = {str(code): str(village) for code, village in town.l2["village"].items()}
    try:
        data = default_emergency() if town is default_town() else None
        data = data or Emergency.load(POPULATION, PLACES, town)
    except TownDataError:  # a town of its own without the shipped population file
        return TownFacts(grids)
    totals = data.totals()
    return TownFacts(grids, totals["resident"], totals["registered"])


# ---- one refresh: what to read and how to decode it, shared by the sync and async readers ----


def _queue(pipe: Any, keys: Keys, limit: int, now: datetime) -> list[tuple[str, str]]:
    """The first round trip; the summaries' (feed, period) in the order they are read."""
    if limit > 0:
        pipe.zrevrange(keys.open_cases, 0, limit - 1)
    else:
        pipe.echo("")  # no cases wanted (the API's figures)
    summaries = [(feed, "") for feed in SUMMARIES]
    summaries += [(feed, p) for feed in SUMMARIES for p in period_values(feed, now)]
    for feed, period in summaries:
        pipe.hgetall(summary_key(keys, feed, period))
    pipe.hgetall(keys.latest("telemetry"))
    pipe.hgetall(keys.alarm_state)
    day = pieces_of(now)[0]
    for grouping in KPI_GROUPINGS:
        for kind in (FLOW, STOCK):
            pipe.hgetall(keys.kpi(kind, grouping, day))
    return summaries


def _decode_first(replies: list[Any], summaries: list[tuple[str, str]]) -> dict[str, Any]:
    ids = [text(i) for i in replies[0]] if isinstance(replies[0], list) else []
    found: dict[str, dict[str, int]] = {feed: {} for feed in SUMMARIES}
    count = len(summaries)
    for (feed, _), fields in zip(summaries, replies[1 : 1 + count], strict=True):
        found[feed].update({text(k): int(v) for k, v in fields.items() if int(v)})
    telemetry, states, *kpi = replies[1 + count :]
    today: dict[str, dict[str, int]] = {}
    for n, grouping in enumerate(KPI_GROUPINGS):
        merged = {text(k): int(v) for k, v in kpi[2 * n + 1].items()}  # stock: r
        merged.update({text(k): int(v) for k, v in kpi[2 * n].items()})  # flow: c …
        today[grouping] = merged
    alarms = {}
    for station, raw in states.items():
        state = StationState.from_json(raw)
        alarms[text(station)] = tuple(a.metric for a in state.alarms)
    return {
        "ids": ids,
        "summaries": found,
        "stations": {text(k): orjson.loads(v) for k, v in telemetry.items()},
        "alarms": alarms,
        "today_kpi": today,
    }


def _shown(keys: Keys, summaries: Mapping[str, Summary]) -> list[str]:
    """The `latest:metric` fields of the records shown as they are (SHOWN_RECORDS)."""
    fields = []
    for feed, dim in SHOWN_RECORDS.items():
        parts = [p for name in summaries.get(feed, {}) if (p := parse_name(name))]
        values = [p[dim] for p in parts if dim in p]
        if values:
            newest = max(values)
            fields += [f"{feed}:{p['source']}" for p in parts if p.get(dim) == newest]
    return fields


def _queue_second(pipe: Any, keys: Keys, first: dict[str, Any]) -> None:
    ids, shown = first["ids"], _shown(keys, first["summaries"])
    if ids:
        pipe.mget([keys.case(i) for i in ids])
    else:
        pipe.echo("")  # a place holder: nothing to read
    if shown:
        pipe.hmget(keys.latest("metric"), shown)
    else:
        pipe.echo("")


def _module_data(
    first: dict[str, Any], second: list[Any], counts: Counts, town: Town | None
) -> ModuleData:
    raw, shown = (r if isinstance(r, list) else [] for r in second)
    cases = (with_view(orjson.loads(v), counts.now) for v in raw if v is not None)
    return ModuleData(
        now=counts.now,
        metrics=tuple(orjson.loads(v) for v in shown if v is not None),
        counts=counts,
        village_names=village_names(town),
        cases=tuple(c for c in cases if c.get("status") == "open"),
        summaries=first["summaries"],
        stations=first["stations"],
        alarms=first["alarms"],
        today_kpi=first["today_kpi"],
        town=town_facts(town),
    )


def fetch_module_data(
    r: redis.Redis, keys: Keys, limit: int, now: datetime, town: Town | None = None
) -> ModuleData:
    """Everything the panels read at ``now`` and the newest `limit` open cases (for the map's
    marks; none for 0), in three round trips; a Redis error propagates."""
    pipe = r.pipeline(transaction=False)
    summaries = _queue(pipe, keys, limit, now)
    first = _decode_first(pipe.execute(), summaries)
    pipe = r.pipeline(transaction=False)
    _queue_second(pipe, keys, first)
    return _module_data(first, pipe.execute(), read_counts(r, keys, now), town)


def read_module_data(
    r: redis.Redis, keys: Keys, limit: int, now: datetime, town: Town | None = None
) -> ModuleData:
    """`fetch_module_data`, empty when Redis does not answer (the wall's first page)."""
    try:
        return fetch_module_data(r, keys, limit, now, town)
    except redis.RedisError:
        return ModuleData(now=now)


async def aread_module_data(
    ar: aredis.Redis, keys: Keys, limit: int, now: datetime, town: Town | None = None
) -> ModuleData:
    """`read_module_data` for the push loop (a Redis error propagates: the loop beats not-ok)."""
    pipe = ar.pipeline(transaction=False)
    summaries = _queue(pipe, keys, limit, now)
    first = _decode_first(await pipe.execute(), summaries)
    pipe = ar.pipeline(transaction=False)
    _queue_second(pipe, keys, first)
    second = await pipe.execute()
    return _module_data(first, second, await aread_counts(ar, keys, now), town)
