"""A case as the wall shows it: the queue row and the map point."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.theme import GROUP_COLOURS
from dashboard.view import SUMMARY_MAX, case_point, case_row, place, summary


def case(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "urban:A1", "category": "road_collapse", "title": "路面塌陷",
        "description": "璜塘路口路面下沉", "status": "open", "grid_name": "璜塘社区第一网格",
        "village_name": "璜塘社区", "outside_town": False, "lon": 120.39, "lat": 31.78,
        "reported_at": "2026-11-28T01:00:00+00:00", "response_due": None,
        "responded_at": None, "severity": 2, "overdue": False,
    }  # fmt: skip
    return base | fields


def test_a_row_carries_labels_in_the_page_language_and_raw_times() -> None:
    row = case_row(case(), "zh")
    assert row["category"] == "路面塌陷" and row["group"] == "emergency"
    assert row["place"] == "璜塘社区 · 第一网格"
    assert row["reported_at"] == "2026-11-28T01:00:00+00:00"
    assert case_row(case(), "en")["category"] == "Road collapse"


def test_markup_stays_plain_text_for_the_grid_to_show_literally() -> None:
    row = case_row(case(description="<script>alert(1)</script>"), "zh")
    assert row["summary"] == "路面塌陷：<script>alert(1)</script>"


def test_a_long_description_is_cut_to_bound_each_row() -> None:
    text = summary(case(description="长" * 500))
    assert len(text) == SUMMARY_MAX and text.endswith("…")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"outside_town": True}, "镇外"),
        ({"village_name": None, "grid_name": None, "address": "璜塘路88号"}, "璜塘路88号"),
        ({"grid_name": "东区"}, "璜塘社区 · 东区"),
    ],
)
def test_place_names_the_village_and_grid_or_says_outside(
    fields: dict[str, Any], expected: str
) -> None:
    assert place(case(**fields), "zh") == expected


def test_points_are_open_cases_with_coordinates_coloured_by_group() -> None:
    point = case_point(case())
    assert point is not None and point.colour == GROUP_COLOURS["emergency"]
    assert case_point(case(status="closed")) is None
    assert case_point(case(lon=None, lat=None)) is None


def test_an_unknown_category_reads_as_other() -> None:
    row = case_row(case(category="no-such-code"), "zh")
    assert (row["category"], row["group"]) == ("其他", "other")


def test_a_row_shows_the_escalation_level_in_the_page_language() -> None:
    assert case_row(case(), "zh")["level_label"] == "网格"
    row = case_row(case(level="town"), "zh")
    assert (row["level"], row["level_label"]) == ("town", "镇级")
    assert case_row(case(level="village"), "en")["level_label"] == "Village"
    assert case_row(case(level="<b>"), "zh")["level"] == "grid"
