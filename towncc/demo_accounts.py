"""The demo's credentials: one account per role with a fresh random password, an API token per
role, a wall token for screens and a token per feed for the simulator, made at every start of
`towncc demo` and written to `<data folder>/demo-accounts.json` (0600).

The file's shape is an interface other tools read; keep it exactly:
``{"users": {"<role>": {"username": "...", "password": "..."}}, "tokens": {"<role>": "..."},
"wall_token": "...", "feed_tokens": {"<feed>": "..."}}``. A real deployment makes its own
accounts (`towncc user add`, `towncc token create`) and runs without this file.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

import orjson
import redis

from access.roles import USER_ROLES
from access.tokens import create_token, revoke_token
from access.users import add_user, get_user, set_disabled, set_password
from core.keys import Keys
from core.private import open_private, private_folder
from ingest.feeds import FEEDS

FILE_NAME = "demo-accounts.json"
OPEN311 = "open311"  # Open311's door takes a token of its own
# Who the demo's people are: user name, display name, team (handlers only).
PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "duty": ("demo.duty", "值班员 李娜", None),
    "handler": ("demo.handler", "执法队员 张伟", "enforce-central"),
    "inspector": ("demo.inspector", "督查员 王强", None),
    "leader": ("demo.leader", "分管领导 陈静", None),
    "admin": ("demo.admin", "管理员 刘洋", None),
    "wall": ("demo.wall", "大屏 指挥中心", None),
}


def _password() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


def _account(r: redis.Redis, keys: Keys, role: str, now: float) -> dict[str, str]:
    username, display, team = PEOPLE[role]
    password = _password()
    if get_user(r, keys, username) is None:
        add_user(r, keys, username, password, role=role, display_name=display, team=team, now=now)
    else:  # an earlier demo's: a new password (ending its sessions), enabled again
        set_password(r, keys, username, password)
        set_disabled(r, keys, username, False)
    return {"username": username, "password": password}


def _token(
    r: redis.Redis, keys: Keys, role: str, name: str, now: float, feed: str | None = None
) -> str:
    revoke_token(r, keys, name)  # an earlier demo's stops working
    team = PEOPLE[role][2] if role in PEOPLE else None  # the handler's: its team's cases
    return create_token(r, keys, role=role, name=name, feed=feed, team=team, now=now)


def make_demo_accounts(r: redis.Redis, keys: Keys) -> dict[str, Any]:
    """Every credential of the demo, new; the earlier demo's stop working."""
    now = time.time()
    feeds = sorted({*FEEDS, OPEN311})
    return {
        "users": {role: _account(r, keys, role, now) for role in USER_ROLES},
        "tokens": {role: _token(r, keys, role, f"demo-{role}", now) for role in USER_ROLES},
        "wall_token": _token(r, keys, "wall", "demo-wall-screen", now),
        "feed_tokens": {f: _token(r, keys, "feed", f"demo-feed-{f}", now, feed=f) for f in feeds},
    }


def write_demo_accounts(folder: Path, accounts: dict[str, Any]) -> Path:
    """The file, replaced whole (never half-written), readable by its owner only."""
    path = private_folder(folder) / FILE_NAME
    partial = path.with_suffix(".json.partial")
    fd = open_private(partial, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "wb") as out:
        out.write(orjson.dumps(accounts, option=orjson.OPT_INDENT_2))
    os.replace(partial, path)
    return path


def describe(accounts: dict[str, Any], base: str, path: Path) -> str:
    """What the demo prints on its console: whom to sign in as."""
    lines = [f"demo accounts (all of it in {path}):"]
    for role, account in accounts["users"].items():
        lines.append(f"  {role:<10} {account['username']:<16} {account['password']}")
    lines.append(f"  the wall: {base}/wall?token={accounts['wall_token']}")
    return "\n".join(lines)
