from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented_with_its_variable() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        variable = field.validation_alias or f"TOWNCC_{name.upper()}"
        assert f"| {name} | `{variable}` |" in text, f"{name} is missing from {DOC.name}"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOWNCC_KEY_PREFIX", "{x}:")
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = Settings()
    assert (settings.key_prefix, settings.port, settings.redis_url) == ("{x}:", 9001, None)


def test_the_walls_quiet_reload_is_off_unless_set_to_a_time_of_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().wall_reload_at is None
    monkeypatch.setenv("TOWNCC_WALL_RELOAD_AT", "04:00")
    assert Settings().wall_reload_at == "04:00"
    for wrong in ("4:00", "24:00", "04:60", "noon"):
        monkeypatch.setenv("TOWNCC_WALL_RELOAD_AT", wrong)
        with pytest.raises(ValidationError):
            Settings()
