"""The demo's credentials (towncc/demo_accounts.py): the file's exact shape, its mode, and that
every credential in it works — and only until the next demo makes new ones."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import orjson
import pytest
import redis

from access.roles import USER_ROLES
from access.tokens import token_principal
from access.users import authenticate
from core.keys import Keys
from ingest.feeds import FEEDS
from towncc.demo_accounts import FILE_NAME, make_demo_accounts, write_demo_accounts

pytestmark = pytest.mark.redis


def test_the_demo_writes_one_working_credential_per_role_and_feed_in_the_agreed_shape(
    r: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    first = make_demo_accounts(r, keys)
    path = write_demo_accounts(tmp_path / "var", first)
    assert path == tmp_path / "var" / FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # the data folder
    data = orjson.loads(path.read_bytes())
    assert data == first
    assert set(data) == {"users", "tokens", "wall_token", "feed_tokens"}
    assert set(data["users"]) == set(USER_ROLES) == set(data["tokens"])
    assert set(data["feed_tokens"]) == {*FEEDS, "open311"}
    assert all(set(u) == {"username", "password"} for u in data["users"].values())
    now = time.time()
    for role, account in data["users"].items():
        login = authenticate(r, keys, account["username"], account["password"], now)
        assert login.user is not None and login.user.role == role
    for role, token in data["tokens"].items():
        who = token_principal(r, keys, token)
        assert who is not None and who.role == role
    screen = token_principal(r, keys, data["wall_token"])
    assert screen is not None and screen.role == "wall"
    for feed, token in data["feed_tokens"].items():
        who = token_principal(r, keys, token)
        assert who is not None and (who.role, who.feed) == ("feed", feed)

    second = make_demo_accounts(r, keys)  # the next `make demo`: the old ones stop working
    old = first["users"]["duty"]
    assert authenticate(r, keys, old["username"], old["password"], now).user is None
    assert token_principal(r, keys, first["wall_token"]) is None
    assert token_principal(r, keys, second["wall_token"]) is not None
    write_demo_accounts(tmp_path / "var", second)
    assert orjson.loads(path.read_bytes()) == second
    assert not list((tmp_path / "var").glob("*.partial"))
