"""Records dated 9999 and 0001, for every feed that carries a time: built from a good fixture
with one time field replaced, so the rest of each record is known to pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.support.fixtures import FIXTURES

LATE = "9999-12-31 23:59:59"
EARLY = "0001-01-01 00:00:00"


@dataclass(frozen=True)
class TimeCase:
    """One time field of one feed: the fixture it is taken from and how it is written."""

    feed: str
    fixture: str
    name: str  # the time field
    late: str = LATE
    early: str = EARLY
    also: dict[str, Any] = field(default_factory=dict)  # set beside it (e.g. a later time blanked)

    @property
    def id(self) -> str:
        return f"{self.feed}.{self.name}"

    def base(self) -> dict[str, Any]:
        value = orjson.loads((FIXTURES / self.feed / "good" / self.fixture).read_bytes())
        record: dict[str, Any] = value[0] if isinstance(value, list) else value
        return record

    def records(self) -> list[dict[str, Any]]:
        """The good record, then the same with the time at 9999, then at 0001."""
        base = self.base()
        return [
            base,
            {**base, **self.also, self.name: self.late},
            {**base, **self.also, self.name: self.early},
        ]

    def body(self) -> bytes:
        return orjson.dumps(self.records())


JSON_CASES = [
    TimeCase("urban", "example.json", "sbsj"),
    TimeCase(
        "environment",
        "example_air.json",
        "ts",
        "9999-12-31T23:59:59+08:00",
        "0001-01-01T00:00:00+08:00",
    ),
    TimeCase("environment", "complaints_12369.json", "tssj"),
    TimeCase("water", "example.json", "tm"),
    TimeCase("safety", "example.json", "pcsj"),
    TimeCase("safety", "example.json", "zgqx", "9999-12-31", "0001-01-01"),
    TimeCase("service_hall", "morning_cases.json", "slsj", also={"bjsj": ""}),
    TimeCase("service_hall", "morning_cases.json", "bjsj"),
    TimeCase("economy", "2026-10_ytd.json", "tjyf", "9999-12", "0001-01"),
    TimeCase("enterprise", "registry.json", "gxsj"),
    TimeCase("labour", "arrears_alert.json", "yjsj"),
    TimeCase("labour", "monthly_snapshots.json", "jcrq"),
    TimeCase("tourism", "ten_oclock.json", "tjsj"),
    TimeCase("party", "organisations.json", "gxsj"),
    TimeCase("party", "theme_day.json", "hdsj"),
]

GOVERNANCE_HEADER = (
    "事件编号,事件类别,事件子类,所属网格,上报人,上报时间,事发地址,经度,纬度,事件描述,紧急程度"
)


def governance_csv(*times: str) -> bytes:
    """A governance file of one row per time (ZZ1, ZZ2, …), GBK as the source sends it."""
    rows = [
        f"ZZ{n},矛盾纠纷,邻里纠纷,XXK-03-02,张网格员,{at},东湖村12组,120.4012,31.7733,争执,一般"
        for n, at in enumerate(times, 1)
    ]
    return "\n".join([GOVERNANCE_HEADER, *rows, ""]).encode("gbk")


def cap_alert(sent: str) -> bytes:
    """A good CAP fixture with its <sent> replaced."""
    text = (FIXTURES / "cap" / "good" / "jiangyin_rainstorm.xml").read_text("utf-8")
    return re.sub(r"<sent>[^<]*</sent>", f"<sent>{sent}</sent>", text, count=1).encode()


CAP_LATE = "9999-12-31T23:59:59+08:00"
CAP_EARLY = "0001-01-01T00:00:00+08:00"
