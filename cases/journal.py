"""The engine's journal: what each of its transactions applied, in order.

A projection is a fold over the streams, but the order in which the live engine took its
input (how batches of `events` and `commands` interleaved, where a crash cut a batch) and
the clock its deadlines fired by are not in the streams. The journal records them: one
entry per transaction, appended in the same MULTI/EXEC as the writes and XACKs it describes,
so that a rebuild (cases/rebuild.py) replays the very same transactions through the same
code and gets the very same projections.

An entry's fields: ``op`` (``events``, ``commands``, ``sweep`` or ``silence``); ``ids``, a
JSON list of the stream entries applied, in order (for a sweep: the case ids it examined; for
a silence sweep: the stations); ``now``, the
engine's clock for that batch (UTC, ISO 8601), the time of every change it wrote; ``changes``,
how many audit entries it wrote, so a rebuild can say where it went another way.

The first entry, id ``0-1``, is ``begin``: written when an engine starts on no journal, it
records whether projections existed already (those could never be rebuilt from it). A
journal that has lost its ``begin`` entry was trimmed and can no longer rebuild anything.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import redis
from redis.typing import EncodableT, FieldT

from core.keys import Keys
from core.replies import text

log = logging.getLogger(__name__)
Op = Literal["events", "commands", "sweep", "silence"]
OPS: tuple[Op, ...] = ("events", "commands", "sweep", "silence")
SWEEPS: frozenset[str] = frozenset({"sweep", "silence"})  # ops that name no stream entries
BEGIN_ID = "0-1"
BEGIN = "begin"
READ_CHUNK = 200
KINDS = ("telemetry", "metric", "alert")  # the latest:<kind> hashes


@dataclass(frozen=True, slots=True)
class Step:
    """One transaction of the engine, as the journal records it."""

    op: Op
    ids: tuple[str, ...]
    now: datetime
    changes: int

    def fields(self) -> dict[FieldT, EncodableT]:
        return {
            "op": self.op,
            "ids": orjson.dumps(self.ids).decode(),
            "now": self.now.astimezone(UTC).isoformat(),
            "changes": str(self.changes),
        }

    @classmethod
    def parse(cls, fields: dict[str, str]) -> Step:
        """``ValueError`` for an entry that is not a step."""
        op = fields.get("op", "")
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
        ids = orjson.loads(fields.get("ids", "[]"))
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("ids is not a list of strings")
        now = datetime.fromisoformat(fields["now"])
        return cls(op, tuple(ids), now, int(fields.get("changes", "0")))


def step_fields(
    op: Op, ids: Sequence[str], now: datetime, changes: int
) -> dict[FieldT, EncodableT]:
    return Step(op, tuple(ids), now, changes).fields()


def begin(r: redis.Redis, keys: Keys) -> None:
    """Open the journal once, saying whether projections existed before it."""
    if r.exists(keys.journal):
        return
    existed = r.exists(keys.all_cases, keys.alert_index, *(keys.latest(k) for k in KINDS))
    fields: dict[FieldT, EncodableT] = {
        "op": BEGIN,
        "projections": "existing" if existed else "none",
    }
    with contextlib.suppress(redis.ResponseError):  # another engine opened it first
        r.xadd(keys.journal, fields, id=BEGIN_ID)
    if existed:
        log.warning(
            "the journal begins after projections were written: they cannot be rebuilt "
            "(`towncc engine --rebuild` will refuse)"
        )


def read(
    r: redis.Redis, keys: Keys, after: str | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """Every journal entry after ``after`` (None: from the first), in order, a chunk at a time."""
    start = "-" if after is None else f"({after}"
    while True:
        rows: Any = r.xrange(keys.journal, start, "+", count=READ_CHUNK)
        for entry, fields in rows:
            yield text(entry), {text(k): text(v) for k, v in fields.items()}
        if len(rows) < READ_CHUNK:
            return
        start = f"({text(rows[-1][0])}"
