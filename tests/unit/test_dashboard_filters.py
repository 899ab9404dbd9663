"""The wall's queue filter: read from the address, applied to cases, kept by the page's links."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from dashboard.filters import CaseFilter, describe, filter_of, page_query, parse_rule

PARKING = {"id": "urban:1", "feed": "urban", "category": "parking"}
VENDING = {"id": "urban:2", "feed": "urban", "category": "street_vending"}
FLOOD = {"id": "water:3", "feed": "water", "category": "waterlogging"}


def shown(query: str) -> list[str]:
    view = filter_of(parse_qs(query))
    return [c["id"] for c in (PARKING, VENDING, FLOOD) if view.matches(c)]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", ["urban:1", "urban:2", "water:3"]),
        ("feed=urban", ["urban:1", "urban:2"]),
        ("feed=urban,water&category=-parking", ["urban:2", "water:3"]),
        ("feed=urban&feed=water", ["urban:1", "urban:2", "water:3"]),
        ("category=parking,street_vending", ["urban:1", "urban:2"]),
        ("category=parking,-parking", []),  # hiding wins
        ("feed=-urban", ["water:3"]),
        ("feed=URBAN", ["urban:1", "urban:2"]),
        ("feed=<script>,urban", ["urban:1", "urban:2"]),  # junk is ignored
        ("lang=en", ["urban:1", "urban:2", "water:3"]),
    ],
)
def test_the_address_decides_which_cases_the_queue_shows(query: str, ids: list[str]) -> None:
    assert shown(query) == ids


def test_a_case_without_a_feed_field_is_judged_by_its_id() -> None:
    assert not filter_of({"feed": "urban"}).matches({"id": "water:9", "category": "other"})


def test_the_filter_round_trips_through_the_store_and_the_address() -> None:
    view = filter_of(parse_qs("category=-street_vending,-parking&feed=water,urban"))
    assert view.active and not CaseFilter().active
    stored = view.query()
    assert stored == {"feed": "urban,water", "category": "-parking,-street_vending"}
    assert filter_of(stored) == view
    assert page_query("en", view) == "?lang=en&feed=urban,water&category=-parking,-street_vending"
    assert page_query("zh", CaseFilter()) == ""
    assert page_query("zh", CaseFilter(), {"teams", "cases"}) == "?hide=cases,teams"
    assert filter_of(parse_qs(page_query("zh", view)[1:])) == view


def test_a_filtered_queue_says_what_it_leaves_out_in_both_languages() -> None:
    view = filter_of({"feed": "urban", "category": "-parking,-street_vending"})
    assert describe(view, "zh") == "仅显示数字城管；不含乱停乱放、占道经营"
    assert describe(view, "en") == "only Urban mgmt; hiding Illegal parking, Street vending"
    assert describe(CaseFilter(), "zh") == ""
    assert describe(filter_of({"category": "no_such"}), "en") == "only no_such"


def test_an_address_cannot_make_an_unbounded_filter() -> None:
    rule = parse_rule([",".join(f"c{n}" for n in range(500))])
    assert len(rule.keep) == 50
