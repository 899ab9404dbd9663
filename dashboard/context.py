"""What the wall needs, built once per app: settings, keys, the town, the Redis clients."""

from __future__ import annotations

from dataclasses import dataclass

import redis
import redis.asyncio as aredis

from dashboard.push import Limits, MapTraces
from layers.town import Town
from towncc.keys import Keys
from towncc.settings import Settings


@dataclass(frozen=True, slots=True, eq=False)
class WallContext:
    settings: Settings
    keys: Keys
    town: Town
    traces: MapTraces
    r: redis.Redis  # sync: page loads and the JSON API (FastAPI runs them in its threadpool)
    ar: aredis.Redis  # async: the push loop (XREAD BLOCK must not hold a thread)

    @property
    def limits(self) -> Limits:
        return Limits(self.settings.wall_max_rows, self.settings.wall_max_points)

    @property
    def snapshot_size(self) -> int:
        """Open cases read at page load: enough for both the queue and the map."""
        return max(self.settings.wall_max_rows, self.settings.wall_max_points)
