"""Browser sessions: an opaque id in an HttpOnly cookie, its row in Redis under its digest.

A session is made by a login (a user's, with a CSRF token every write must echo) or by a wall
token opened once on a screen (read-only, long-lived). Redis keeps only the SHA-256 digest of
the id, with an expiry: a copy of the keys gives no one a cookie, and logout or expiry ends it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

import redis

from access.roles import Principal
from access.rows import read_row, write_row
from access.tokens import digest_of
from core.keys import Keys

USER_SECONDS = 12 * 3600  # one duty shift and its handover
SCREEN_SECONDS = 30 * 24 * 3600  # a wall screen's cookie, renewed each time it is opened


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str  # empty for a screen's session: it never writes


def _key(keys: Keys, session_id: str) -> str:
    return keys.access("session", digest_of(session_id))


def open_session(
    r: redis.Redis, keys: Keys, principal: Principal, *, screen: bool = False, token: str = ""
) -> tuple[str, Session]:
    """A new session for ``principal``; its id (for the cookie only) and the session. A
    screen's session names the ``token`` it was opened with (by its digest): it ends when
    that token is revoked."""
    session_id = secrets.token_urlsafe(32)
    csrf = "" if screen else secrets.token_urlsafe(32)
    row = {
        "kind": principal.kind, "name": principal.name, "display": principal.display,
        "role": principal.role, "team": principal.team or "", "csrf": csrf,
        "token": digest_of(token) if token else "",
    }  # fmt: skip
    key = _key(keys, session_id)
    write_row(r, key, row)
    r.expire(key, SCREEN_SECONDS if screen else USER_SECONDS)
    return session_id, Session(principal, csrf)


def find_session(r: redis.Redis, keys: Keys, session_id: str) -> Session | None:
    """The live session of that id; None once it expired, ended, or never was."""
    if not session_id:
        return None
    key = _key(keys, session_id)
    row = read_row(r, key)
    if not row.get("role"):
        return None
    if row.get("token") and not r.exists(keys.access("token", row["token"])):
        r.delete(key)  # its token was revoked: so is the screen it opened
        return None
    kind: Literal["user", "token"] = "user" if row.get("kind") == "user" else "token"
    principal = Principal(
        kind, row["name"], row.get("display", ""), row["role"], row.get("team") or None
    )
    return Session(principal, row.get("csrf", ""))


def csrf_matches(session: Session, given: str | None) -> bool:
    return bool(session.csrf) and given is not None and hmac.compare_digest(session.csrf, given)


def end_session(r: redis.Redis, keys: Keys, session_id: str) -> None:
    r.delete(_key(keys, session_id))


def end_sessions_of(r: redis.Redis, keys: Keys, username: str) -> int:
    """Every session of a user (disabled, or a new password): how many ended."""
    ended = 0
    for key in r.scan_iter(match=keys.access("session", "*"), count=500):
        row = read_row(r, key)
        if row.get("kind") == "user" and row.get("name") == username:
            ended += int(r.delete(key))
    return ended
