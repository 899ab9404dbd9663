from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from core.event import DeadLetter, Event
from ingest.feeds.urban import ADAPTER

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)
GOOD: dict[str, Any] = {
    "ajbh": "DCM-20261128-000123", "wtly": "监督员上报", "ajlx": "事件", "dlmc": "街面秩序",
    "xlmc": "机动车乱停放", "xlbm": "0505", "wtms": "璜塘路与人民路口东侧机动车占用人行道停放",
    "dz": "璜塘路88号", "zbx": 120.39871, "zby": 31.78564, "zbxt": "GCJ02",
    "sbsj": "2026-11-28 09:12:33", "zt": "待受理", "tp": ["http://example.invalid/1.jpg"],
}  # fmt: skip


def parse(payload: Any) -> list[Event | DeadLetter]:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return list(ADAPTER.parse(body, NOW))


def test_the_contract_example_becomes_one_event() -> None:
    [event] = parse(GOOD)
    assert isinstance(event, Event)
    assert (event.feed, event.kind, event.source_id) == ("urban", "report", GOOD["ajbh"])
    assert event.category == "parking"
    assert event.status == "new"
    # Beijing 09:12:33 is 01:12:33 UTC.
    assert event.occurred_at == datetime(2026, 11, 28, 1, 12, 33, tzinfo=UTC)
    # GCJ-02 converted: the WGS84 point lies south-west of the GCJ-02 numbers.
    assert event.lon is not None and event.lat is not None
    assert event.lon < GOOD["zbx"] and event.lat > GOOD["zby"]
    assert orjson.loads(event.raw) == GOOD


def test_ids_are_stable_and_an_update_gets_a_new_one() -> None:
    [first] = parse(GOOD)
    [again] = parse(GOOD)
    [update] = parse({**GOOD, "zt": "已受理"})
    assert isinstance(first, Event) and isinstance(again, Event) and isinstance(update, Event)
    assert first.id == again.id
    assert update.id != first.id and update.source_id == first.source_id
    assert update.status == "acknowledged"


def test_array_and_json_lines_bodies() -> None:
    second = {**GOOD, "ajbh": "DCM-20261128-000124"}
    assert len(parse([GOOD, second])) == 2
    lines = orjson.dumps(GOOD) + b"\n" + orjson.dumps(second) + b"\n"
    assert [r.source_id for r in parse(lines)] == [GOOD["ajbh"], second["ajbh"]]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ajbh": None}, "ajbh"),
        ({"zbxt": "Beijing54"}, "unknown coordinate system"),
        ({"sbsj": "yesterday"}, "unreadable time"),
        ({"zbx": "east"}, "zbx"),
        ({"ajlx": "其他"}, "ajlx"),
        ({"zby": 95.0}, "out of range"),
    ],
)
def test_bad_records_are_dead_lettered_with_reason_and_raw(
    change: dict[str, Any], reason: str
) -> None:
    record = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    [dead] = parse(record)
    assert isinstance(dead, DeadLetter)
    assert reason in dead.reason
    assert orjson.loads(dead.raw) == record
    assert dead.scope == "record"


def test_one_bad_record_does_not_sink_the_batch() -> None:
    results = parse([GOOD, {"ajbh": "X"}, 42])
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "DeadLetter"]
    assert "missing required field" in results[1].reason  # type: ignore[union-attr]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe\x00", b"[1, 2"])
def test_an_unreadable_body_is_one_body_dead_letter(body: bytes) -> None:
    [dead] = parse(body)
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body"
    assert dead.reason


def test_markup_is_kept_as_plain_text() -> None:
    [event] = parse({**GOOD, "wtms": "<script>alert(1)</script>"})
    assert isinstance(event, Event)
    assert event.description == "<script>alert(1)</script>"


def test_an_unmapped_code_is_kept_and_flagged() -> None:
    [event] = parse({**GOOD, "xlbm": "9999", "xlmc": "新类型"})
    assert isinstance(event, Event)
    assert event.category == "other"
    assert event.attrs["unmapped_category"] is True


def test_the_minor_class_name_is_the_fallback() -> None:
    [event] = parse({**GOOD, "xlbm": "9999", "xlmc": "占道经营"})
    assert isinstance(event, Event) and event.category == "street_vending"


def test_a_record_with_broken_bytes_is_dead_lettered_alone() -> None:
    good = orjson.dumps(GOOD)
    broken = orjson.dumps({**GOOD, "ajbh": "B-1", "wtms": "x"}).replace(b'"x"', b'"\xff"')
    results = list(ADAPTER.parse(b"[" + good + b"," + broken + b"]", NOW))
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter"]
    assert "utf-8" in results[1].reason.lower()  # type: ignore[union-attr]
    assert results[1].source_id == "B-1"  # type: ignore[union-attr]
