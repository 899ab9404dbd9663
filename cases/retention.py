"""Streams trimmed by age as well as by count.

Every XADD caps its stream by count (``MAXLEN ~ stream_maxlen``); a quiet town would keep
years under that cap and a busy one days. This trims each stream to ``stream_max_age_days``
as well (``XTRIM MINID ~``), from the engine's loop at most once a minute.

It never removes what a reader still needs: the MINID of a stream is held back to the
oldest entry that any of its consumer groups has pending (read, not acknowledged) and to the
group's last-delivered id (entries after it were never read). `events` and `commands` are
trimmed only once the engine's group exists, so nothing the engine has not applied goes.

The engine's journal is trimmed with the streams it names: a rebuild (cases/rebuild.py)
needs the whole history since the journal began, so with age trimming on, rebuilding is
possible only while the centre's history is younger than ``stream_max_age_days`` (see
docs/operations.md, "Redis memory"). Set it to 0 to keep history by count only.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from cases.group import streams as engine_streams
from cases.journal import BEGIN_ID
from cases.model import entry_key
from core.keys import ENGINE_GROUP, Keys
from core.replies import text

log = logging.getLogger(__name__)
EVERY_S = 60.0


def _older(a: str, b: str) -> str:
    return a if entry_key(a) <= entry_key(b) else b


def min_id(r: redis.Redis, stream: str, cutoff: str, *, needs_engine: bool) -> str | None:
    """The MINID to trim ``stream`` to: ``cutoff``, held back to what its groups still need.

    None: nothing may go (no such stream; or the engine's group has not joined it yet).
    """
    try:
        groups: Any = r.xinfo_groups(stream)
    except redis.ResponseError:  # no such stream
        return None
    if needs_engine and not any(text(g["name"]) == ENGINE_GROUP for g in groups):
        return None
    bound = cutoff
    for group in groups:
        bound = _older(bound, text(group["last-delivered-id"]))
        if int(group["pending"]):
            oldest: Any = r.xpending(stream, text(group["name"]))
            if oldest.get("min") is not None:
                bound = _older(bound, text(oldest["min"]))
    return bound


def _steps_before(r: redis.Redis, journal: str, cutoff: str) -> bool:
    """Whether the journal holds a step (an entry after its `0-1` beginning) before ``cutoff``."""
    first: Any = r.xrange(journal, min=f"({BEGIN_ID}", count=1)
    return bool(first) and entry_key(text(first[0][0])) < entry_key(cutoff)


def trim(r: redis.Redis, keys: Keys, before: datetime, *, approximate: bool = True) -> int:
    """Trim every stream of the entries older than ``before`` that no reader still needs.

    Returns the entries removed. ``approximate`` (``~``): Redis removes whole nodes only,
    which is far cheaper and may keep a few older entries a while longer.
    """
    cutoff = f"{int(before.timestamp() * 1000)}-0"
    engine = engine_streams(keys)
    removed = 0
    for stream in keys.streams.values():
        bound = min_id(r, stream, cutoff, needs_engine=stream in engine)
        if bound is None or entry_key(bound) <= (0, 0):
            continue
        if stream == keys.journal and not _steps_before(r, stream, cutoff):
            continue  # only its first entry, `0-1`, is "old": trimming it would lose nothing
            # but the rebuild (which needs it), so the journal goes only with real history
        try:
            removed += int(r.xtrim(stream, minid=bound, approximate=approximate))
        except redis.ResponseError as exc:  # e.g. a Redis older than 6.2 (no MINID)
            log.warning("could not trim %s by age: %s", stream, exc)
    return removed


@dataclass
class Retention:
    """Called from the engine's loop: trims by age at most once every ``every_s``."""

    max_age: timedelta
    every_s: float = EVERY_S
    approximate: bool = True
    _next: float = field(default=-math.inf, init=False)

    def __call__(self, r: redis.Redis, keys: Keys, now: datetime) -> int:
        """Entries removed (0 when not due, or when age trimming is off)."""
        if self.max_age <= timedelta(0) or time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + self.every_s
        removed = trim(r, keys, now.astimezone(UTC) - self.max_age, approximate=self.approximate)
        if removed:
            log.info("trimmed %d stream entries older than %s", removed, self.max_age)
        return removed
