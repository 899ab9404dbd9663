from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from cases.places import Geography
from cases.readings import newest
from core.event import Event
from layers.town import Town, default_town

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="module")
def geography(town: Town) -> Geography:
    return Geography(town)


def event(n: int = 0, kind: str = "report", **kw: Any) -> Event:
    values: dict[str, Any] = {
        "id": f"f:S1:{n}", "feed": "f", "kind": kind, "source_id": "S1", "category": "other",
        "title": "t", "description": "", "occurred_at": T0 + timedelta(minutes=n),
        "received_at": T0, "raw": "{}",
    }  # fmt: skip
    return Event.from_json(orjson.dumps({**values, **kw}))


def test_a_point_gets_its_grid_and_a_far_one_is_outside(geography: Geography, town: Town) -> None:
    inside, outside = geography.site(
        [event(lon=town.centre[0], lat=town.centre[1]), event(lon=121.5, lat=31.2)]
    )
    assert inside.place is not None and inside.flags == ()
    assert outside.place is None and outside.flags == ("outside_town",)


def test_no_coordinates_but_a_claimed_grid_sits_at_its_centroid(
    geography: Geography, town: Town
) -> None:
    [siting] = geography.site([event(attrs={"grid_claimed": "XXK-03-02"})])
    assert siting.place is not None and siting.place.grid == "XXK-03-02"
    assert siting.flags == ("location_from_grid",)
    assert geography.index.assign_one(siting.lon, siting.lat) == "XXK-03-02"


def test_no_coordinates_and_no_known_grid(geography: Geography) -> None:
    [siting] = geography.site([event(attrs={"grid_claimed": "NOPE-01"})])
    assert (siting.place, siting.lon, siting.flags) == (None, None, ("no_location",))


def test_a_claimed_grid_that_disagrees_with_the_point_is_flagged(geography: Geography) -> None:
    # feeds.md's governance example: (120.4012, 31.7733) is in XXK-03-02.
    [agree, differ] = geography.site([
        event(lon=120.4012, lat=31.7733, attrs={"grid_claimed": "XXK-03-02"}),
        event(lon=120.4012, lat=31.7733, attrs={"grid_claimed": "XXK-01-01"}),
    ])  # fmt: skip
    assert agree.flags == ()
    assert differ.flags == ("grid_mismatch",)
    assert differ.place is not None and differ.place.grid == "XXK-03-02"


def test_only_a_newer_reading_replaces_the_stored_one() -> None:
    slot = ("telemetry", "f:S1")
    stored = orjson.dumps({"id": "f:S1:5", "occurred_at": (T0 + timedelta(minutes=5)).isoformat()})
    assert newest([event(3, "telemetry")], {slot: stored}) == {}
    updates = newest([event(9, "telemetry"), event(7, "telemetry")], {slot: stored})
    assert orjson.loads(updates[slot])["id"] == "f:S1:9"
    assert "raw" not in orjson.loads(updates[slot])


def test_the_same_reading_again_changes_nothing() -> None:
    again = event(5, "telemetry")
    stored = orjson.dumps({"id": again.id, "occurred_at": again.occurred_at.isoformat()})
    assert newest([again], {("telemetry", "f:S1"): stored}) == {}


def test_a_summarys_field_gives_back_the_values_it_counts_even_with_its_separators() -> None:
    """A source's own text (an id, a name) may hold `|`, `=` or `%`: the field's values come
    back exactly, or the panel would not find the record (the economy's, by its source)."""
    from cases.readings import parse_name, tally_name

    values = {"month": "2026-11", "source": 'a=b|c%7C<a href="x">链接</a>'}
    assert parse_name(tally_name(values)) == values
    assert parse_name(tally_name({"org_type": "branch"})) == {"org_type": "branch"}
