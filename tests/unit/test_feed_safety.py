from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from stdnum.cn.uscc import calc_check_digit

from core.event import DeadLetter, Event
from ingest.uscc import uscc_problem
from tests.support import adapters

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)
VALID = "91350100M000100Y43"  # a known-valid code (python-stdnum's and GB 32100's examples)
GOOD: dict[str, Any] = {
    "yhbh": "YH-2026-0456", "qymc": "江阴市霞客精细化工有限公司", "tyshxydm": VALID,
    "yhdj": "重大隐患", "yhms": "储罐区可燃气体报警器失效", "pcsj": "2026-11-28 10:00",
    "zgqx": "2026-12-05", "zgzt": "未整改", "lon": 120.371, "lat": 31.801,
}  # fmt: skip


def parse(payload: Any, at: datetime = NOW) -> list[Event | DeadLetter]:
    return adapters.parse("safety", payload, at)


def one_event(payload: Any) -> Event:
    return adapters.one_event("safety", payload)


def test_the_contract_record() -> None:
    event = one_event(GOOD)
    assert (event.feed, event.kind, event.source_id) == ("safety", "report", "YH-2026-0456")
    assert (event.category, event.severity) == ("major_hazard", 3)
    assert (event.source_status, event.status) == ("未整改", "new")
    assert event.occurred_at == datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert (event.lon, event.lat, event.source_crs) == (120.371, 31.801, "WGS84")
    assert (event.title, event.description) == (GOOD["qymc"], GOOD["yhms"])
    assert event.attrs == {
        "enterprise": GOOD["qymc"],
        "uscc": VALID,
        "uscc_valid": True,
        "grade": "重大隐患",
        "deadline": "2026-12-05",
    }


@pytest.mark.parametrize(
    ("code", "compacted"),
    [
        (VALID, VALID),
        ("91110000600037341L", "91110000600037341L"),
        ("91350100m000100y43", VALID),  # typed in lower case
        ("9135 0100-M000100Y43", VALID),  # copied with separators
    ],
)
def test_valid_codes(code: str, compacted: str) -> None:
    attrs = one_event({**GOOD, "tyshxydm": code}).attrs
    assert (attrs["uscc"], attrs["uscc_valid"]) == (compacted, True)
    assert "uscc_error" not in attrs


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y44", "wrong check character '4' (expected '3')"),
        ("91320281MA1XXXXXX0", "wrong check character"),
        ("9135010", "wrong length: 7"),
        ("91350100M000100Y431", "wrong length: 19"),
        ("91350100M0001O0Y43", "characters outside"),  # the letter O is not in the code set
        ("9135A100M000100Y43", "characters outside"),  # the region code is six digits
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_a_bad_code_is_flagged_never_dead_lettered(code: str | None, error: str) -> None:
    attrs = one_event({**GOOD, "tyshxydm": code}).attrs
    assert attrs["uscc_valid"] is False
    assert error in attrs["uscc_error"]


def test_a_missing_code_field_is_flagged_too() -> None:
    record = {k: v for k, v in GOOD.items() if k != "tyshxydm"}
    assert one_event(record).attrs["uscc_error"] == "missing"


def test_letters_in_the_authority_and_type_positions_are_gb_32100() -> None:
    # A rural collective (农业 N, type 2): python-stdnum's validate would call it malformed.
    base = "N2320281MF0123456"
    assert uscc_problem(base + calc_check_digit(base)) is None
    wrong = "0" if calc_check_digit(base) != "0" else "1"
    assert "check character" in (uscc_problem(base + wrong) or "")


@pytest.mark.parametrize(
    ("grade", "category", "severity"),
    [
        ("一般隐患", "enterprise_hazard", 1),
        ("重大隐患", "major_hazard", 3),
        ("一般事故隐患", "enterprise_hazard", 1),
        ("重大事故隐患", "major_hazard", 3),
    ],
)
def test_grades(grade: str, category: str, severity: int) -> None:
    event = one_event({**GOOD, "yhdj": grade})
    assert (event.category, event.severity) == (category, severity)
    assert "unmapped_category" not in event.attrs


def test_an_unknown_grade_is_kept_and_flagged() -> None:
    event = one_event({**GOOD, "yhdj": "较大隐患"})
    assert (event.category, event.severity) == ("enterprise_hazard", 1)
    assert event.attrs["unmapped_category"] is True


@pytest.mark.parametrize(
    ("zgzt", "status"),
    [("未整改", "new"), ("整改中", "acknowledged"), ("已整改", "closed"), ("待复查", None)],
)
def test_status(zgzt: str, status: str | None) -> None:
    event = one_event({**GOOD, "zgzt": zgzt})
    assert (event.source_status, event.status) == (zgzt, status)


@pytest.mark.parametrize(
    ("zgqx", "deadline"),
    [
        ("2026-12-05", "2026-12-05"),
        ("2026/12/5", "2026-12-05"),
        # 07:00 in Beijing is still the 4th in UTC: the deadline is Beijing's calendar date.
        ("2026-12-05 07:00", "2026-12-05"),
        ("", None),
        (None, None),
    ],
)
def test_the_deadline_is_a_beijing_calendar_date(zgqx: str | None, deadline: str | None) -> None:
    assert one_event({**GOOD, "zgqx": zgqx}).attrs["deadline"] == deadline


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"yhbh": None}, "yhbh"),
        ({"pcsj": None}, "pcsj"),
        ({"pcsj": "上午"}, "unreadable time"),
        ({"zgqx": "限期一周"}, "field 'zgqx': unreadable time"),
        ({"lon": 31.801, "lat": 120.371}, "out of range"),
        ({"lon": None}, "lon"),
        ({"lat": "北纬"}, "lat"),
    ],
)
def test_bad_records_are_dead_lettered(changes: dict[str, Any], reason: str) -> None:
    record = {**GOOD, **changes}
    [dead] = parse(record)
    assert isinstance(dead, DeadLetter)
    assert reason in dead.reason
    assert orjson.loads(dead.raw) == record


def test_a_rectification_is_an_update_of_the_same_hazard() -> None:
    [first] = parse(GOOD)
    [again] = parse(GOOD, NOW + timedelta(hours=3))
    done = one_event({**GOOD, "zgzt": "已整改"})
    assert isinstance(first, Event) and isinstance(again, Event)
    assert first.id == again.id
    assert done.id != first.id and done.source_id == first.source_id
    assert done.status == "closed"
