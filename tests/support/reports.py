"""Many reports of several feeds written straight into `events`, as the sink writes them: a
fast way to give the real engine thousands of cases (no adapter parses them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from core.event import Event
from core.keys import Keys
from tests.support.urban import lattice_point

WRITE_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Report:
    """One report: which feed and category, when, about what, and what the source says."""

    n: int
    feed: str
    category: str
    occurred_at: datetime
    title: str = ""
    status: str = "new"  # new, acknowledged, closed (the source's word)

    @property
    def source_id(self) -> str:
        return f"R-{self.n:06d}"

    @property
    def case_id(self) -> str:
        return f"{self.feed}:{self.source_id}"

    def event(self, received_at: datetime, version: int = 0) -> Event:
        lon, lat = lattice_point(self.n, per_row=90)
        attrs: dict[str, Any] = {"enterprise": self.title} if self.feed == "safety" else {}
        return Event(
            id=f"{self.case_id}:{version}", feed=self.feed, kind="report",
            source_id=self.source_id, category=self.category, title=self.title or "报告",
            description=f"测试{self.n}", occurred_at=self.occurred_at, received_at=received_at,
            lon=lon, lat=lat, status=self.status, attrs=attrs, raw="{}",  # type: ignore[arg-type]
        )  # fmt: skip


# Feeds and categories the wall's panels count (urban by level, wage arrears, hazards), with
# a first-response clock (parking) and handling clocks in working days: some become late.
MIX: tuple[tuple[str, str], ...] = (
    ("urban", "parking"),
    ("urban", "dispute"),
    ("urban", "livelihood"),
    ("labour", "wage_arrears"),
    ("safety", "enterprise_hazard"),
    ("governance", "dispute"),
)


def mixed_reports(count: int, now: datetime, start: int = 0) -> list[Report]:
    """``count`` reports spread over the last ten days and over MIX; hazards name one of 37
    enterprises, so several cases share an enterprise."""
    found = []
    for n in range(start, start + count):
        feed, category = MIX[n % len(MIX)]
        title = f"企业{n % 37:02d}" if feed == "safety" else ""
        at = now - timedelta(minutes=(n * 37) % (10 * 24 * 60))
        found.append(Report(n, feed, category, at, title))
    return found


def write_events(r: redis.Redis, keys: Keys, events: list[Event]) -> None:
    """XADD the Events to `events`, a pipeline per chunk."""
    for first in range(0, len(events), WRITE_CHUNK):
        pipe = r.pipeline(transaction=False)
        for event in events[first : first + WRITE_CHUNK]:
            pipe.xadd(keys.events, {"id": event.id, "feed": event.feed, "e": event.to_json()})
        pipe.execute()
