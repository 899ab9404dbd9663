"""`towncc engine --rebuild`: every projection recomputed from the streams.

The journal (cases/journal.py) says which transactions the live engine committed, in order,
with the clock each one used; the rebuild replays them through the engine's own code (an
Engine in ``replay`` mode, which writes projections only) into scratch keys under
``<prefix>rebuild:``, then swaps them in for the live projections in one MULTI/EXEC. A
rebuild that fails (a trimmed stream, Redis gone) leaves the live projections as they were;
running it again starts afresh, so it is idempotent.

It refuses to run while an engine is live: one whose consumer read within ``LIVE_IDLE_MS``
(an engine that stops cleanly leaves the group; one that crashed counts as live that long).
While it runs it holds a lock that a starting engine waits for.

`case-events` is kept as written: it is the audit log (what was written, and when), and the
wall tails it, so rewriting it would replay a week of changes onto every screen. The cases'
histories are projections and are rebuilt; they hold the same entries.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import redis

from cases import group
from cases.engine import Engine, Entry
from cases.journal import BEGIN, BEGIN_ID, SWEEPS, Step, read
from cases.model import entry_key
from core.keys import Keys, glob_escape
from core.replies import text

LIVE_IDLE_MS = 5_000
LOCK_MS = 60_000
SCRATCH = "rebuild:"
PROGRESS_S = 2.0
UNLINK_CHUNK = 1000
Fields = dict[str, str]
PREFETCH = 5000  # stream entries fetched at once


class RebuildError(Exception):
    """The rebuild cannot run, or must not: the live projections are unchanged."""


@dataclass
class Plan:
    """What a journal holds, checked before anything is written."""

    steps: int = 0
    entries: int = 0
    oldest: dict[str, str] = field(default_factory=dict)  # stream → oldest entry it names


@dataclass
class Summary:
    steps: Counter[str] = field(default_factory=Counter)  # transactions replayed, per op
    entries: int = 0  # stream entries applied again
    written: int = 0  # audit entries written
    diverged: list[str] = field(default_factory=list)  # journal entries replayed differently
    keys: int = 0  # projection keys swapped in
    seconds: float = 0.0

    def lines(self) -> list[str]:
        ops = ", ".join(f"{n:,} {op}" for op, n in sorted(self.steps.items())) or "none"
        out = [
            f"rebuilt {self.keys:,} projection keys in {self.seconds:.1f} s",
            f"  transactions replayed: {self.steps.total():,} ({ops})",
            f"  stream entries applied: {self.entries:,}; audit entries written: {self.written:,}",
        ]
        if self.diverged:
            shown = ", ".join(self.diverged[:5])
            out.append(
                f"  {len(self.diverged):,} transactions wrote another number of audit entries "
                f"than live (first: {shown}): the engine's code changed since, or a bug"
            )
        return out


def rebuild(
    engine: Engine, *, out: Callable[[str], None] = print, idle_ms: int = LIVE_IDLE_MS
) -> Summary:
    """Recompute every projection of ``engine.keys`` from the streams and the journal."""
    r, keys = engine.r, engine.keys
    token = uuid.uuid4().hex
    if not r.set(keys.rebuild_lock, token, nx=True, px=LOCK_MS):
        raise RebuildError(f"another rebuild is running (it holds {keys.rebuild_lock})")
    scratch = Keys(keys.prefix + SCRATCH)
    started = time.monotonic()
    try:
        refuse_live(r, keys, idle_ms)
        plan = check(r, keys)
        out(f"journal: {plan.steps:,} transactions over {plan.entries:,} stream entries")
        _unlink(r, _scan(r, [glob_escape(scratch.prefix) + "*"]))
        summary = _replay(replace(engine, keys=scratch, replay=True), keys, plan, out)
        summary.keys = _swap(r, keys, scratch)
    except BaseException:
        with contextlib.suppress(redis.RedisError):
            _unlink(r, _scan(r, [glob_escape(scratch.prefix) + "*"]))
        raise
    finally:
        with contextlib.suppress(redis.RedisError):
            if text(r.get(keys.rebuild_lock) or b"") == token:
                r.delete(keys.rebuild_lock)
    summary.seconds = time.monotonic() - started
    return summary


def refuse_live(r: redis.Redis, keys: Keys, idle_ms: int = LIVE_IDLE_MS) -> None:
    if live := group.live_engines(r, keys, idle_ms):
        raise RebuildError(
            f"an engine is running: {', '.join(live)}. Stop every `towncc engine` first; "
            f"one that crashed counts as running for {group.HEARTBEAT_MS / 1000:g} s"
        )


def check(r: redis.Redis, keys: Keys) -> Plan:
    """The journal's size and what it names; RebuildError if it cannot rebuild everything."""
    entries = read(r, keys)
    first = next(entries, None)
    if first is None:
        raise RebuildError(f"no journal ({keys.journal}): nothing to rebuild from")
    entry, fields = first
    if entry != BEGIN_ID or fields.get("op") != BEGIN:
        raise RebuildError(
            f"the journal was trimmed (its first entry is {entry}, not {BEGIN_ID}): "
            "what it held before is lost, so the projections cannot be rebuilt"
        )
    if fields.get("projections") != "none":
        raise RebuildError(
            "the journal began when projections already existed (written by an engine "
            "without a journal): those cannot be rebuilt from it"
        )
    plan = Plan()
    for entry, fields in entries:
        step = _parse(entry, fields)
        plan.steps += 1
        if step.op not in SWEEPS and step.ids:
            stream = _stream(keys, step)
            plan.entries += len(step.ids)
            oldest = min(step.ids, key=entry_key)
            if stream not in plan.oldest or entry_key(oldest) < entry_key(plan.oldest[stream]):
                plan.oldest[stream] = oldest
    for stream, oldest in plan.oldest.items():
        head: Any = r.xrange(stream, "-", "+", count=1)
        if not head or entry_key(text(head[0][0])) > entry_key(oldest):
            now_first = text(head[0][0]) if head else "none: the stream is empty"
            raise RebuildError(_trimmed(stream, oldest, f"its first entry is now {now_first}"))
    return plan


