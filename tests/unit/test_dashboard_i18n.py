"""UI text: both languages complete, Chinese by default."""

from __future__ import annotations

import re

import pytest

from dashboard.i18n import EN, TEXTS, ZH, lang_of, request_lang, t, words


def test_both_languages_have_exactly_the_same_keys_and_no_empty_text() -> None:
    assert ZH.keys() == EN.keys()
    assert all(text.strip() for table in TEXTS.values() for text in table.values())


def test_placeholders_match_between_languages() -> None:
    for key in ZH:
        assert re.findall(r"{\w+}", ZH[key]) == re.findall(r"{\w+}", EN[key]), key


@pytest.mark.parametrize(
    ("value", "lang"), [(None, "zh"), ("", "zh"), ("en", "en"), ("EN-gb", "en"), ("fr", "zh")]
)
def test_lang_of_accepts_english_and_defaults_to_chinese(value: str | None, lang: str) -> None:
    assert lang_of(value) == lang


def test_t_formats_and_names_a_missing_key() -> None:
    assert t("app.title", "zh", town="霞客镇") == "霞客镇综合指挥调度中心"
    assert t("link.down") == "链路中断"
    with pytest.raises(KeyError):
        t("no.such.key", "en")


def test_words_gives_the_browser_one_part_of_the_table() -> None:
    assert words("link", "en")["down"] == "Link down"
    assert set(words("unit", "zh")) == {"day", "hour", "minute"}


def test_outside_a_request_the_language_is_the_default() -> None:
    assert request_lang() == "zh"
