from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from towncc.cli import main


@pytest.mark.parametrize("command", ["demo", "serve", "engine", "simulate", "respond", "warmup"])
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: towncc {command}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "simulate", "respond"),
    [([], True, True), (["--no-responders"], True, False), (["--no-simulator"], False, True)],
)
def test_the_demo_runs_its_simulated_staff_unless_told_not_to(
    monkeypatch: pytest.MonkeyPatch, flags: list[str], simulate: bool, respond: bool
) -> None:
    import towncc.supervisor

    seen: dict[str, bool] = {}

    def run_demo(settings: object, *, simulate: bool, respond: bool) -> None:
        seen.update(simulate=simulate, respond=respond)

    monkeypatch.setattr(towncc.supervisor, "run_demo", run_demo)
    main(["demo", *flags])
    assert seen == {"simulate": simulate, "respond": respond}


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

    built: list[list[int]] = []
    seen: dict[str, object] = {}

    def build(settings: object) -> object:
        assert gc.get_freeze_count() == 0  # frozen after start-up, not before
        built.extend([n] for n in range(1000))  # start-up's objects (tracked by the collector)
        return types.SimpleNamespace(server="the ASGI app")

    def run(app: object, **_: object) -> None:
        tracked = {id(o) for o in gc.get_objects()}
        seen["walked"] = sum(id(o) in tracked for o in built)
        seen["app"] = app

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(towncc.server, "build", build)
    monkeypatch.setattr(uvicorn, "run", run)
    try:
        main(["serve"])
        assert seen["app"] == "the ASGI app"
        assert seen["walked"] == 0  # none of start-up's objects is walked while it serves
    finally:
        gc.unfreeze()


def test_the_engine_runs_with_its_start_up_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from cases.engine import Engine

    seen: dict[str, int] = {}

    def run(engine: Engine, stop: object) -> None:
        tracked = {id(o) for o in gc.get_objects()}
        seen["walked"] = int(id(engine.geography) in tracked)  # the town, built at start-up
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(Engine, "run", run)
    try:
        main(["engine"])
        assert seen["frozen"] > 0 and seen["walked"] == 0
    finally:
        gc.unfreeze()


def test_what_a_towncc_process_writes_is_its_owners_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The process and every child it starts run with umask 077: a file it makes is 0600."""
    import os

    import uvicorn

    import towncc.server

    def run(_app: object, **_: object) -> None:
        (tmp_path / "made").write_text("records")
        (tmp_path / "folder").mkdir()

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(towncc.server, "build", lambda _settings: SimpleNamespace(server=None))
    monkeypatch.setattr(uvicorn, "run", run)
    was = os.umask(0o022)
    try:
        main(["serve"])
    finally:
        os.umask(was)
        import gc

        gc.unfreeze()
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "folder").stat().st_mode & 0o777 == 0o700
