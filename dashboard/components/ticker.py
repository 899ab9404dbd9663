"""The header's alert ticker: the headlines of the CAP alerts in force, scrolling.

A CAP message may carry one info block per language; the ticker shows one headline per
message, in the page's language when the message has it. The push re-reads the alerts now
and then (an alert also ends by expiring, with no event to say so) and sends the ticker's
children only when they changed; assets/wall.js paces the scroll by the track's width.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from dash import html

from dashboard import ids
from dashboard.i18n import Lang, t

MAX_ALERTS: Final = 12  # headlines kept on the page: the ticker must stay readable (and small)
Item = dict[str, Any]


def _message(alert: Mapping[str, Any]) -> tuple[str, str]:
    attrs = alert.get("attrs") or {}
    return str(attrs.get("sender", "")), str(attrs.get("identifier") or alert.get("id", ""))


def _fits(alert: Mapping[str, Any], lang: Lang) -> bool:
    language = str((alert.get("attrs") or {}).get("language") or "").lower()
    return language.startswith("zh" if lang == "zh" else "en")


def ticker_items(alerts: Iterable[Mapping[str, Any]], lang: Lang) -> list[Item]:
    """One item per CAP message (newest first, as `live_alerts` orders them), capped."""
    chosen: dict[tuple[str, str], Mapping[str, Any]] = {}
    for alert in alerts:
        key = _message(alert)
        if key not in chosen or (_fits(alert, lang) and not _fits(chosen[key], lang)):
            chosen[key] = alert
    items = []
    for alert in list(chosen.values())[:MAX_ALERTS]:
        severity = alert.get("severity")
        level = severity if isinstance(severity, int) and 1 <= severity <= 4 else 1
        text = str(alert.get("title") or "").strip()
        if alert.get("outside"):
            text = t("ticker.outside", lang, text=text)
        items.append({"id": str(alert.get("id", "")), "text": text, "severity": level})
    return items


def item_key(item: Item) -> str:
    """A short digest of what the item shows (see `ids.ticker_item`)."""
    shown = f"{item['id']}\t{item['severity']}\t{item['text']}".encode()
    return hashlib.blake2b(shown, digest_size=8).hexdigest()


def ticker_class(items: Sequence[Item]) -> str:
    return "wall-ticker-track" + ("" if items else " is-empty")


def ticker_children(items: Sequence[Item], lang: Lang) -> list[html.Span]:
    """The track's content: severity and headline per alert, or a calm "none in force"."""
    if not items:
        none = t("ticker.none", lang)
        return [html.Span(none, id=ids.ticker_item(f"none-{lang}"), className="wall-ticker-none")]
    return [
        html.Span(
            id=ids.ticker_item(item_key(item)),
            className=f"wall-ticker-item is-sev-{item['severity']}",
            children=[
                html.Span(t(f"sev.{item['severity']}", lang), className="wall-ticker-sev"),
                html.Span(item["text"]),
            ],
        )
        for item in items
    ]


def ticker(items: Sequence[Item], lang: Lang) -> html.Div:
    return html.Div(
        className="wall-ticker",
        children=[
            html.Span(t("ticker.title", lang), className="wall-ticker-label"),
            html.Div(
                className="wall-ticker-window",
                children=html.Div(
                    ticker_children(items, lang),
                    id=ids.WALL_HEADER_TICKER,
                    className=ticker_class(items),
                ),
            ),
        ],
    )
