"""`towncc ingest …` and `towncc deadletter …`: files in, dead letters out and back."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from core.keys import Keys
from core.settings import Settings
from towncc.connect import redis_client


def ingest_replay(args: argparse.Namespace, settings: Settings) -> None:
    from ingest.feeds import FEEDS
    from ingest.files import replay
    from ingest.guard import Guard
    from ingest.sink import RedisSink

    adapter_of = {}
    for path in args.files:
        feed = args.feed or path.resolve().parent.name
        if feed not in FEEDS:
            raise SystemExit(f"{path}: feed {feed!r} unknown (use --feed; known: {sorted(FEEDS)})")
        if not path.is_file():
            raise SystemExit(f"{path}: no such file")
        adapter_of[path] = FEEDS[feed]
    sink = RedisSink(Keys(settings.key_prefix), settings.stream_maxlen, guard=Guard.of(settings))
    summary = replay(args.files, adapter_of, sink, redis_client(settings))
    print(
        f"{summary.files} files: {summary.accepted} records accepted, "
        f"{summary.deadlettered} dead-lettered, {len(summary.unreadable)} unreadable"
    )
    for line in summary.unreadable:
        print(f"  unreadable: {line}", file=sys.stderr)


def ingest_watch(args: argparse.Namespace, settings: Settings) -> None:
    from core.signals import stop_on_signals
    from ingest.feeds import FEEDS
    from ingest.files import Watcher
    from ingest.guard import Guard
    from ingest.sink import RedisSink

    root = args.folder or settings.data_dir / "drop"
    sink = RedisSink(Keys(settings.key_prefix), settings.stream_maxlen, guard=Guard.of(settings))
    print(f"watching {root}/<feed>/ for {', '.join(FEEDS)}", flush=True)
    Watcher(root, FEEDS, sink, redis_client(settings)).run(stop_on_signals())


def deadletter_list(args: argparse.Namespace, settings: Settings) -> None:
    from core.times import beijing
    from ingest.deadletters import counts, recent

    client, keys = redis_client(settings), Keys(settings.key_prefix)
    if args.counts:
        for row in counts(client, keys):
            print(f"{row['count']:>8}  {row['feed']:<12} {row['reason']}")
        return
    for letter in recent(client, keys, feed=args.feed, limit=args.limit):
        at = beijing(datetime.fromisoformat(letter["received_at"]))
        raw = letter["raw"].replace("\n", " ")
        print(f"{letter['entry']}  {at:%Y-%m-%d %H:%M:%S}  {letter['feed']:<12} {letter['reason']}")
        print(f"    raw: {raw[:160]}{'…' if len(raw) > 160 else ''}")


def deadletter_replay(args: argparse.Namespace, settings: Settings) -> None:
    from ingest.deadletters import replay
    from ingest.feeds import FEEDS
    from ingest.guard import Guard

    report = replay(
        redis_client(settings), Keys(settings.key_prefix), dict(FEEDS), feed=args.feed,
        maxlen=settings.stream_maxlen, guard=Guard.of(settings),
    )  # fmt: skip
    print(
        f"{report.examined} examined: {report.replayed} replayed into events, "
        f"{report.still_failing} still failing, {report.unknown_feed} of unknown feeds, "
        f"{report.truncated} stored truncated (not replayed)"
    )


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = sub.add_parser("ingest", help="file intake: bulk replay and watched drop folders")
    isub = ingest.add_subparsers(dest="action", required=True)
    rep = isub.add_parser("replay", help="load native files (feed from --feed or the folder name)")
    rep.add_argument("files", nargs="+", type=Path)
    rep.add_argument("--feed", help="the feed of every file")
    rep.set_defaults(handler=ingest_replay)
    watch = isub.add_parser("watch", help="ingest files dropped into <folder>/<feed>/")
    watch.add_argument("--folder", type=Path, help="drop root (default: <data_dir>/drop)")
    watch.set_defaults(handler=ingest_watch)

    dead = sub.add_parser("deadletter", help="list and replay dead letters")
    dsub = dead.add_subparsers(dest="action", required=True)
    lst = dsub.add_parser("list", help="the newest dead letters, or their counts")
    lst.add_argument("--feed")
    lst.add_argument("--limit", type=int, default=20)
    lst.add_argument("--counts", action="store_true", help="counts per feed and reason")
    lst.set_defaults(handler=deadletter_list)
    rpl = dsub.add_parser("replay", help="re-parse dead letters after a mapping fix")
    rpl.add_argument("--feed")
    rpl.set_defaults(handler=deadletter_replay)
