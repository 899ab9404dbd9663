"""The embedded server (towncc/embedded.py): a patched release, a password on every command,
loopback only, and files that only their owner can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import redis

from towncc.embedded import EmbeddedRedis

# The first Valkey 8.1 release with the fixes for CVE-2024-46981, CVE-2025-21605 and
# CVE-2025-49844 (the Lua use-after-free), the last of the three.
PATCHED = (8, 1, 4)


def version(info: dict[str, object]) -> tuple[int, ...]:
    return tuple(int(part) for part in str(info["valkey_version"]).split("."))


def test_the_embedded_server_is_patched_refuses_strangers_and_keeps_its_files_private(
    tmp_path: Path,
) -> None:
    data = tmp_path / "redis"
    with EmbeddedRedis(data, appendonly=True) as server:
        r = redis.Redis.from_url(server.url, decode_responses=True)
        assert version(r.info("server")) >= PATCHED
        assert r.config_get("bind") == {"bind": "127.0.0.1"}
        r.xadd("stream", {"f": "v"})
        r.set("k", "v")
        for password in (None, "wrong"):
            stranger = redis.Redis(port=server.port, password=password, socket_timeout=2)
            with pytest.raises(redis.AuthenticationError):
                stranger.get("k")
            stranger.close()
        assert server.process is not None
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        assert server.password.encode() not in cmdline  # ps shows the command line
        assert server.password not in server.address
        r.close()
    files = [p for p in data.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"password", "valkey.conf", "redis.log"}
    assert any("aof" in p.name for p in files)  # the append-only files are there too
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(tmp_path)} is {oct(mode)}"


def test_a_restart_on_the_same_folder_keeps_its_password_and_its_data(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path, appendonly=True) as server:
        redis.Redis.from_url(server.url).set("kept", "1")
        first, port = server.password, server.port
    with EmbeddedRedis(tmp_path, port=port, appendonly=True) as again:
        assert again.password == first
        assert redis.Redis.from_url(again.url).get("kept") == b"1"
