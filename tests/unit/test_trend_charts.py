"""The trend charts drawn from their numbers (dashboard/components/trends.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from dashboard.components.trends import (
    TOP_FEEDS,
    changed_charts,
    intake_figure,
    reports_figure,
    trend_charts,
)
from dashboard.trends import TrendData

NOW = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
HOURS = tuple([4, 0, 1] + [2] * 8 + [None] * 13)


def data(**feeds: tuple[int, ...]) -> TrendData:
    return TrendData(NOW, HOURS, tuple(range(24)), 29_600_000, dict(feeds))


def test_todays_bars_stop_at_the_current_hour_beside_yesterdays_line() -> None:
    figure = reports_figure(data(), "zh")
    bars, line = figure.data
    assert list(bars.y) == list(HOURS) and bars.name == "今日"
    assert list(line.y) == list(range(24)) and line.name == "昨日"
    assert tuple(bars.x)[:1] == ("00",) and len(bars.x) == 24


def test_the_busiest_feeds_get_a_line_each_and_the_rest_one_summed_line() -> None:
    feeds = {f"f{n}": (n, n) for n in range(TOP_FEEDS + 2)}
    feeds = {"urban": (50, 60), **feeds}
    figure = intake_figure(data(**feeds), "en")
    names = [trace.name for trace in figure.data]
    assert len(names) == TOP_FEEDS + 1 and names[-1] == "Others"
    assert names[0] == "Urban mgmt", "the busiest first"
    assert list(figure.data[-1].y) == [3, 3], "f0, f1 and f2 summed: 0+1+2 each minute"


def test_only_charts_whose_numbers_changed_are_sent_again() -> None:
    before = data(urban=(1, 2))
    assert [name for name, _ in changed_charts(None, before, "zh")] == ["reports", "intake"]
    assert changed_charts(before, data(urban=(1, 2)), "zh") == []
    later = data(urban=(2, 3))
    assert [name for name, _ in changed_charts(before, later, "zh")] == ["intake"]
    assert changed_charts(before, TrendData(NOW), "zh") == [], "unread: keep what is shown"


def test_no_charts_when_redis_did_not_answer() -> None:
    assert trend_charts(TrendData(NOW), "zh") == []
    assert len(trend_charts(data(urban=(1, 2)), "zh")) == 2
