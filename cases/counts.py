"""The counts every screen shows, read in one round trip from what the engine keeps.

Every figure is over all open cases (cases/tally.py keeps the counters in the engine's own
transaction); "late now" is a range count of the late indexes below `now`, so it moves when
only time passes and equals what cases/view.py says of each case at that moment. The wall's
header, the module panels and GET /api/counts read `Counts` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

import redis
import redis.asyncio as aredis

from cases.tally import HAZARD_FEED, late_by, tally_field
from core.keys import Keys
from core.replies import text
from core.times import BEIJING, epoch_ms


def today_start_ms(now: datetime) -> int:
    """Midnight in Beijing of `now`'s Beijing date, as epoch milliseconds."""
    local = now.astimezone(BEIJING)
    midnight = datetime.combine(local.date(), time(0), tzinfo=BEIJING)
    return epoch_ms(midnight)


@dataclass(frozen=True, slots=True)
class Counts:
    """Counts over every open case at `now` (and today's reports, open or closed)."""

    now: datetime
    open_total: int = 0
    today_total: int = 0  # cases reported since midnight in Beijing
    response_overdue: int = 0  # 超时未响应: the first response is late
    late: int = 0  # late on either clock (超时: what the wall shows red)
    hazards_by_enterprise: Mapping[str, int] = field(default_factory=dict)  # open hazards
    village_open: Mapping[str, int] = field(default_factory=dict)
    tally: Mapping[str, int] = field(default_factory=dict)  # cases:tally, zeros left out

    def open_in(
        self,
        feed: str | None = None,
        category: str | None = None,
        level: str | None = None,
        department: str | None = None,
    ) -> int:
        """Open cases of this feed, category, level and/or team (a combination cases/tally
        keeps)."""
        return self.tally.get(tally_field(feed, category, level, department), 0)

    @property
    def hazard_enterprises(self) -> int:
        """Enterprises with an open hazard case, each once."""
        return len(self.hazards_by_enterprise)

    @property
    def escalated(self) -> int:
        """Open cases handled above their grid (at the village or the town)."""
        return self.open_in(level="village") + self.open_in(level="town")

    @property
    def hazards(self) -> int:
        """Open enterprise safety hazards (cases of the hazard feed)."""
        return self.open_in(feed=HAZARD_FEED)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.now.isoformat(),
            "open_total": self.open_total,
            "today_total": self.today_total,
            "response_overdue": self.response_overdue,
            "late": self.late,
            "escalated": self.escalated,
            "hazards": self.hazards,
            "hazard_enterprises": self.hazard_enterprises,
            "village_open": dict(self.village_open),
            "open_by": dict(self.tally),
        }


def _queue(pipe: Any, keys: Keys, now: datetime) -> None:
    below_now = late_by(now)
    pipe.zcard(keys.open_cases)
    pipe.zcount(keys.all_cases, today_start_ms(now), "+inf")
    pipe.zcount(keys.response_late_at, "-inf", below_now)
    pipe.zcount(keys.late_at, "-inf", below_now)
    pipe.hgetall(keys.hazard_enterprises)
    pipe.hgetall(keys.village_open)
    pipe.hgetall(keys.tally)


def _counts(now: datetime, replies: list[Any]) -> Counts:
    open_total, today, response, late, enterprises, villages, tally = replies
    return Counts(
        now=now,
        open_total=int(open_total),
        today_total=int(today),
        response_overdue=int(response),
        late=int(late),
        hazards_by_enterprise=_positive(enterprises),
        village_open=_positive(villages),
        tally=_positive(tally),
    )


def _positive(found: Mapping[Any, Any]) -> dict[str, int]:
    return {text(k): int(v) for k, v in found.items() if int(v) > 0}


def read_counts(r: redis.Redis, keys: Keys, now: datetime) -> Counts:
    """Every count at `now` (aware), in one round trip; a Redis error propagates."""
    pipe = r.pipeline(transaction=False)
    _queue(pipe, keys, now)
    return _counts(now, pipe.execute())


async def aread_counts(ar: aredis.Redis, keys: Keys, now: datetime) -> Counts:
    """`read_counts` for the push loop."""
    pipe = ar.pipeline(transaction=False)
    _queue(pipe, keys, now)
    return _counts(now, await pipe.execute())
