"""Every kind of change a case's history records is named in words in both languages (the
console's and the tablet's timeline), so a new kind cannot reach a screen as a code."""

from __future__ import annotations

from typing import get_args

from cases.model import ChangeType
from dashboard.components.case_panel import change_label, history
from dashboard.i18n import EN, ZH


def test_every_change_type_has_its_words_in_both_languages() -> None:
    for change in get_args(ChangeType):
        assert f"change.{change}" in ZH and f"change.{change}" in EN, change
    assert change_label("registered", "zh") == "立案"
    assert change_label("no-such-change", "zh") == "no-such-change"  # a code, never an error


def test_the_timeline_shows_the_words() -> None:
    table = history([{"at": "2026-12-07T01:00:00+00:00", "type": "dispatched",
                      "actor_name": "值班员", "reason": ""}], "zh")  # fmt: skip
    assert "派遣" in str(table.children[1].children[0].children[1].children)
