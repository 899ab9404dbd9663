"""What a starting engine does with the entries left pending: its own, and dead peers'.

Each entry's delivery count (XPENDING's extended form) says how often it was handed to an
engine that never acknowledged it. An entry delivered once before was in a batch when the
engine stopped or died: it is applied again with its batch. One delivered more often is
suspect (its batch died again): it is taken alone, so that only the entry that kills the
engine sees its count grow, and the innocent ones behind it do not. One delivered
``max_deliveries`` times has killed the engine that often: it is quarantined unapplied.

Taking an entry (XCLAIM) counts a delivery; reading it with XRANGE does not, which is how a
recovery after a Redis outage re-reads its own entries (``counted`` False).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cases import group
from cases.quarantine import Poison
from core.keys import ENGINE_GROUP

if TYPE_CHECKING:
    from cases.engine import Engine

# An entry that another consumer has held this long without acking is taken over.
CLAIM_IDLE_MS = 30_000


def recover(engine: Engine, counted: bool) -> int:
    """Apply (or quarantine) every entry pending for this consumer, then those of peers idle
    for CLAIM_IDLE_MS; the stream entries handled."""
    done = 0
    for stream in group.streams(engine.keys):
        after = None
        while mine := group.pending(
            engine.r, stream, consumer=engine.consumer, after=after, count=engine.batch
        ):
            after = mine[-1].entry
            done += retry(engine, stream, mine, claim_idle=0 if counted else None)
        after = None
        while left := group.pending(
            engine.r, stream, idle_ms=CLAIM_IDLE_MS, after=after, count=engine.batch
        ):
            after = left[-1].entry
            peers = [p for p in left if p.consumer != engine.consumer]
            done += retry(engine, stream, peers, claim_idle=CLAIM_IDLE_MS)
    return done


def runs(pending: list[group.Pending], max_deliveries: int) -> list[list[str]]:
    """The entries to apply again, in stream order: each run of entries delivered once
    together, each suspect alone; those spent (quarantined instead) left out."""
    found: list[list[str]] = [[]]
    for p in pending:
        if p.deliveries >= max_deliveries:
            continue
        if p.deliveries > 1:
            found += [[p.entry], []]
        else:
            found[-1].append(p.entry)
    return [run for run in found if run]


def retry(engine: Engine, stream: str, pending: list[group.Pending], claim_idle: int | None) -> int:
    """Apply these pending entries again, taking each run with XCLAIM first (``claim_idle``
    None: they are ours already: read them without counting a delivery)."""
    r = engine.r
    found = group.fetch(r, stream, [p.entry for p in pending])
    if gone := [p.entry for p in pending if p.entry not in found]:
        r.xack(stream, ENGINE_GROUP, *gone)  # trimmed before anyone applied them
    source = engine.source(stream)
    done = len(gone)
    present = [p for p in pending if p.entry in found]
    for p in present:
        if p.deliveries >= engine.max_deliveries:
            why = f"delivered {p.deliveries} times and never acknowledged: it stops the engine"
            done += engine.set_aside(Poison(source, p.entry, found[p.entry], why, p.deliveries))
    for run in runs(present, engine.max_deliveries):
        if claim_idle is not None:
            run = group.claim(r, stream, engine.consumer, run, claim_idle)
        if run:
            done += engine.isolate(source, [(e, found[e]) for e in run])
    return done
