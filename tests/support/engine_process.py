"""`python -m tests.support.engine_process`: the engine as `towncc engine` runs it (settings
from the environment, SIGTERM stops it after its batch), on the simulated time that a test
sets in Redis (tests.support.week.set_clock)."""

from __future__ import annotations

import logging

import redis

from cases.engine import Engine
from cases.places import Geography
from cases.routing import village_kinds
from core.keys import Keys
from core.settings import Settings
from core.signals import stop_on_signals
from layers.town import default_town
from tests.support.week import redis_clock


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = Settings()
    r = redis.Redis.from_url(settings.redis_url or "")
    keys = Keys(settings.key_prefix)
    town = default_town()
    engine = Engine(
        r, keys, Geography(town), batch=settings.engine_batch, maxlen=settings.stream_maxlen,
        clock=redis_clock(r, keys), kinds=village_kinds(town),
    )  # fmt: skip
    engine.run(stop_on_signals())


if __name__ == "__main__":
    main()
