"""Sanity at the edge, without Redis: implausible times, deep JSON, unreadable CSV rows and
unexpected exceptions all end as dead letters with a reason, and the other records are kept."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core import times
from core.event import DeadLetter, Event
from ingest.adapter import JsonFeed, total
from ingest.feeds import FEEDS
from ingest.guard import Guard
from ingest.sanity import TimeWindow
from tests.support.adapters import NOW
from tests.support.edge import CAP_EARLY, CAP_LATE, JSON_CASES, TimeCase, cap_alert, governance_csv
from tests.support.fixtures import fixtures

GUARD = Guard()
EARLIEST_OK = datetime(2000, 1, 1, tzinfo=UTC)


def through_guard(feed: str, body: bytes, at: datetime = NOW) -> list[Event | DeadLetter]:
    """What the sink would store: the adapter's results, each Event through the guard."""
    return [GUARD.event(r) if isinstance(r, Event) else r for r in FEEDS[feed].parse(body, at)]


@pytest.mark.parametrize("case", JSON_CASES, ids=lambda c: c.id)
def test_dates_9999_and_0001_are_dead_letters_and_the_good_record_is_kept(case: TimeCase) -> None:
    good, late, early = through_guard(case.feed, case.body())
    assert isinstance(good, Event), getattr(good, "reason", good)
    assert isinstance(late, DeadLetter) and isinstance(early, DeadLetter)
    assert "out of range" in late.reason and "9999" in late.reason, late.reason
    assert "out of range" in early.reason and "0001" in early.reason, early.reason
    assert late.source_id and early.source_id, "a dead letter names its record"
    assert case.late in late.raw, "the record's own text is kept"


def test_the_window_reason_names_the_time_and_the_bound() -> None:
    case = JSON_CASES[0]
    [_, late, _] = through_guard(case.feed, case.body())
    assert isinstance(late, DeadLetter)
    assert late.reason.startswith("time out of range: occurred_at 9999-12-31T15:59:59Z is after ")
    assert late.source_id == case.base()["ajbh"]


def test_a_governance_file_with_bad_times_keeps_its_good_rows() -> None:
    body = governance_csv(
        "2026/11/28 9:05", "9999/12/31 23:59:59", "0001/01/01 0:00", "2026/11/28 9:06"
    )
    results = through_guard("governance", body)
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "DeadLetter", "Event"]
    assert [r.source_id for r in results] == ["ZZ1", "ZZ2", "ZZ3", "ZZ4"]
    assert "time out of range" in results[1].reason  # type: ignore[union-attr]
    assert results[2].reason == "line 4: 上报时间: 0001-01-01 is out of range in UTC"  # type: ignore[union-attr]


@pytest.mark.parametrize("sent", [CAP_LATE, CAP_EARLY])
def test_a_cap_alert_sent_in_9999_or_0001_is_a_dead_letter(sent: str) -> None:
    results = through_guard("cap", cap_alert(sent))
    assert results and all(isinstance(r, DeadLetter) for r in results)
    assert all("out of range" in r.reason or "is not a date" in r.reason for r in results)  # type: ignore[union-attr]


def test_a_cap_expiry_far_in_the_future_is_refused_but_a_month_ahead_is_not() -> None:
    event, *_ = FEEDS["cap"].parse(cap_alert("2026-11-28T09:00:00+08:00"), NOW)
    assert isinstance(event, Event)
    soon = event.replace(attrs={**event.attrs, "expires": "2026-12-28T00:00:00+00:00"})
    never = event.replace(attrs={**event.attrs, "expires": "9999-12-31T00:00:00+00:00"})
    assert GUARD.event(soon) is soon
    refused = GUARD.event(never)
    assert isinstance(refused, DeadLetter) and "attrs.expires 9999-12-31" in refused.reason


def test_the_window_is_configurable_and_inclusive() -> None:
    window = TimeWindow(datetime(2020, 1, 1, tzinfo=UTC), timedelta(hours=1))
    case = JSON_CASES[0]
    [event, *_] = FEEDS[case.feed].parse(case.body(), NOW)
    assert isinstance(event, Event)
    assert window.refuse(event.replace(occurred_at=event.received_at + timedelta(hours=1))) is None
    late = window.refuse(event.replace(occurred_at=event.received_at + timedelta(hours=2)))
    assert late is not None and "(received_at + ahead)" in late
    early = window.refuse(event.replace(occurred_at=datetime(2019, 12, 31, tzinfo=UTC)))
    assert early is not None and "is before 2020-01-01T00:00:00Z" in early


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01 00:00:00",
        "0001-01-01T00:00:00+08:00",
        "0001/01/01 0:00",
        "9999-12-31T23:59:59-05:00",
    ],
)
def test_a_time_without_a_utc_equivalent_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="out of range in UTC"):
        times.parse_source_time(text)


def test_the_latest_and_earliest_times_that_exist_in_utc_still_parse() -> None:
    assert times.parse_source_time("9999-12-31 23:59:59").year == 9999
    assert times.parse_source_time("0001-01-01 09:00:00").year == 1  # LMT +08:05:43 then


