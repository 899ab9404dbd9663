"""The replay's address and its state at a moment (pure: no Redis)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.replay_data import ReplayError, parse_window, row_text, state_at


def test_a_period_is_read_on_beijings_clock_unless_it_says_otherwise() -> None:
    window = parse_window("2026-12-07T10:00/2026-12-07T11:00", "60")
    assert window.start == datetime(2026, 12, 7, 2, tzinfo=UTC)
    assert (window.end - window.start).total_seconds() == 3600 and window.speed == 60
    offset = parse_window("2026-12-07T10:00+00:00/2026-12-07T10:30+00:00", None)
    assert offset.start == datetime(2026, 12, 7, 10, tzinfo=UTC) and offset.speed == 1


@pytest.mark.parametrize(
    ("replay", "speed", "why"),
    [
        ("2026-12-07T10:00", "1", "needs <from>/<to>"),
        ("yesterday/today", "1", "not a time"),
        ("2026-12-07T11:00/2026-12-07T10:00", "1", "ends before it starts"),
        ("2026-12-01T00:00/2026-12-07T00:00", "1", "one day at most"),
        ("2026-12-07T10:00/2026-12-07T11:00", "fast", "not a speed"),
        ("2026-12-07T10:00/2026-12-07T11:00", "0", "between 0 and"),
        ("2026-12-07T10:00/2026-12-07T11:00", "1e9", "between 0 and"),
    ],
)
def test_a_bad_address_says_why(replay: str, speed: str, why: str) -> None:
    with pytest.raises(ReplayError, match=why):
        parse_window(replay, speed)


def data() -> dict[str, object]:
    changes = [
        [1000, "a", "created", "reported", "open", "grid"],
        [2000, "b", "created", "reported", "open", "grid"],
        [3000, "a", "dispatched", "dispatched", "open", "grid"],
        [4000, "c", "created", "reported", "open", "grid"],
        [5000, "b", "closed", "closed", "closed", "grid"],
    ]
    alerts = [[2500, "暴雨红色预警", 4]]
    incidents = [[4500, "INC-1", "declared", "x"]]
    return {"start": 0, "end": 10_000, "changes": changes, "cases": {}, "alerts": alerts,
            "incidents": incidents}  # fmt: skip


def test_the_state_at_a_moment_has_each_case_as_it_stood_then() -> None:
    early = state_at(data(), 2500)
    assert [(r["id"], r["stage"]) for r in early["rows"]] == [("b", "reported"), ("a", "reported")]
    assert len(early["alerts"]) == 1 and early["incidents"] == []
    late = state_at(data(), 6000)
    assert [(r["id"], r["stage"]) for r in late["rows"]] == [
        ("c", "reported"), ("b", "closed"), ("a", "dispatched")
    ]  # fmt: skip
    assert (late["new"], late["open"], late["closed"]) == (3, 2, 1)
    assert len(late["incidents"]) == 1


def test_a_row_without_its_case_still_shows_its_id() -> None:
    row = {"id": "urban:T-1", "first": 0, "stage": "reported"}
    assert row_text(row, None, "zh")[1] == "urban:T-1"
