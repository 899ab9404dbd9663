"""`python -m tests.support.poison_engine SOURCE_ID`: `towncc engine` (settings from the
environment) whose geography ends the process at once, as a segfault or the kernel's OOM
killer would, when a batch holds a report with that source id: a fault no `except` catches."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from cases.engine import Engine
from cases.model import Siting
from cases.places import Geography
from core.event import Event
from core.keys import Keys
from core.settings import Settings
from core.signals import stop_on_signals
from layers.town import default_town

KILLED = 70  # the exit status of a kill by the poison


@dataclass
class KillingSiter:
    real: Geography
    poison: str

    def site(self, events: Sequence[Event]) -> list[Siting]:
        if any(e.source_id == self.poison for e in events):
            os._exit(KILLED)
        return self.real.site(events)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = Settings()
    engine = Engine(
        redis.Redis.from_url(settings.redis_url or ""),
        Keys(settings.key_prefix),
        KillingSiter(Geography(default_town()), sys.argv[1]),
        max_deliveries=settings.engine_max_deliveries,
    )
    engine.run(stop_on_signals())


if __name__ == "__main__":
    main()
