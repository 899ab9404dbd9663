"""API and feed tokens: random, shown once, stored as their SHA-256 digest.

A token is 32 random bytes (`tcc_` + URL-safe base64): no one guesses or brute-forces one,
so a fast digest is safe to keep and lets each request find its token in one read (a slow
password hash would not). `access:token:<digest>` holds its name, role, feed and creation
time; `access:tokens` the set of digests.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import redis

from access.roles import AccessError, Principal, check_role
from access.rows import read_row, write_row
from core.keys import Keys
from core.replies import text

PREFIX = "tcc_"  # a recognisable prefix: secret scanners and people can tell one in a paste


@dataclass(frozen=True, slots=True)
class Token:
    """What is known of a token (never the token itself)."""

    name: str
    role: str
    feed: str | None
    created_at: float
    digest: str
    team: str | None = None  # a handler's: the team whose cases it accepts and handles

    def principal(self) -> Principal:
        return Principal("token", self.name, self.name, self.role, team=self.team, feed=self.feed)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(digest: str, row: dict[str, str]) -> Token:
    return Token(row["name"], row["role"], row.get("feed") or None,
                 float(row.get("created_at") or 0), digest, row.get("team") or None)  # fmt: skip


def list_tokens(r: redis.Redis, keys: Keys) -> list[Token]:
    found = []
    for digest in sorted(text(d) for d in r.smembers(keys.access("tokens"))):
        row = read_row(r, keys.access("token", digest))
        if row.get("role"):
            found.append(_token(digest, row))
    return sorted(found, key=lambda t: (t.name, t.created_at))


def create_token(
    r: redis.Redis,
    keys: Keys,
    *,
    role: str,
    name: str,
    feed: str | None = None,
    team: str | None = None,
    now: float,
) -> str:
    """A new token for ``role`` under a unique ``name``; the token, to be shown once."""
    check_role(role, for_token=True)
    if not name.strip():
        raise AccessError("a token needs a name: who or what uses it")
    if (role == "feed") != bool(feed):
        raise AccessError("a feed token names its feed (--feed), and only a feed token does")
    if (role == "handler") != bool(team):
        raise AccessError("a handler token names its team (--team), and only a handler token does")
    if any(t.name == name for t in list_tokens(r, keys)):
        raise AccessError(f"a token named {name!r} exists: revoke it first, or pick another name")
    token = PREFIX + secrets.token_urlsafe(32)
    digest = digest_of(token)
    row = {"name": name, "role": role, "feed": feed or "", "team": team or "",
           "created_at": repr(now)}  # fmt: skip
    write_row(r, keys.access("token", digest), row)
    r.sadd(keys.access("tokens"), digest)
    return token


def token_principal(r: redis.Redis, keys: Keys, token: str) -> Principal | None:
    """Who presents ``token``; None for a token unknown or revoked."""
    if not token.startswith(PREFIX):
        return None
    digest = digest_of(token)
    row = read_row(r, keys.access("token", digest))
    return _token(digest, row).principal() if row.get("role") else None


def revoke_token(r: redis.Redis, keys: Keys, name: str) -> int:
    """Every token of that name stops working at once; how many there were."""
    gone = [t.digest for t in list_tokens(r, keys) if t.name == name]
    for digest in gone:
        r.delete(keys.access("token", digest))
        r.srem(keys.access("tokens"), digest)
    return len(gone)
