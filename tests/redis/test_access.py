"""Users and tokens (access/): argon2id hashes, the lockout, tokens shown once and kept only as
their digest, and the `towncc user` / `towncc token` commands on a real Redis."""

from __future__ import annotations

import io
import time

import pytest
import redis
from argon2 import PasswordHasher, Type, extract_parameters

from access.roles import AccessError
from access.tokens import create_token, digest_of, list_tokens, revoke_token, token_principal
from access.users import (
    LOCK_AFTER,
    LOCK_SECONDS,
    add_user,
    authenticate,
    get_user,
    list_users,
    set_disabled,
    set_password,
)
from core.keys import Keys
from core.settings import Settings
from towncc.cli import main

pytestmark = pytest.mark.redis
PASSWORD = "correct horse battery"  # noqa: S105  # a test account's


def stored(r: redis.Redis, keys: Keys, *parts: str) -> dict[str, str]:
    return dict(r.hgetall(keys.access(*parts)))  # type: ignore[arg-type]


def test_a_password_is_kept_only_as_an_argon2id_hash(r: redis.Redis, keys: Keys) -> None:
    now = time.time()
    user = add_user(r, keys, "wang.fang", PASSWORD, role="duty", display_name="王芳", now=now)
    row = stored(r, keys, "user", "wang.fang")
    assert PASSWORD not in str(r.dump(keys.access("user", "wang.fang")))
    assert row["hash"].startswith("$argon2id$")
    assert extract_parameters(row["hash"]).type is Type.ID
    assert PasswordHasher().verify(row["hash"], PASSWORD)
    assert authenticate(r, keys, "wang.fang", PASSWORD, now).user == user
    assert authenticate(r, keys, "wang.fang", PASSWORD + "!", now).user is None
    with pytest.raises(AccessError, match="exists"):
        add_user(r, keys, "wang.fang", PASSWORD, role="leader", now=now)
    with pytest.raises(AccessError, match="at least 12"):
        add_user(r, keys, "li.ming", "short", role="duty", now=now)
    with pytest.raises(AccessError, match="team"):
        add_user(r, keys, "li.ming", PASSWORD, role="handler", now=now)
    with pytest.raises(AccessError, match="unknown role"):
        add_user(r, keys, "li.ming", PASSWORD, role="mayor", now=now)
    assert [u.username for u in list_users(r, keys)] == ["wang.fang"]


