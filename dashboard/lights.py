"""The per-feed link lights, pure: which feeds, in which order, named how, and in what state.

A light is `{"feed", "status", "last_at"}`: status live, silent or never (as
`ingest.freshness` decides it), last_at the ISO time data last arrived. The push sends the
lights only when one of them changed; the browser derives the age (and turns a light amber
once its feed has been quiet past its window) every second, so a light never shows a
stale age and a dead feed never looks like a calm one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from dashboard.i18n import TEXTS, Lang, t
from ingest.freshness import DEFAULT_SILENCE_S, SILENCE_S

# The order of the wall's lights: case feeds first, then alerts, requests, the modules.
FEED_ORDER: Final = (
    "urban", "governance", "environment", "water", "safety", "cap", "open311",
    "service_hall", "economy", "enterprise", "labour", "tourism", "party", "inspection",
)  # fmt: skip
STATUSES: Final = ("live", "silent", "never")
UNKNOWN: Final = "unknown"  # Redis did not answer at page load: say nothing rather than lie

Light = dict[str, Any]


def ordered_feeds(feeds: Iterable[str]) -> tuple[str, ...]:
    """Feeds in wall order; feeds added later (not in FEED_ORDER) follow, by name."""
    names = set(feeds)
    known = [f for f in FEED_ORDER if f in names]
    return (*known, *sorted(names - set(FEED_ORDER)))


def feed_label(feed: str, lang: Lang) -> str:
    """The feed's short name; a feed without one yet shows its id rather than break the wall."""
    key = f"feed.{feed}"
    return t(key, lang) if key in TEXTS[lang] else feed


def silence_s(feed: str) -> int:
    """How long the feed may stay quiet before its light turns amber."""
    return SILENCE_S.get(feed, DEFAULT_SILENCE_S)


def light(feed: str, row: Mapping[str, Any] | None) -> Light:
    """One feed's light from its `feeds_status` row (no row: the feed never sent anything)."""
    if row is None:
        return {"feed": feed, "status": "never", "last_at": None}
    status = str(row.get("status"))
    last_at = row.get("last_at")
    return {"feed": feed, "status": status if status in STATUSES else UNKNOWN, "last_at": last_at}


def lights(rows: Iterable[Mapping[str, Any]], feeds: Sequence[str]) -> list[Light]:
    """One light per feed of `feeds`, in that order, from `feeds_status` rows."""
    found = {str(row["feed"]): row for row in rows}
    return [light(feed, found.get(feed)) for feed in feeds]


def unknown_lights(feeds: Sequence[str]) -> list[Light]:
    """What the page shows when Redis did not answer at load: no claim either way."""
    return [{"feed": feed, "status": UNKNOWN, "last_at": None} for feed in feeds]


def age_s(value: Light, now: datetime) -> float | None:
    """Seconds since the light's feed last sent data, or None if it never did."""
    last_at = value.get("last_at")
    return (now - datetime.fromisoformat(last_at)).total_seconds() if last_at else None


def changed(sent: Sequence[Light] | None, now: Sequence[Light]) -> bool:
    """True when the browser must be told: first time, or any status or last_at moved."""
    return sent is None or list(sent) != list(now)


def age_text(age: float | None, lang: Lang, *, known: bool = True) -> str:
    """ "3分钟前" / "3 min ago"; "从未" / "never" without data (assets/wall.js has the twin)."""
    if not known:
        return t("age.unknown", lang)
    if age is None:
        return t("age.never", lang)
    seconds = max(0, int(age))
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= size:
            return t(f"age.{unit}", lang, n=str(seconds // size))
    return t("age.seconds", lang, n=str(seconds))
