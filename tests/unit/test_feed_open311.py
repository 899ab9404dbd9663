"""The Open311 adapter: a GeoReport v2 form becomes one report Event with a stable id."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.categories import categories
from core.event import DeadLetter, Event
from ingest.feeds.open311 import ADAPTER, attributes, code_of, request_id, services

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "open311"
T1 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
FORM = [
    ("service_code", "006"),
    ("lat", "31.7823"),
    ("long", "120.3911"),
    ("address_string", "霞客镇璜塘路"),
    ("description", "路灯不亮"),
]


def one(body: bytes | str, at: datetime = T1) -> Event | DeadLetter:
    [result] = ADAPTER.parse(body.encode() if isinstance(body, str) else body, at)
    return result


def event(body: bytes | str, at: datetime = T1) -> Event:
    result = one(body, at)
    assert isinstance(result, Event), result
    return result


def test_the_streetlight_fixture_is_a_located_report() -> None:
    report = event((FIXTURES / "good" / "streetlight.txt").read_bytes())
    assert (report.kind, report.category, report.title) == ("report", "streetlight", "路灯故障")
    assert (report.lon, report.lat, report.source_crs) == (120.3911, 31.7823, "WGS84")
    assert report.address == "霞客镇璜塘路与人民路路口"
    assert report.status == "new"
    assert report.source_id == report.attrs["service_request_id"]
    assert re.fullmatch(r"006-[0-9a-f]{12}", report.source_id)
    assert report.attrs["reporter"]["email"] == "zhang.san@example.cn"
    assert report.occurred_at == T1


def test_the_spec_example_keeps_attributes_and_drops_the_api_key() -> None:
    report = event((FIXTURES / "good" / "spec_example_with_attributes.txt").read_bytes())
    assert report.attrs["attributes"] == {"WELL_TYPE": "污水井", "HAZARD": ["行人", "非机动车"]}
    assert report.attrs["reporter"] == {"device_id": "tt222111", "account_id": "123456"}
    assert report.attrs["jurisdiction_id"] == "xiake.gov.cn"
    assert "api_key" not in report.raw
    assert "xyz" not in report.to_json().decode()


def test_an_address_alone_is_a_location() -> None:
    report = event((FIXTURES / "good" / "address_only.txt").read_bytes())
    assert (report.lon, report.lat, report.source_crs) == (None, None, None)
    assert report.address == "霞客镇东湖村12组河边"


def test_the_id_is_the_same_for_a_resend_in_any_order_at_any_time() -> None:
    first = event(urlencode(FORM), T1)
    again = event(urlencode(list(reversed(FORM))), T2)
    with_key = event(urlencode([*FORM, ("api_key", "k")]), T2)
    assert first.source_id == again.source_id == with_key.source_id
    assert first.id == again.id == with_key.id


def test_an_idempotency_key_or_a_changed_field_makes_another_request() -> None:
    base = event(urlencode(FORM)).source_id
    assert event(urlencode([*FORM, ("idempotency_key", "a")])).source_id != base
    assert event(urlencode([*FORM[:-1], ("description", "两盏路灯不亮")])).source_id != base


def test_empty_values_count_as_not_sent() -> None:
    form = [("service_code", "003"), ("lat", ""), ("long", ""), ("address_string", "东湖村")]
    report = event(urlencode(form))
    assert report.lat is None
    assert report.source_id == event(urlencode([form[0], form[3]])).source_id


def test_a_field_given_twice_is_dead_lettered() -> None:
    dead = one(urlencode([*FORM, ("service_code", "003")]))
    assert isinstance(dead, DeadLetter)
    assert "'service_code' given more than once" in dead.reason
    assert dead.source_id is not None


def test_a_description_over_4000_characters_is_dead_lettered() -> None:
    dead = one(urlencode([*FORM[:-1], ("description", "长" * 4001)]))
    assert isinstance(dead, DeadLetter)
    assert "description" in dead.reason


def test_multivalue_attributes_collect_in_order() -> None:
    pairs = [("attribute[A][]", "1"), ("attribute[B]", "x"), ("attribute[A][]", "2")]
    assert attributes(pairs) == {"A": ["1", "2"], "B": "x"}


def test_a_request_id_names_its_service() -> None:
    srid = request_id("006", FORM)
    assert code_of(srid) == "006"


def test_every_service_maps_to_a_known_category_and_a_path_safe_code() -> None:
    known = categories()
    for code, service in services().items():
        assert re.fullmatch(r"[0-9A-Za-z_]+", code), code
        assert service["category"] in known, code
        assert service["service_name"] and service["notice"], code


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\x00", b'{"service_code": "006"}'])
def test_unreadable_bodies_are_body_dead_letters(body: bytes) -> None:
    dead = one(body)
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_body_is_one_event_or_one_dead_letter(body: bytes) -> None:
    assert isinstance(one(body), Event | DeadLetter)