@pytest.mark.parametrize(
    "body",
    [b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000, b"[" * 100_000],
    ids=["arrays", "objects", "unclosed"],
)
def test_json_nested_1000_deep_is_one_body_dead_letter(body: bytes) -> None:
    [dead] = FEEDS["urban"].parse(body, NOW)
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body"
    assert "nested too deeply" in dead.reason or "malformed JSON" in dead.reason


def test_a_csv_cell_over_the_field_limit_is_one_dead_letter_and_the_file_goes_on() -> None:
    header, first = governance_csv("2026/11/28 9:05").decode("gbk").splitlines()
    huge = first.replace("ZZ1", "ZZ2").replace("争执", "长" * 200_000)
    body = "\n".join([header, first, huge, first.replace("ZZ1", "ZZ3"), ""]).encode("utf-8")
    results = list(FEEDS["governance"].parse(body, NOW))
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "Event"]
    assert "unreadable CSV: field larger than field limit" in results[1].reason  # type: ignore[union-attr]


def test_an_unexpected_exception_is_that_records_dead_letter_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def read(raw: bytes) -> object:
        if b'"boom"' in raw:
            raise ZeroDivisionError("a bug, not bad data")
        return FEEDS["urban"].read(raw)  # type: ignore[attr-defined]

    urban = FEEDS["urban"]
    feed = JsonFeed("urban", read, urban.to_event, keys=("ajbh",))  # type: ignore[attr-defined, arg-type]
    good = JSON_CASES[0].base()
    body = f'[{_json(good)}, {{"ajbh": "boom"}}, {_json({**good, "ajbh": "X2"})}]'.encode()
    with caplog.at_level(logging.ERROR, logger="ingest.adapter"):
        results = list(feed.parse(body, NOW))
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "Event"]
    assert results[1].reason == "unexpected error ZeroDivisionError: a bug, not bad data"  # type: ignore[union-attr]
    assert results[1].source_id == "boom"
    [record] = caplog.records
    assert "unexpected ZeroDivisionError" in record.getMessage()
    assert "boom" not in record.getMessage(), "the log names no value of the record"


def test_an_exception_escaping_a_parse_becomes_a_dead_letter_of_the_rest() -> None:
    class Broken:
        feed = "broken"

        @total
        def parse(self, body: bytes, received_at: datetime) -> Iterator[Event | DeadLetter]:
            for n, part in enumerate(body.split(b",")):
                if part == b"bug":
                    raise KeyError(n)
                yield DeadLetter(feed=self.feed, reason="ok", raw="", received_at=received_at)

    [dead] = Broken().parse(b"bug", NOW)
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body" and dead.reason == "unexpected error KeyError: 0"
    first, rest = Broken().parse(b"a,bug", NOW)
    assert isinstance(first, DeadLetter) and isinstance(rest, DeadLetter)
    assert first.reason == "ok" and rest.scope == "record", "what was read before is kept"
    assert rest.raw == "a,bug"


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def test_odd_records_are_each_their_own_dead_letter_and_the_good_ones_kept() -> None:
    good = orjson.dumps(JSON_CASES[0].base())
    odd = [
        good.replace(b'"zbx":', b'"zbx":1' + b"0" * 400 + b',"x":'),  # a number beyond a float
        good.replace(b'"ajbh":', b'"ajbh":123' + b"0" * 40 + b',"y":'),  # an int beyond 64 bits
        good.replace("璜塘路".encode(), b"\xff\xfe"),  # bytes that are not UTF-8
        good.replace(b'"zby":', b'"zby":"north","z":'),  # a wrong type
        b'"just a string"',
        b"[1, 2]",
    ]
    body = b"\n".join([good, *odd, good.replace(b"DCM-", b"DCM-2-")])
    results = through_guard("urban", body)
    assert [type(r).__name__ for r in results] == ["Event", *["DeadLetter"] * len(odd), "Event"]
    assert all(r.reason for r in results if isinstance(r, DeadLetter))


GOOD_BODIES = {feed: [p.read_bytes() for f, p in fixtures("good") if f == feed] for feed in FEEDS}


@st.composite
def odd_body(draw: st.DrawFn, feed: str) -> bytes:
    """A good fixture with bytes flipped, cut or inserted, a time swapped for an extreme one,
    or random bytes."""
    seed = draw(st.sampled_from(GOOD_BODIES[feed]))
    choice = draw(st.sampled_from(["mutate", "time", "random"]))
    if choice == "random":
        return draw(st.binary(max_size=500))
    if choice == "time":
        extreme = draw(st.sampled_from(["9999-12-31 23:59:59", "0001-01-01 00:00:00", "9999-12"]))
        return re.sub(rb"20\d\d-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", extreme.encode(), seed, count=1)
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        data[at : at + draw(st.integers(0, 8))] = draw(st.binary(max_size=8))
    return bytes(data)


@pytest.mark.parametrize("feed", sorted(FEEDS))
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_adapter_and_the_guard_are_total(feed: str, data: st.DataObject) -> None:
    body = data.draw(odd_body(feed))
    results = list(FEEDS[feed].parse(body, NOW))
    assert results, "every body has an outcome"
    for result in results:
        checked = GUARD.event(result) if isinstance(result, Event) else result
        if isinstance(checked, DeadLetter):
            assert checked.reason and GUARD.dead_fields(checked)["raw_sha256"]
        else:
            assert EARLIEST_OK <= checked.occurred_at <= NOW + timedelta(days=1)
