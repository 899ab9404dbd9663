"""The engine's counters and the readers name a count the same way (cases/tally.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cases.model import Case
from cases.tally import DIMENSIONS, late_score, tally_field, tally_fields

NOW = datetime(2026, 12, 9, 3, 30, tzinfo=UTC)


def case(**fields: Any) -> Case:
    base: dict[str, Any] = dict(
        id="urban:1", feed="urban", source_id="1", category="parking", group="order", title="t",
        description="", address="", status="open", stage="reported", source_status="",
        grid=None, grid_name=None, village=None, village_name=None, lon=None, lat=None,
        outside_town=False, reported_at=NOW, received_at=NOW, response_due=None,
        responded_at=None, severity=1, level="village", updated_at=NOW, version=1, flags=(),
        event_ids=(), last_entry="0-0",
    )  # fmt: skip
    return Case(**{**base, **fields})


def test_a_case_counts_in_the_field_a_reader_asks_for_by_each_kept_combination() -> None:
    values = {"feed": "urban", "category": "parking", "level": "village", "department": "chengguan"}
    asked = {tally_field(**{d: values[d] for d in dims}) for dims in DIMENSIONS}
    assert set(tally_fields(case(department="chengguan"))) == asked
    assert len(asked) == len(DIMENSIONS)


def test_a_case_no_team_holds_is_not_counted_by_team() -> None:
    fields = tally_fields(case())
    assert not any(f.startswith("department=") for f in fields)
    assert len(fields) == len(DIMENSIONS) - 1


def test_a_combination_not_kept_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no open count is kept by category and level"):
        tally_field(category="parking", level="town")


def test_late_scores_keep_the_order_of_moments_a_microsecond_apart() -> None:
    moments = [NOW + timedelta(microseconds=n) for n in (-1, 0, 1)]
    scores = [late_score(m) for m in moments]
    assert scores == sorted(scores) and len(set(scores)) == 3
    assert late_score(NOW) == int(NOW.timestamp()) * 1_000_000
    far = late_score(datetime(2200, 1, 1, tzinfo=UTC) + timedelta(microseconds=1))
    assert far is not None and int(float(far)) == far  # a Redis score (a double) holds it exactly
