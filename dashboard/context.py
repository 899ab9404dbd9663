"""What the pages need, built once per app: settings, keys, the town, Redis clients, feeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
import redis.asyncio as aredis

from core.keys import Keys
from core.settings import Settings
from dashboard.lights import ordered_feeds
from dashboard.map_patch import MapTraces
from dashboard.meters import Meters
from dashboard.push import Limits
from emergency.incidents import Context
from ingest.feeds import FEEDS
from layers.town import Town


@dataclass(frozen=True, slots=True, eq=False)
class WallContext:
    settings: Settings
    keys: Keys
    town: Town
    traces: MapTraces
    r: redis.Redis  # sync: page loads and the JSON API (FastAPI runs them in its threadpool)
    ar: aredis.Redis  # async: the push loop (XREAD BLOCK must not hold a thread)
    # The feeds the link lights show, in wall order: every adapter found at start-up.
    feeds: tuple[str, ...] = field(default_factory=lambda: ordered_feeds(FEEDS))
    meters: Meters = field(default_factory=Meters)  # this process's own figures for /metrics
    # The one clock of the pages, /healthz and /metrics: tests move it (e.g. to the calendar's end).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # The town's emergency data and teams (None: not loaded; the incidents' routes need it).
    emergency: Context | None = None

    @property
    def limits(self) -> Limits:
        return Limits(self.settings.wall_max_rows, self.settings.wall_max_points)

    @property
    def snapshot_size(self) -> int:
        """Open cases read at page load: enough for both the queue and the map."""
        return max(self.settings.wall_max_rows, self.settings.wall_max_points)
