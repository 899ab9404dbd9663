"""The pieces the simulators share: slots, arrivals, day curves, episodes, scheduled updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.times import beijing
from ingest.sim.common import (
    OFFICE_WEEK,
    Arrivals,
    Cadence,
    DayCurve,
    Episode,
    Pending,
    beijing_hour,
    bell,
    office_time,
    open_between,
)

MIDNIGHT = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 00:00 in Beijing
MINUTE = timedelta(minutes=1)


def test_a_cadence_gives_each_aligned_slot_once() -> None:
    cadence = Cadence(MINUTE)
    now = MIDNIGHT + timedelta(seconds=90)
    assert cadence.due(now) == [MIDNIGHT + MINUTE], "first call: the latest slot only"
    assert cadence.due(now + timedelta(seconds=20)) == []
    later = now + timedelta(minutes=3)
    assert cadence.due(later) == [MIDNIGHT + k * MINUTE for k in (2, 3, 4)]


def test_a_cadence_backfills_from_a_given_time() -> None:
    cadence = Cadence(timedelta(minutes=5))
    slots = cadence.due(MIDNIGHT + timedelta(minutes=30), since=MIDNIGHT)
    assert slots == [MIDNIGHT + timedelta(minutes=5 * k) for k in range(1, 7)]
    assert cadence.due(MIDNIGHT + timedelta(minutes=34)) == []


def test_arrivals_follow_the_day_curve_and_add_up_to_the_daily_total() -> None:
    curve = DayCurve(lambda h: 1.0 if open_between(h, (9, 12)) else 0.0)
    source = Arrivals(np.random.default_rng(0), 3000, curve)
    times = source.between(MIDNIGHT + timedelta(days=1), 86400)
    assert 2800 < len(times) < 3200
    assert times == sorted(times)
    assert {beijing(t).hour for t in times} == {9, 10, 11}
    assert source.between(MIDNIGHT + timedelta(hours=3), 3600) == []


def test_a_week_curve_shapes_the_days_and_keeps_the_average_day() -> None:
    office = DayCurve(lambda h: 1.0, OFFICE_WEEK)
    source = Arrivals(np.random.default_rng(2), 1000, office)
    monday = MIDNIGHT + timedelta(days=(7 - beijing(MIDNIGHT).weekday()) % 7)
    week = source.between(monday + timedelta(days=7), 7 * 86400)
    days = {d: sum(beijing(t).weekday() == d for t in week) for d in range(7)}
    assert days[5] == days[6] == 0  # no inspections at the weekend
    assert 6500 < sum(days.values()) < 7500  # 1,000 an average day, 1,400 a working day
    assert all(1250 < days[d] < 1550 for d in range(5))
    with pytest.raises(ValueError, match="7 non-negative"):
        DayCurve(lambda h: 1.0, (1.0, 1.0))


def test_short_ticks_add_up_like_one_long_window() -> None:
    curve = DayCurve(lambda h: 1.0)
    ticks = Arrivals(np.random.default_rng(1), 86400 / 10, curve)  # one every 10 s
    count = sum(len(ticks.between(MIDNIGHT + k * timedelta(seconds=0.2), 0.2)) for k in range(5000))
    assert 80 < count < 120


def test_day_helpers_read_beijing_time() -> None:
    assert beijing_hour(MIDNIGHT + timedelta(hours=9, minutes=30)) == pytest.approx(9.5)
    assert bell(10, 10, 1) == 1.0
    assert bell(12, 10, 1) < 0.2


def test_an_episode_runs_relative_to_the_start() -> None:
    episode = Episode(timedelta(minutes=5), timedelta(minutes=30))
    assert episode.progress(MIDNIGHT, MIDNIGHT + timedelta(minutes=4)) is None
    assert episode.progress(MIDNIGHT, MIDNIGHT + timedelta(minutes=20)) == pytest.approx(0.5)
    assert episode.progress(MIDNIGHT, MIDNIGHT + timedelta(minutes=35)) is None
    assert episode.ends(MIDNIGHT) == MIDNIGHT + timedelta(minutes=35)


def test_pending_releases_in_time_order() -> None:
    pending: Pending[str] = Pending()
    pending.push(MIDNIGHT + 2 * MINUTE, "b")
    pending.push(MIDNIGHT + MINUTE, "a")
    pending.push(MIDNIGHT + 2 * MINUTE, "c")
    assert pending.due(MIDNIGHT) == []
    assert pending.due(MIDNIGHT + 3 * MINUTE) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("hour", "expected"),
    [(10.0, "same"), (8.2, "08:30 today"), (20.0, "tomorrow"), (2.0, "08:30 today")],
)
def test_office_time_moves_night_work_to_the_next_morning(hour: float, expected: str) -> None:
    t = MIDNIGHT + timedelta(hours=hour)
    moved = office_time(np.random.default_rng(2), t)
    if expected == "same":
        assert moved == t
        return
    day = beijing(t).date() + timedelta(days=1 if expected == "tomorrow" else 0)
    assert beijing(moved).date() == day
    assert 8.5 <= beijing_hour(moved) <= 11.0
