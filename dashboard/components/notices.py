"""The wall's health strip: what `dashboard.health.notices()` says about the centre itself
(an engine stopped, a process down, the calendar running out…), critical ones first.

Any notice shows, whatever its code: its text is `notice.<code>` of dashboard/i18n.py
formatted with its params (a param value with a text of its own, `<param>.<value>`, is
translated too), or else its English detail. Hidden while there is nothing to say.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from dashboard import ids
from dashboard.health import Notice
from dashboard.i18n import TEXTS, Lang

Item = dict[str, str]
LEVELS = ("critical", "warning")


def _param(name: str, value: Any, table: Mapping[str, str]) -> str:
    return table.get(f"{name}.{value}", "" if value is None else str(value))


def notice_text(notice: Notice, lang: Lang) -> str:
    """The notice in the page's language, or its English detail when it has no text."""
    table = TEXTS[lang]
    template = table.get(f"notice.{notice.code}")
    if template is None:
        return notice.detail
    values = {k: _param(k, v, table) for k, v in notice.params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a text naming a param this notice lacks
        return notice.detail


def notice_items(notices: Sequence[Notice], lang: Lang) -> list[Item]:
    """What the strip shows, critical first (then in the checks' order)."""
    ranked = sorted(notices, key=lambda n: LEVELS.index(n.level) if n.level in LEVELS else 2)
    return [{"code": n.code, "level": n.level, "text": notice_text(n, lang)} for n in ranked]


def notice_class(items: Sequence[Item]) -> str:
    if not items:
        return "wall-notices is-empty"
    critical = any(i["level"] == "critical" for i in items)
    return "wall-notices" + (" is-critical" if critical else " is-warning")


def item_key(item: Item) -> str:
    shown = f"{item['code']}\t{item['level']}\t{item['text']}".encode()
    return hashlib.blake2b(shown, digest_size=8).hexdigest()


def notice_children(items: Sequence[Item]) -> list[html.Span]:
    return [
        html.Span(
            item["text"],
            id=ids.notice_item(item_key(item)),
            className=f"wall-notice is-{item['level']}",
        )
        for item in items
    ]


def notice_strip(items: Sequence[Item]) -> html.Div:
    """The strip as the page loads it; the push replaces its children and class."""
    return html.Div(
        notice_children(items),
        id=ids.WALL_HEADER_NOTICES,
        className=notice_class(items),
        role="status",
    )
