"""The wall header's strip of per-feed link lights: a dot, the feed's short name, its age.

The server renders the lights as of page load and pushes their data (dashboard.lights) when
it changes; assets/wall.js (`feedTick`) re-derives each light's class and age every second.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dash import html

from dashboard import ids
from dashboard.i18n import Lang
from dashboard.lights import UNKNOWN, Light, age_s, age_text, feed_label


def light_class(status: str) -> str:
    return f"wall-feed is-{status}"


def feed_light(value: Light, lang: Lang, now: datetime) -> html.Div:
    """One feed: green live, amber silent, grey never (or unknown while Redis is away)."""
    feed, status = str(value["feed"]), str(value["status"])
    age = age_text(age_s(value, now), lang, known=status != UNKNOWN)
    return html.Div(
        id=ids.feed_light(feed),
        className=light_class(status),
        children=[
            html.Span(className="wall-feed-dot"),
            html.Span(feed_label(feed, lang), className="wall-feed-name"),
            html.Span(age, id=ids.feed_age(feed), className="wall-feed-age"),
        ],
    )


def feed_strip(values: Sequence[Light], lang: Lang, now: datetime) -> html.Div:
    return html.Div(
        id=ids.WALL_HEADER_FEEDS,
        className="wall-feeds",
        children=[feed_light(value, lang, now) for value in values],
    )
