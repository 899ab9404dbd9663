"""File intake: watched drop folders (one per feed) and bulk replay of files.

A file in `<drop>/<feed>/` is read once it has stopped changing (writers should write
`.tmp`/`.part` or dot-files and rename; those are ignored). Once every record is stored or
dead-lettered it moves to `done/`; a file that cannot be read at all moves to `failed/`.
Either way, a `<file>.reason` beside it lists what was dead-lettered and why. While Redis is
unreachable the file stays where it is and is tried again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis
from tqdm import tqdm

from ingest.adapter import Adapter
from ingest.sink import Outcome, RedisSink

log = logging.getLogger(__name__)
SETTLE_S = 1.0
IGNORED_SUFFIXES = (".tmp", ".part", ".reason")


def ingest_file(path: Path, adapter: Adapter, sink: RedisSink, client: redis.Redis) -> Outcome:
    """Every record of one file, stored or dead-lettered; raises if Redis is unreachable."""
    return sink.write(client, adapter.parse(path.read_bytes(), datetime.now(UTC)))


def _reason_text(outcome: Outcome) -> str:
    lines = [f"{outcome.accepted} accepted, {outcome.deadlettered} dead-lettered"]
    lines += [
        f"record {e['index']} ({e['source_id'] or '?'}): {e['reason']}" for e in outcome.errors
    ]
    return "\n".join(lines) + "\n"


def settle(path: Path, outcome: Outcome) -> Path:
    """Move a processed file to done/ or failed/, with its reason file when anything failed."""
    target_dir = path.parent / ("failed" if outcome.body_error else "done")
    target_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = target_dir / f"{stamp}-{path.name}"
    path.rename(target)
    if outcome.deadlettered:
        target.with_name(target.name + ".reason").write_text(_reason_text(outcome), "utf-8")
    return target


def ready_files(folder: Path, now: float) -> Iterator[Path]:
    """Files in a drop folder that have stopped changing, oldest first."""
    candidates = [
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(IGNORED_SUFFIXES)
    ]  # fmt: skip
    for path in sorted(candidates, key=lambda p: p.stat().st_mtime):
        if now - path.stat().st_mtime >= SETTLE_S:
            yield path


@dataclass
class Watcher:
    """Polls `<root>/<feed>/` for every feed and ingests what lands there."""

    root: Path
    feeds: dict[str, Adapter]
    sink: RedisSink
    client: redis.Redis

    def __post_init__(self) -> None:
        for feed in self.feeds:
            (self.root / feed).mkdir(parents=True, exist_ok=True)

    def sweep(self) -> int:
        """Ingest every ready file once; the number of files settled."""
        settled = 0
        for feed, adapter in self.feeds.items():
            for path in ready_files(self.root / feed, time.time()):
                try:
                    outcome = ingest_file(path, adapter, self.sink, self.client)
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    log.warning("Redis unreachable (%s); %s stays for the next sweep", exc, path)
                    return settled
                log.info(
                    "%s: %s", settle(path, outcome).name, _reason_text(outcome).splitlines()[0]
                )
                settled += 1
        return settled

    def run(self, stop: threading.Event, every_s: float = 1.0) -> None:
        while not stop.is_set():
            self.sweep()
            stop.wait(every_s)


@dataclass
class ReplaySummary:
    files: int = 0
    accepted: int = 0
    deadlettered: int = 0
    unreadable: list[str] = field(default_factory=list)


def replay(
    paths: Iterable[Path], adapter_of: dict[Path, Adapter], sink: RedisSink, client: redis.Redis
) -> ReplaySummary:
    """Bulk-load files (each with its feed's adapter), with a progress bar; files stay put."""
    summary = ReplaySummary()
    for path in tqdm(list(paths), unit="file", desc="replay"):
        outcome = ingest_file(path, adapter_of[path], sink, client)
        summary.files += 1
        summary.accepted += outcome.accepted
        summary.deadlettered += outcome.deadlettered
        if outcome.body_error:
            summary.unreadable.append(f"{path}: {outcome.body_error}")
    return summary
