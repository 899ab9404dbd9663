"""The per-feed link lights: order, names, states, ages, and the strip the header shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dash.development.base_component import Component

from dashboard import ids
from dashboard.components.feed_lights import feed_strip
from dashboard.i18n import EN, ZH
from dashboard.lights import (
    FEED_ORDER,
    age_s,
    age_text,
    changed,
    feed_label,
    lights,
    ordered_feeds,
    silence_s,
    unknown_lights,
)
from ingest.feeds import FEEDS
from ingest.freshness import DEFAULT_SILENCE_S, SILENCE_S

NOW = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
SHORT_NAMES = {
    "urban": "数字城管", "governance": "综治", "environment": "生态环境", "water": "水利",
    "safety": "安监", "cap": "预警", "open311": "市民诉求", "service_hall": "政务服务",
    "economy": "经济运行", "enterprise": "企业", "labour": "用工", "tourism": "文旅",
    "party": "党建", "inspection": "执法检查",
}  # fmt: skip


def row(feed: str, status: str, minutes_ago: float | None) -> dict[str, Any]:
    last = None if minutes_ago is None else (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return {"feed": feed, "status": status, "last_at": last, "age_s": None, "records": 1}


def test_every_feed_has_its_short_name_in_both_languages() -> None:
    assert {k: ZH[f"feed.{k}"] for k in SHORT_NAMES} == SHORT_NAMES
    assert all(f"feed.{feed}" in EN for feed in SHORT_NAMES)
    assert set(FEED_ORDER) == set(SHORT_NAMES)
    assert all(feed_label(feed, "zh") != feed for feed in FEEDS)  # no adapter left unnamed


def test_feeds_come_in_wall_order_and_a_new_one_follows_with_its_id_as_name() -> None:
    assert ordered_feeds(["party", "zoo", "urban", "cap"]) == ("urban", "cap", "party", "zoo")
    assert feed_label("zoo", "zh") == "zoo"
    assert feed_label("open311", "en") == "311 requests"


def test_lights_follow_the_freshness_rows_in_the_given_order() -> None:
    rows = [row("water", "silent", 240), row("urban", "live", 3), row("party", "never", None)]
    assert lights(rows, ("urban", "water", "party", "cap")) == [
        {"feed": "urban", "status": "live", "last_at": rows[1]["last_at"]},
        {"feed": "water", "status": "silent", "last_at": rows[0]["last_at"]},
        {"feed": "party", "status": "never", "last_at": None},
        {"feed": "cap", "status": "never", "last_at": None},  # no row: never heard from
    ]
    assert lights([row("urban", "bogus", 1)], ("urban",))[0]["status"] == "unknown"


def test_lights_are_sent_only_when_a_status_or_a_last_arrival_moved() -> None:
    before = lights([row("urban", "live", 3)], ("urban", "party"))
    assert changed(None, before)
    assert not changed(before, lights([row("urban", "live", 3)], ("urban", "party")))
    assert changed(before, lights([row("urban", "live", 1)], ("urban", "party")))
    assert changed(before, lights([row("urban", "silent", 3)], ("urban", "party")))


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (None, "从未", "never"),
        (0.4, "0秒前", "0 s ago"),
        (59, "59秒前", "59 s ago"),
        (180, "3分钟前", "3 min ago"),
        (3 * 3600 + 5, "3小时前", "3 h ago"),
        (2 * 86400, "2天前", "2 d ago"),
        (-5, "0秒前", "0 s ago"),  # a clock a little ahead of ours
    ],
)
def test_ages_read_like_speech(seconds: float | None, zh: str, en: str) -> None:
    assert (age_text(seconds, "zh"), age_text(seconds, "en")) == (zh, en)


def test_silence_windows_come_from_the_intake() -> None:
    assert silence_s("water") == SILENCE_S["water"]
    assert silence_s("urban") == SILENCE_S["urban"] == 3 * 3600  # night hours without a report
    assert silence_s("some-new-feed") == DEFAULT_SILENCE_S


def walk(node: Any) -> list[Component]:
    if isinstance(node, list | tuple):
        return [c for child in node for c in walk(child)]
    if not isinstance(node, Component):
        return []
    return [node, *walk(getattr(node, "children", None))]


def dict_ids(node: Any, kind: str) -> dict[str, Component]:
    """The components of the tree with a dict id of this type, by feed."""
    found = [c for c in walk(node) if isinstance(getattr(c, "id", None), dict)]
    return {c.id["feed"]: c for c in found if c.id["type"] == kind}


def test_the_strip_has_one_light_per_feed_with_its_class_name_and_age() -> None:
    rows = [row("urban", "live", 3), row("water", "silent", 240)]
    strip = feed_strip(lights(rows, ("urban", "water", "party")), "zh", NOW)
    assert strip.id == ids.WALL_HEADER_FEEDS
    found = dict_ids(strip, ids.FEED_LIGHT_TYPE)
    assert list(found) == ["urban", "water", "party"]
    classes = [light.className for light in found.values()]
    assert classes == ["wall-feed is-live", "wall-feed is-silent", "wall-feed is-never"]
    names = [walk(light)[2].children for light in found.values()]
    assert names == ["数字城管", "水利", "党建"]
    ages = dict_ids(strip, ids.FEED_AGE_TYPE)
    assert [age.id for age in ages.values()] == [ids.feed_age(f) for f in found]
    assert [age.children for age in ages.values()] == ["3分钟前", "4小时前", "从未"]


def test_with_redis_away_at_load_the_lights_claim_nothing() -> None:
    strip = feed_strip(unknown_lights(("urban",)), "en", NOW)
    light = walk(strip)[1]
    assert light.className == "wall-feed is-unknown"
    assert walk(light)[-1].children == "—"
    assert age_s({"last_at": None}, NOW) is None
