"""`towncc user …` and `towncc token …`: the centre's accounts and machine tokens.

Passwords come from a prompt (asked twice) or, when stdin is not a terminal, from its first
line: never from a flag, which the shell's history and `ps` would keep.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from datetime import UTC, datetime

import redis

from access.roles import ROLES, USER_ROLES, AccessError
from access.tokens import create_token, list_tokens, revoke_token
from access.users import add_user, list_users, set_disabled, set_password
from core.keys import Keys
from core.settings import Settings
from core.times import beijing
from towncc.connect import redis_client


def _client(settings: Settings) -> tuple[redis.Redis, Keys]:
    return redis_client(settings), Keys(settings.key_prefix)


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the two passwords differ")
    return first


def _when(epoch: float) -> str:
    return f"{beijing(datetime.fromtimestamp(epoch, UTC)):%Y-%m-%d %H:%M}"


def _known_team(team: str | None) -> None:
    """A handler's team must be one of the routing table's."""
    if team:
        from cases.routing import table

        if team not in table().teams:
            raise SystemExit(f"unknown team {team!r}; one of {', '.join(table().teams)}")


def _user_add(args: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    if args.role == "handler":
        _known_team(args.team)
    try:
        user = add_user(r, keys, args.username, read_password(), role=args.role,
                        display_name=args.name or "", team=args.team, now=time.time())  # fmt: skip
    except AccessError as exc:
        raise SystemExit(str(exc)) from None
    print(f"added {user.username} ({user.display_name}), {ROLES[user.role]} {user.role}")


def _user_list(_: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    for u in list_users(r, keys):
        team = f" team {u.team}" if u.team else ""
        state = "DISABLED" if u.disabled else "active"
        print(f"{u.username:<20} {u.display_name:<12} {u.role:<10}{team} {state} "
              f"since {_when(u.created_at)}")  # fmt: skip


def _user_disable(args: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    try:
        set_disabled(r, keys, args.username, not args.enable)
    except AccessError as exc:
        raise SystemExit(str(exc)) from None
    print(f"{args.username} {'enabled' if args.enable else 'disabled'}")


def _user_passwd(args: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    try:
        set_password(r, keys, args.username, read_password())
    except AccessError as exc:
        raise SystemExit(str(exc)) from None
    print(f"password of {args.username} changed")


def _token_create(args: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    if args.feed:
        from ingest.feeds import FEEDS

        if args.feed not in FEEDS:
            raise SystemExit(f"unknown feed {args.feed!r}; one of {', '.join(sorted(FEEDS))}")
    _known_team(args.team)
    try:
        token = create_token(r, keys, role=args.role, name=args.name, feed=args.feed,
                             team=args.team, now=time.time())  # fmt: skip
    except AccessError as exc:
        raise SystemExit(str(exc)) from None
    print(token)
    print(f"token {args.name!r} ({args.role}): shown once, stored only as its digest",
          file=sys.stderr)  # fmt: skip


def _token_list(_: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    for t in list_tokens(r, keys):
        feed = f" feed {t.feed}" if t.feed else ""
        print(f"{t.name:<24} {t.role:<10}{feed} since {_when(t.created_at)}")


def _token_revoke(args: argparse.Namespace, settings: Settings) -> None:
    r, keys = _client(settings)
    if not (gone := revoke_token(r, keys, args.name)):
        raise SystemExit(f"no token named {args.name!r}")
    print(f"revoked {gone} token{'s' if gone > 1 else ''} named {args.name!r}")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("user", help="the centre's accounts")
    usub = users.add_subparsers(dest="action", required=True)
    add = usub.add_parser("add", help="a new account (password from a prompt or stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=USER_ROLES)
    add.add_argument("--name", help="the display name a case's history shows")
    add.add_argument("--team", help="a handler's team (a code of the routing table)")
    add.set_defaults(handler=_user_add)
    usub.add_parser("list", help="every account, without secrets").set_defaults(handler=_user_list)
    disable = usub.add_parser("disable", help="an account that may no longer log in")
    disable.add_argument("username")
    disable.set_defaults(handler=_user_disable, enable=False)
    enable = usub.add_parser("enable", help="an account that may log in again")
    enable.add_argument("username")
    enable.set_defaults(handler=_user_disable, enable=True)
    passwd = usub.add_parser("passwd", help="a new password (from a prompt or stdin)")
    passwd.add_argument("username")
    passwd.set_defaults(handler=_user_passwd)

    tokens = sub.add_parser("token", help="tokens for machines: API clients, screens, feeds")
    tsub = tokens.add_subparsers(dest="action", required=True)
    create = tsub.add_parser("create", help="a new token, printed once")
    create.add_argument("--role", required=True, choices=tuple(ROLES))
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument("--feed", help="the feed a feed token may send")
    create.add_argument("--team", help="a handler token's team (a code of the routing table)")
    create.set_defaults(handler=_token_create)
    tsub.add_parser("list", help="every token, without secrets").set_defaults(handler=_token_list)
    revoke = tsub.add_parser("revoke", help="stop every token of that name at once")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_token_revoke)
