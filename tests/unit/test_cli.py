from __future__ import annotations

import pytest

from towncc.cli import main


@pytest.mark.parametrize("command", ["demo", "serve", "engine", "simulate"])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: towncc {command}" in capsys.readouterr().out


def test_serve_without_redis_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(SystemExit, match="REDIS_URL is not set"):
        main(["engine"])
