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


def test_the_web_process_serves_with_its_start_up_heap_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What start-up built (the town, the figures, the modules) is out of the collector's
    full walks (towncc/heap.py): one of those stopped the server's loop for 170 ms."""
    import gc
    import types

    import uvicorn

    import towncc.server

    built = [object() for _ in range(1000)]  # start-up's objects, alive while it serves
    seen: dict[str, object] = {}

    def run(app: object, **_: object) -> None:
        seen["frozen"] = gc.get_freeze_count()
        seen["app"] = app

    fake = types.SimpleNamespace(server="the ASGI app", keep=built)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(towncc.server, "build", lambda settings: fake)
    monkeypatch.setattr(uvicorn, "run", run)
    try:
        assert gc.get_freeze_count() == 0
        main(["serve"])
        assert seen["app"] == "the ASGI app"
        assert int(str(seen["frozen"])) >= len(built)
    finally:
        gc.unfreeze()