def test_ten_wrong_passwords_lock_the_account_then_even_the_right_one_waits(
    r: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    add_user(r, keys, "duty1", PASSWORD, role="duty", now=now)
    for n in range(LOCK_AFTER - 1):
        login = authenticate(r, keys, "duty1", f"wrong password {n}", now)
        assert login.user is None and login.locked_until is None
    locked = authenticate(r, keys, "duty1", "wrong password again", now)
    assert locked.user is None and locked.locked_until == now + LOCK_SECONDS
    during = authenticate(r, keys, "duty1", PASSWORD, now + LOCK_SECONDS - 1)
    assert during.user is None and during.locked_until == now + LOCK_SECONDS
    after = authenticate(r, keys, "duty1", PASSWORD, now + LOCK_SECONDS + 1)
    assert after.user is not None and after.user.username == "duty1"
    # A success starts the count again: nine more wrong ones do not lock it.
    for n in range(LOCK_AFTER - 1):
        assert (
            authenticate(r, keys, "duty1", f"wrong {n}", now + LOCK_SECONDS + 2).locked_until
            is None
        )


def test_disabled_and_unknown_users_cannot_log_in_and_a_new_password_lifts_a_lock(
    r: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    add_user(r, keys, "leader1", PASSWORD, role="leader", display_name="张镇长", now=now)
    set_disabled(r, keys, "leader1", True)
    assert authenticate(r, keys, "leader1", PASSWORD, now).user is None
    assert get_user(r, keys, "leader1").disabled  # type: ignore[union-attr]
    set_disabled(r, keys, "leader1", False)
    assert authenticate(r, keys, "leader1", PASSWORD, now).user is not None
    assert authenticate(r, keys, "nobody", PASSWORD, now).user is None
    assert r.exists(keys.access("user", "nobody")) == 0  # a wrong name leaves nothing behind
    for n in range(LOCK_AFTER):
        authenticate(r, keys, "leader1", f"wrong {n}", now)
    assert authenticate(r, keys, "leader1", PASSWORD, now).locked_until is not None
    set_password(r, keys, "leader1", "a brand new passphrase")
    assert authenticate(r, keys, "leader1", "a brand new passphrase", now).user is not None
    with pytest.raises(AccessError, match="no user"):
        set_disabled(r, keys, "nobody", True)


def test_a_token_is_shown_once_stored_as_its_digest_and_revoked_at_once(
    r: redis.Redis, keys: Keys
) -> None:
    now = time.time()
    token = create_token(r, keys, role="wall", name="大厅大屏", now=now)
    feed = create_token(r, keys, role="feed", name="urban-system", feed="urban", now=now)
    assert token != feed and len(token) > 40
    dumped = b"".join(r.dump(k) or b"" for k in r.scan_iter(f"{keys.prefix}access:*"))
    assert token.encode() not in dumped and feed.encode() not in dumped
    assert r.exists(keys.access("token", digest_of(token))) == 1
    who = token_principal(r, keys, token)
    assert who is not None and (who.kind, who.name, who.role) == ("token", "大厅大屏", "wall")
    assert token_principal(r, keys, feed).feed == "urban"  # type: ignore[union-attr]
    assert token_principal(r, keys, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert [t.name for t in list_tokens(r, keys)] == ["urban-system", "大厅大屏"]
    with pytest.raises(AccessError, match="exists"):
        create_token(r, keys, role="wall", name="大厅大屏", now=now)
    with pytest.raises(AccessError, match="feed"):
        create_token(r, keys, role="feed", name="no feed named", now=now)
    with pytest.raises(AccessError, match="team"):
        create_token(r, keys, role="handler", name="no team named", now=now)
    with pytest.raises(AccessError, match="team"):
        create_token(r, keys, role="leader", name="a leader", team="enforce-west", now=now)
    phone = create_token(r, keys, role="handler", name="执法终端", team="enforce-west", now=now)
    assert token_principal(r, keys, phone).team == "enforce-west"  # type: ignore[union-attr]
    assert revoke_token(r, keys, "大厅大屏") == 1
    assert token_principal(r, keys, token) is None


def test_the_commands_take_the_password_from_stdin_never_a_flag_and_print_a_token_once(
    settings: Settings, r: redis.Redis, keys: Keys, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("REDIS_URL", settings.redis_url or "")
    monkeypatch.setenv("TOWNCC_KEY_PREFIX", settings.key_prefix)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    main(["user", "add", "chen.jing", "--role", "inspector", "--name", "陈静"])
    assert authenticate(r, keys, "chen.jing", PASSWORD, time.time()).user is not None
    with pytest.raises(SystemExit):
        main(["user", "add", "chen2", "--role", "duty", "--password", PASSWORD])
    with pytest.raises(SystemExit, match="unknown team"):
        main(["user", "add", "h1", "--role", "handler", "--team", "no-such-team"])
    main(["user", "disable", "chen.jing"])
    main(["user", "list"])
    main(["token", "create", "--role", "duty", "--name", "console-bridge"])
    out = capsys.readouterr().out
    assert "chen.jing" in out and "DISABLED" in out and PASSWORD not in out
    token = out.strip().splitlines()[-1]
    assert token_principal(r, keys, token) is not None
    main(["token", "list"])
    listed = capsys.readouterr().out
    assert "console-bridge" in listed and token not in listed
    with pytest.raises(SystemExit, match="unknown feed"):
        main(["token", "create", "--role", "feed", "--name", "x", "--feed", "nope"])