def _trimmed(stream: str, entry: str, why: str) -> str:
    return (
        f"entry {entry} of {stream}, applied by the engine, is no longer in the stream ({why}): "
        "a rebuild needs every stream entry since the journal began; keep the streams "
        "(stream_maxlen) at least as long as the history to rebuild"
    )


def _parse(entry: str, fields: dict[str, str]) -> Step:
    try:
        return Step.parse(fields)
    except (KeyError, ValueError) as exc:
        raise RebuildError(f"journal entry {entry} is not a transaction: {exc}") from None


def _stream(keys: Keys, step: Step) -> str:
    return keys.events if step.op == "events" else keys.commands


def _replay(engine: Engine, source: Keys, plan: Plan, out: Callable[[str], None]) -> Summary:
    r, summary = engine.r, Summary()
    started = last = time.monotonic()
    for chunk in _chunks(read(r, source, after=BEGIN_ID)):
        fetched = _prefetch(r, source, [step for _, step in chunk])
        for entry, step in chunk:
            rows = [(i, fetched[step.op][i]) for i in step.ids] if step.op not in SWEEPS else []
            written = replay_step(engine, step, rows)
            summary.steps[step.op] += 1
            summary.entries += len(rows)
            summary.written += written
            if written != step.changes:
                summary.diverged.append(entry)
        if time.monotonic() - last >= PROGRESS_S:
            last = time.monotonic()
            r.pexpire(source.rebuild_lock, LOCK_MS)
            rate = summary.entries / (last - started)
            out(
                f"  {summary.steps.total():,}/{plan.steps:,} transactions, "
                f"{summary.entries:,}/{plan.entries:,} entries ({rate:,.0f}/s)"
            )
    return summary


