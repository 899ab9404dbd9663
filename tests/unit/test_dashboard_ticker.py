"""The header's alert ticker: one headline per CAP message, in the page's language, capped."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard import ids
from dashboard.components.ticker import (
    MAX_ALERTS,
    ticker,
    ticker_children,
    ticker_class,
    ticker_items,
)


def block(identifier: str, language: str, title: str, severity: Any = 3) -> dict[str, Any]:
    attrs = {"identifier": identifier, "sender": "江阴市气象台", "language": language}
    return {
        "id": f"cap:{identifier}#{language}",
        "title": title,
        "severity": severity,
        "attrs": attrs,
    }


def test_one_headline_per_message_in_the_pages_language_newest_first() -> None:
    alerts = [
        block("B", "zh-CN", "暴雨橙色预警"),
        block("B", "en-US", "Orange rainstorm warning"),
        block("A", "en-US", "Heat warning", severity=2),  # no Chinese block: shown as it is
    ]
    zh = ticker_items(alerts, "zh")
    assert [i["text"] for i in zh] == ["暴雨橙色预警", "Heat warning"]
    assert [i["severity"] for i in zh] == [3, 2]
    en = ticker_items(list(reversed(alerts[:2])) + alerts[2:], "en")
    assert [i["text"] for i in en] == ["Orange rainstorm warning", "Heat warning"]


def test_the_ticker_is_capped_and_a_strange_severity_reads_as_minor() -> None:
    alerts = [block(f"M{n}", "zh-CN", f"预警{n}", severity="Extreme") for n in range(40)]
    items = ticker_items(alerts, "zh")
    assert len(items) == MAX_ALERTS and {i["severity"] for i in items} == {1}


def text_of(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list | tuple):
        return "".join(text_of(n) for n in node)
    return text_of(getattr(node, "children", None) or "")


def test_the_track_shows_severity_and_headline_or_says_none_are_in_force() -> None:
    items = ticker_items([block("B", "zh-CN", "暴雨橙色预警", severity=4)], "zh")
    assert text_of(ticker_children(items, "zh")) == "特别重大暴雨橙色预警"
    assert ticker_class(items) == "wall-ticker-track"
    assert text_of(ticker_children([], "en")) == "No alerts in force"
    assert ticker_class([]) == "wall-ticker-track is-empty"
    built = ticker([], "zh")
    track = built.children[1].children
    assert isinstance(track, html.Div) and track.id == ids.WALL_HEADER_TICKER


def test_each_headline_has_an_id_that_changes_with_what_it_shows() -> None:
    """Dash re-renders a pushed child only under a new React key: the id names the content."""
    items = ticker_items([block("A", "zh-CN", "甲"), block("B", "zh-CN", "乙")], "zh")
    first = [span.id for span in ticker_children(items, "zh")]
    assert len(set(map(str, first))) == 2
    assert all(i["type"] == ids.TICKER_ITEM_TYPE for i in first)
    raised = ticker_items([block("A", "zh-CN", "甲", severity=4)], "zh")
    assert ticker_children(raised, "zh")[0].id not in first
    assert ticker_children(items, "zh")[0].id == first[0]
