"""The `towncc` command: demo, serve, engine, simulate."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta

from towncc.cli_ingest import add_commands
from towncc.settings import Settings

log = logging.getLogger("towncc")


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from towncc.server import build

    app = build(settings)
    print(f"towncc wall: http://{settings.host}:{settings.port}/wall", flush=True)
    uvicorn.run(app.server, host=settings.host, port=settings.port, log_level="warning")


def _engine(args: argparse.Namespace, settings: Settings) -> None:
    import redis

    from cases.engine import Engine, stop_on_signals
    from cases.places import Geography
    from layers.town import Town
    from towncc.keys import Keys

    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: run `towncc demo`, or point REDIS_URL at a Redis")
    town = Town.load(settings.grids_l1_path, settings.grids_l2_path, settings.roster_path)
    engine = Engine(
        redis.Redis.from_url(settings.redis_url),
        Keys(settings.key_prefix),
        Geography(town),
        consumer=args.consumer or settings.engine_consumer,
        batch=settings.engine_batch,
        maxlen=settings.stream_maxlen,
    )
    engine.run(stop_on_signals())


def _simulate(args: argparse.Namespace, settings: Settings) -> None:
    from cases.engine import stop_on_signals
    from ingest.sim.runner import run
    from ingest.sim.urban import UrbanFeed, UrbanSimulator
    from layers.town import Town

    town = Town.load(settings.grids_l1_path, settings.grids_l2_path, settings.roster_path)
    rate = args.rate if args.rate is not None else settings.simulate_rate
    urban = UrbanSimulator(town.boundary, town.centre, seed=args.seed, first_number=args.first)
    sims = [UrbanFeed(urban, rate, timedelta(minutes=args.backfill))]
    base = args.url or f"http://{settings.host}:{settings.port}"
    print(f"simulating {', '.join(s.feed for s in sims)} → {base}/api/ingest/<feed>", flush=True)
    run(sims, base, stop_on_signals())


def _demo(args: argparse.Namespace, settings: Settings) -> None:
    from towncc.supervisor import run_demo

    run_demo(settings, simulate=not args.no_simulator)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="towncc", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="run everything: embedded Redis (unless REDIS_URL), engine, simulator, wall",
        description="Run the whole system on this machine; Ctrl-C stops every process.",
    )
    demo.add_argument("--no-simulator", action="store_true", help="start no simulated feed")
    sub.add_parser("serve", help="serve the wall, the JSON API and the intake endpoints")
    engine = sub.add_parser("engine", help="run the case engine (a consumer on `events`)")
    engine.add_argument("--consumer", help="consumer name in the group (default: settings)")
    sim = sub.add_parser("simulate", help="send plausible 数字城管 records over HTTP")
    sim.add_argument("--url", help="base URL of the intake (default: this machine's serve)")
    sim.add_argument("--rate", type=float, help="new urban records per second (default: settings)")
    sim.add_argument("--seed", type=int, default=0, help="random seed")
    sim.add_argument("--first", type=int, default=1, help="first case number of this run")
    sim.add_argument(
        "--backfill", type=float, default=0, help="first send the cases of the last N minutes"
    )
    add_commands(sub)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], None]] = {
    "demo": _demo,
    "serve": _serve,
    "engine": _engine,
    "simulate": _simulate,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    handler = getattr(args, "handler", None) or COMMANDS[args.command]
    handler(args, Settings())