def _chunks(journal: Iterable[tuple[str, dict[str, str]]]) -> Iterator[list[tuple[str, Step]]]:
    """Journal steps in runs naming about PREFETCH stream entries, fetched together."""
    chunk: list[tuple[str, Step]] = []
    named = 0
    for entry, fields in journal:
        step = _parse(entry, fields)
        chunk.append((entry, step))
        named += len(step.ids) if step.op not in SWEEPS else 0
        if named >= PREFETCH or len(chunk) >= PREFETCH:
            yield chunk
            chunk, named = [], 0
    if chunk:
        yield chunk


def _prefetch(r: redis.Redis, keys: Keys, steps: list[Step]) -> dict[str, dict[str, Fields]]:
    """The stream entries these steps applied: op (events, commands) → entry id → fields."""
    return {
        op: fetch(r, stream, [i for step in steps if step.op == op for i in step.ids])
        for stream, op in ((keys.events, "events"), (keys.commands, "commands"))
    }


def replay_step(engine: Engine, step: Step, entries: list[Entry]) -> int:
    """One journaled transaction applied again, with its clock; the audit entries it wrote."""
    engine.written = 0
    if step.op == "sweep":
        engine.sweep_cases(list(step.ids), step.now)
    elif step.op == "silence":
        engine.sweep_stations(list(step.ids), step.now)
    elif step.op == "events":
        engine.process(entries, step.now)
    else:
        engine.process_commands(entries, step.now)
    return engine.written


def fetch(r: redis.Redis, stream: str, ids: Sequence[str]) -> dict[str, Fields]:
    """These entries of the stream by id; RebuildError if one is gone."""
    if not ids:
        return {}
    found: dict[str, Fields] = {}
    ordered = sorted(ids, key=entry_key)
    # Mostly one run of the stream; a few entries (of other consumers, or that changed
    # nothing and were not journaled) may lie between them.
    rows: Any = r.xrange(stream, ordered[0], ordered[-1], 2 * len(ids) + 100)
    for entry, fields in rows:
        found[text(entry)] = {text(k): text(v) for k, v in fields.items()}
    missing = [i for i in ordered if i not in found]
    if missing:
        pipe = r.pipeline(transaction=False)
        for entry in missing:
            pipe.xrange(stream, entry, entry)
        for entry, rows in zip(missing, pipe.execute(), strict=True):
            if rows:
                found[entry] = {text(k): text(v) for k, v in rows[0][1].items()}
    for entry in ordered:
        if entry not in found:
            raise RebuildError(_trimmed(stream, entry, "trimmed or deleted"))
    return found


def _swap(r: redis.Redis, keys: Keys, scratch: Keys) -> int:
    """Drop the live projections and rename the rebuilt ones in, in one transaction."""
    old = _scan(r, keys.projection_patterns())
    new = _scan(r, [glob_escape(scratch.prefix) + "*"])
    pipe = r.pipeline(transaction=True)
    for first in range(0, len(old), UNLINK_CHUNK):
        pipe.unlink(*old[first : first + UNLINK_CHUNK])
    for key in new:
        pipe.rename(key, keys.prefix + key[len(scratch.prefix) :])
    results = pipe.execute(raise_on_error=False)
    # A command outcome may expire between SCAN and RENAME: nothing to move then.
    failed = [x for x in results if isinstance(x, Exception) and "no such key" not in str(x)]
    if failed:
        raise RebuildError(f"swapping the rebuilt projections in failed: {failed[0]}")
    return len(new)


def _scan(r: redis.Redis, patterns: Iterable[str]) -> list[str]:
    return sorted({text(k) for p in patterns for k in r.scan_iter(match=p, count=1000)})


def _unlink(r: redis.Redis, found: list[str]) -> None:
    for first in range(0, len(found), UNLINK_CHUNK):
        r.unlink(*found[first : first + UNLINK_CHUNK])
