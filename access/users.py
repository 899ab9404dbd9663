"""Users in Redis: argon2id password hashes, disabled flags, and a lockout after repeated
wrong passwords.

`access:user:<name>` is a hash (display name, role, team, hash, disabled, failures,
locked_until, created_at); `access:users` the set of names. A password is never stored,
logged or returned; a wrong password and an unknown or disabled user answer alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from access.roles import AccessError, Principal, check_role
from access.rows import read_row, write_row
from access.sessions import end_sessions_of
from core.keys import Keys
from core.replies import text

LOCK_AFTER = 10  # wrong passwords in a row before the account is locked
LOCK_SECONDS = 15 * 60
MIN_PASSWORD = 12
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
# argon2-cffi's defaults: argon2id with RFC 9106's low-memory profile (64 MiB, t=3, p=4).
HASHER = PasswordHasher()
# Verified against when the user is unknown: an unknown name takes as long as a known one.
_DUMMY = HASHER.hash("no such user: this hash only spends the time a real check would")


@dataclass(frozen=True, slots=True)
class User:
    username: str
    display_name: str
    role: str
    team: str | None
    disabled: bool
    created_at: float

    def principal(self) -> Principal:
        return Principal("user", self.username, self.display_name, self.role, self.team)


@dataclass(frozen=True, slots=True)
class Login:
    """The outcome of a login: the user, or why not (``locked_until``: epoch seconds)."""

    user: User | None = None
    locked_until: float | None = None


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"a password needs at least {MIN_PASSWORD} characters")
    if password.strip() != password or "\n" in password:
        raise AccessError("a password neither starts nor ends with a space or holds a new line")
    return password


def _user(username: str, row: dict[str, str]) -> User:
    return User(
        username=username,
        display_name=row.get("display_name") or username,
        role=row["role"],
        team=row.get("team") or None,
        disabled=row.get("disabled") == "1",
        created_at=float(row.get("created_at") or 0),
    )


def _row(r: redis.Redis, keys: Keys, username: str) -> dict[str, str]:
    return read_row(r, keys.access("user", username))


def add_user(
    r: redis.Redis, keys: Keys, username: str, password: str, *, role: str,
    display_name: str = "", team: str | None = None, now: float,
) -> User:  # fmt: skip
    """A new user; AccessError if the name is taken or anything is not acceptable."""
    if not NAME.fullmatch(username):
        raise AccessError("a user name is 2–63 of a-z, 0-9, '.', '_', '-', starting with a-z/0-9")
    check_role(role)
    if role == "handler" and not team:
        raise AccessError("a handler belongs to a team: give --team")
    row = {
        "display_name": display_name.strip() or username,
        "role": role,
        "team": team or "",
        "hash": HASHER.hash(check_password(password)),
        "disabled": "0",
        "failures": "0",
        "locked_until": "0",
        "created_at": repr(now),
    }
    if not r.sadd(keys.access("users"), username):
        raise AccessError(f"user {username!r} exists")
    write_row(r, keys.access("user", username), row)
    return _user(username, row)


def get_user(r: redis.Redis, keys: Keys, username: str) -> User | None:
    row = _row(r, keys, username)
    return _user(username, row) if row.get("role") else None


def list_users(r: redis.Redis, keys: Keys) -> list[User]:
    names = sorted(text(n) for n in r.smembers(keys.access("users")))
    return [u for n in names if (u := get_user(r, keys, n)) is not None]


def _existing(r: redis.Redis, keys: Keys, username: str) -> str:
    key = keys.access("user", username)
    if not r.hexists(key, "role"):
        raise AccessError(f"no user {username!r}")
    return key


def set_disabled(r: redis.Redis, keys: Keys, username: str, disabled: bool) -> None:
    """A disabled user cannot log in, and their open sessions end at once."""
    r.hset(_existing(r, keys, username), "disabled", "1" if disabled else "0")
    if disabled:
        end_sessions_of(r, keys, username)


def set_password(r: redis.Redis, keys: Keys, username: str, password: str) -> None:
    """A new password; lifts a lockout and ends the user's open sessions."""
    key = _existing(r, keys, username)
    mapping = {"hash": HASHER.hash(check_password(password)), "failures": "0", "locked_until": "0"}
    write_row(r, key, mapping)
    end_sessions_of(r, keys, username)


def authenticate(r: redis.Redis, keys: Keys, username: str, password: str, now: float) -> Login:
    """The user if the password is theirs and they may log in. After LOCK_AFTER wrong passwords
    in a row the account is locked for LOCK_SECONDS: every try meanwhile is refused unchecked."""
    row = _row(r, keys, username) if NAME.fullmatch(username) else {}
    locked_until = float(row.get("locked_until") or 0)
    if locked_until > now:
        return Login(locked_until=locked_until)
    try:
        HASHER.verify(row.get("hash") or _DUMMY, password)
        ok = bool(row) and row.get("disabled") != "1"
    except (VerificationError, InvalidHashError):
        ok = False
    if not row:
        return Login()
    key = keys.access("user", username)
    if not ok:
        if int(r.hincrby(key, "failures", 1)) >= LOCK_AFTER:
            until = now + LOCK_SECONDS
            write_row(r, key, {"failures": "0", "locked_until": repr(until)})
            return Login(locked_until=until)
        return Login()
    updates = {"failures": "0", "locked_until": "0"}
    if HASHER.check_needs_rehash(row["hash"]):
        updates["hash"] = HASHER.hash(password)
    write_row(r, key, updates)
    return Login(user=_user(username, row))
