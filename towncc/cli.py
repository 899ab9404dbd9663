"""The `towncc` command: demo, serve, engine, simulate."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from core.private import PRIVATE_UMASK
from core.settings import Settings
from towncc import cli_access
from towncc.cli_ingest import add_commands
from towncc.connect import redis_client

if TYPE_CHECKING:
    from cases.calendar import HolidayCalendar
    from cases.engine import Engine
    from layers.town import Town
    from responders.plan import Candidates
    from responders.staff import Staff

log = logging.getLogger("towncc")


def _town(settings: Settings) -> Town:
    from layers.town import Town

    paths = (settings.grids_l1_path, settings.grids_l2_path, settings.roster_path)
    return Town.load(*paths, name=settings.town_name)


def _calendar(settings: Settings) -> HolidayCalendar:
    """The town's holiday calendar; a broken arrangement file stops the start-up, loudly."""
    from cases.calendar import CalendarFileError, load_calendar

    try:
        return load_calendar(settings.holiday_arrangements_path)
    except CalendarFileError as exc:
        raise SystemExit(f"holiday calendar refused: {exc}") from None


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from towncc.heap import freeze_startup_heap
    from towncc.server import build

    _calendar(settings)  # the health check reads it: a broken file fails here, not on the wall
    app = build(settings)
    freeze_startup_heap()
    print(f"towncc wall: http://{settings.host}:{settings.port}/wall", flush=True)
    uvicorn.run(app.server, host=settings.host, port=settings.port, log_level="warning")


