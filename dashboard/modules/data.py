"""What the module panels read, fetched once per refresh: the newest metric per source and
the counts over every open case (cases/counts.py).

The newest open cases (up to `limit`) come along for the map's marks only (dashboard/
overlays.py places them); no module figure counts them: the wall holds the newest few
thousand, the counts cover every open case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import redis
import redis.asyncio as aredis

from cases.counts import Counts, aread_counts, read_counts
from cases.view import with_view
from core.keys import Keys
from core.replies import text
from dashboard.modules._base import ModuleData
from layers.town import Town, default_town


def village_names(town: Town | None = None) -> dict[str, str]:
    """Level-1 grid (village) code → its name, from the town's own file."""
    frame = (town or default_town()).l1
    return {str(code): str(name) for code, name in frame["name"].items()}


def _module_data(
    metrics: list[Any], raw: list[Any], counts: Counts, town: Town | None
) -> ModuleData:
    cases = (with_view(orjson.loads(v), counts.now) for v in raw if v is not None)
    return ModuleData(
        now=counts.now,
        metrics=tuple(orjson.loads(v) for v in metrics),
        counts=counts,
        village_names=village_names(town),
        cases=tuple(c for c in cases if c.get("status") == "open"),
    )


def read_module_data(
    r: redis.Redis, keys: Keys, limit: int, now: datetime, town: Town | None = None
) -> ModuleData:
    """The newest metric per source, every count, the newest `limit` open cases (for the
    map's marks); empty when Redis does not answer."""
    try:
        ids = [text(v) for v in r.zrevrange(keys.open_cases, 0, limit - 1)]
        raw = r.mget([keys.case(i) for i in ids]) if ids else []
        metrics = r.hvals(keys.latest("metric"))
        return _module_data(metrics, list(raw), read_counts(r, keys, now), town)
    except redis.RedisError:
        return ModuleData(now=now)


async def aread_module_data(
    ar: aredis.Redis, keys: Keys, limit: int, now: datetime, town: Town | None = None
) -> ModuleData:
    """`read_module_data` for the push loop (a Redis error propagates: the loop beats not-ok)."""
    ids = [text(v) for v in await ar.zrevrange(keys.open_cases, 0, limit - 1)]
    raw = await ar.mget([keys.case(i) for i in ids]) if ids else []
    metrics = await ar.hvals(keys.latest("metric"))
    return _module_data(metrics, list(raw), await aread_counts(ar, keys, now), town)