def _make_engine(
    settings: Settings,
    town: Town,
    consumer: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Engine:
    """The case engine of this town, as `towncc engine` runs it (``clock``: the warm-up's)."""
    from cases.engine import Engine
    from cases.escalation import Handover
    from cases.places import Geography
    from cases.retention import Retention
    from cases.routing import table, village_kinds
    from core.keys import Keys

    return Engine(
        redis_client(settings),
        Keys(settings.key_prefix),
        Geography(town),
        consumer=consumer or settings.engine_consumer,
        batch=settings.engine_batch,
        maxlen=settings.stream_maxlen,
        kinds=village_kinds(town),
        handover=Handover(table().escalation, town.roster),  # this town's people
        trim=Retention(timedelta(days=settings.stream_max_age_days)),
        calendar=_calendar(settings),
        max_deliveries=settings.engine_max_deliveries,
        clock=clock or (lambda: datetime.now(UTC)),
    )


def _engine(args: argparse.Namespace, settings: Settings) -> None:
    from core.signals import stop_on_signals
    from towncc.heap import freeze_startup_heap

    engine = _make_engine(settings, _town(settings), args.consumer)
    if args.rebuild:
        _rebuild(engine)
        return
    freeze_startup_heap()
    engine.run(stop_on_signals())


def _emergency(args: argparse.Namespace, settings: Settings) -> None:
    import random

    from cases.escalation import Handover
    from cases.routing import table
    from core.keys import Keys
    from core.signals import stop_on_signals
    from emergency.gateway import Gateway, HttpSms, Off, Simulated
    from emergency.incidents import context_for
    from emergency.rules import rules
    from emergency.watcher import Watcher
    from layers.town import TownDataError

    town = _town(settings)
    try:
        context = context_for(town, settings.population_path, settings.emergency_places_path)
        table_of_rules = rules()
    except (TownDataError, ValueError) as exc:
        raise SystemExit(f"emergency data refused: {exc}") from None
    kind = args.gateway or settings.sms_gateway
    gateway: Gateway = Off()
    if kind == "simulated":
        gateway = Simulated(random.Random(args.seed))  # noqa: S311  # a simulation
    elif kind == "http":
        if not settings.sms_url:
            raise SystemExit("sms_gateway is http but TOWNCC_SMS_URL is not set")
        try:
            gateway = HttpSms(
                settings.sms_url,
                settings.sms_template,
                sign=settings.sms_sign,
                token=settings.sms_token.get_secret_value(),
                user=settings.sms_user,
                password=settings.sms_password.get_secret_value(),
            )
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    watcher = Watcher(
        redis_client(settings),
        Keys(settings.key_prefix),
        context,
        Handover(table().escalation, town.roster),
        gateway,
        table_of_rules,
        minutes=settings.notice_ack_minutes,
        link_base=settings.public_url.rstrip("/"),
    )
    print(f"towncc emergency: rules {len(table_of_rules)}, gateway {gateway.name}", flush=True)
    watcher.run(stop_on_signals())


def _rebuild(engine: Engine) -> None:
    from cases.rebuild import RebuildError, rebuild

    print(f"rebuilding the projections of {engine.keys.prefix}* from the journal", flush=True)
    try:
        summary = rebuild(engine, out=lambda line: print(line, flush=True))
    except RebuildError as exc:
        raise SystemExit(f"rebuild refused: {exc}") from None
    print("\n".join(summary.lines()), flush=True)


def _quarantine_list(args: argparse.Namespace, settings: Settings) -> None:
    from cases import quarantine
    from core.keys import Keys
    from core.times import beijing

    r, keys = redis_client(settings), Keys(settings.key_prefix)
    totals = quarantine.totals(r, keys)
    ever = ", ".join(f"{n} {source}" for source, n in sorted(totals.items())) or "none"
    print(f"{quarantine.count(r, keys)} in quarantine; ever quarantined: {ever}")
    for row in quarantine.recent(r, keys, limit=args.limit):
        when = beijing(datetime.fromisoformat(row["at"])) if "at" in row else None
        at = f"{when:%Y-%m-%d %H:%M:%S}" if when else ""
        print(
            f"{row['id']}  {at}  {row.get('source', ''):<8} "
            f"entry {row.get('entry', '')}  deliveries {row.get('deliveries', '')}"
        )
        print(f"    error: {row.get('error', '')}")
        raw = row.get("raw", "").replace("\n", " ")
        more = "…" if len(raw) > 160 else ""
        print(f"    raw ({row.get('raw_bytes', '?')} bytes): {raw[:160]}{more}")


def _quarantine_replay(args: argparse.Namespace, settings: Settings) -> None:
    from cases import quarantine
    from core.keys import Keys

    r, keys = redis_client(settings), Keys(settings.key_prefix)
    report = quarantine.replay(r, keys, record=args.entry, maxlen=settings.stream_maxlen)
    if args.entry and not report.examined:
        raise SystemExit(f"no quarantine record {args.entry}")
    print(
        f"{report.examined} examined: {report.replayed} put back for the engine, "
        f"{report.lost} lost (raw cut short and the entry gone from its stream)"
    )


def _names(listed: str | None) -> list[str]:
    """A comma-separated list of feeds."""
    return [f.strip() for f in (listed or "").split(",") if f.strip()]


def _simulate(args: argparse.Namespace, settings: Settings) -> None:
    from core.signals import stop_on_signals
    from ingest.sim.common import Episode
    from ingest.sim.fleet import FEEDS, HISTORY_FEEDS, Options, build
    from ingest.sim.runner import run

    town = _town(settings)
    feeds = _names(args.feeds) if args.feeds else FEEDS
    try:
        options = Options(
            seed=args.seed,
            first_number=args.first,
            urban_rate=args.rate if args.rate is not None else settings.simulate_rate,
            speed=args.speed if args.speed is not None else settings.simulate_speed,
            backfill=timedelta(minutes=args.backfill),
            no_backfill=frozenset(HISTORY_FEEDS if args.after_history else ()),
            interval=timedelta(seconds=args.interval) if args.interval else None,
            rain=Episode(timedelta(minutes=args.rain_at), timedelta(minutes=args.rain_for)),
        )
        sims = build(town, options, feeds)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    base = args.url or f"http://{settings.host}:{settings.port}"
    print(f"simulating {', '.join(s.feed for s in sims)} → {base}/api/ingest/<feed>", flush=True)
    tokens = {feed: token.get_secret_value() for feed, token in settings.simulate_tokens.items()}
    run(sims, base, stop_on_signals(), tokens)


def _staff(settings: Settings, town: Town) -> tuple[Staff, Candidates]:
    """The simulated staff, and the teams the routing table names for a case."""
    from cases.routing import table, village_kinds
    from responders.staff import StaffError, load_staff

    routing = table()
    try:
        staff = load_staff(town, routing)
    except StaffError as exc:
        raise SystemExit(str(exc)) from None
    kinds = village_kinds(town)

    def candidates(category: str, village: str | None) -> list[str]:
        return routing.candidates(category, village, kinds.get(village or ""))

    return staff, candidates


def _respond(args: argparse.Namespace, settings: Settings) -> None:
    import httpx

    from core.keys import Keys
    from core.signals import stop_on_signals
    from responders.run import Responder, Tokens

    staff, candidates = _staff(settings, _town(settings))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per poll
    tokens = None
    if settings.access_control:  # each person acts under a token of their own
        tokens = Tokens(redis_client(settings), Keys(settings.key_prefix), staff.everyone())
    base = args.url or f"http://{settings.host}:{settings.port}"
    print(f"towncc respond: {len(staff.everyone())} simulated staff act on {base}", flush=True)
    with httpx.Client(base_url=base, timeout=15) as client:
        Responder(client, staff, candidates, tokens, seed=args.seed).run(stop_on_signals())


def _warmup(args: argparse.Namespace, settings: Settings) -> None:
    from core.keys import Keys
    from ingest.sim.fleet import Options
    from towncc.warmup import is_empty, warm_up

    r, keys, town = redis_client(settings), Keys(settings.key_prefix), _town(settings)
    if not is_empty(r, keys):
        print("towncc warmup: the store has a history already; nothing done", flush=True)
        return
    staff, candidates = _staff(settings, town)
    summary = warm_up(
        r, keys, town,
        lambda clock: _make_engine(settings, town, clock=clock),
        staff, candidates,
        hours=args.hours if args.hours is not None else settings.demo_history_hours,
        # Other draws than the live simulator's; the live staff's own (`towncc respond`).
        options=Options(seed=args.seed + 1, first_number=args.first),
        staff_seed=args.seed,
        maxlen=settings.stream_maxlen,
    )  # fmt: skip
    print(summary.line(), flush=True)


def _demo(args: argparse.Namespace, settings: Settings) -> None:
    from towncc.supervisor import run_demo

    run_demo(settings, simulate=not args.no_simulator, respond=not args.no_responders)


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
    demo.add_argument(
        "--no-responders",
        action="store_true",
        help="start no simulated staff: a person plays the duty officer",
    )
    sub.add_parser("serve", help="serve the wall, the JSON API and the intake endpoints")
    engine = sub.add_parser("engine", help="run the case engine (a consumer on `events`)")
    engine.add_argument("--consumer", help="consumer name in the group (default: settings)")
    engine.add_argument(
        "--rebuild",
        action="store_true",
        help="recompute every projection from the streams, as the engine's journal applied "
        "them, then exit; every engine must be stopped first (docs/operations.md)",
    )
    emergency = sub.add_parser(
        "emergency",
        help="declare incidents by rule, keep their timelines, send their notices to phones",
    )
    emergency.add_argument(
        "--gateway", choices=("off", "simulated", "http"), help="the phone gateway (settings)"
    )
    emergency.add_argument("--seed", type=int, default=0, help="the simulated gateway's seed")
    warmup = sub.add_parser(
        "warmup",
        help="run the hours before now through the pipeline on a fast clock (an empty store)",
        description="The demo's history: the case feeds' simulators, the engine and the "
        "simulated staff run through the last HOURS on a clock that runs fast; nothing is "
        "done when the store already has a history.",
    )
    warmup.add_argument(
        "--hours", type=float, help="how many hours (default: settings' demo_history_hours)"
    )
    warmup.add_argument("--seed", type=int, default=0, help="random seed")
    warmup.add_argument("--first", type=int, default=1, help="first case number")

    respond = sub.add_parser(
        "respond",
        help="simulated staff: act on the cases through the actions API, as people do",
    )
    respond.add_argument("--url", help="base URL of the API (default: this machine's serve)")
    respond.add_argument("--seed", type=int, default=0, help="random seed")
    sim = sub.add_parser("simulate", help="send plausible records of every feed over HTTP")
    sim.add_argument("--url", help="base URL of the intake (default: this machine's serve)")
    sim.add_argument("--feeds", help="comma-separated feeds to simulate (default: all)")
    sim.add_argument(
        "--rate",
        type=float,
        help="a flat rate of new urban records per second, to stress (default: the town's own)",
    )
    sim.add_argument(
        "--speed", type=float, help="every report feed's daily rate, times this (default 1)"
    )
    sim.add_argument(
        "--interval",
        type=float,
        help="seconds between every telemetry feed's readings (default: each source's own)",
    )
    sim.add_argument("--seed", type=int, default=0, help="random seed")
    sim.add_argument("--first", type=int, default=1, help="first case number of this run")
    sim.add_argument(
        "--backfill", type=float, default=0, help="first send each source's last N minutes"
    )
    sim.add_argument(
        "--after-history",
        action="store_true",
        help="the store holds the demo's history (towncc warmup): no backfill of its feeds",
    )
    sim.add_argument(
        "--rain-at", type=float, default=5, help="minutes from start to the rain episode"
    )
    sim.add_argument("--rain-for", type=float, default=30, help="minutes the rain episode lasts")
    quarantined = sub.add_parser(
        "quarantine", help="list and replay what the engine could not apply"
    )
    qsub = quarantined.add_subparsers(dest="action", required=True)
    qlist = qsub.add_parser("list", help="the newest quarantine records, with their errors")
    qlist.add_argument("--limit", type=int, default=20)
    qlist.set_defaults(handler=_quarantine_list)
    qreplay = qsub.add_parser(
        "replay", help="put quarantined entries back into their streams after a fix"
    )
    qreplay.add_argument("--entry", help="one quarantine record's id (default: every record)")
    qreplay.set_defaults(handler=_quarantine_replay)
    add_commands(sub)
    cli_access.add_commands(sub)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], None]] = {
    "demo": _demo,
    "serve": _serve,
    "engine": _engine,
    "emergency": _emergency,
    "simulate": _simulate,
    "respond": _respond,
    "warmup": _warmup,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    # Every file a towncc process (and a child it starts) writes is its owner's only: the
    # data folder holds passwords, raw records and reporters' contacts.
    os.umask(PRIVATE_UMASK)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    handler = getattr(args, "handler", None) or COMMANDS[args.command]
    handler(args, Settings())
