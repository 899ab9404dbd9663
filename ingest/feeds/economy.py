"""经济运行 monthly economic indicators, JSON: see docs/feeds/modules.md#economy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.event import Event
from core.times import beijing_to_utc
from ingest.adapter import JsonFeed, RecordError
from ingest.coords import Point
from ingest.feeds._module_common import Draft, Flags, build, month
from ingest.native import Name, Record, code, decode, number, optional_number

FEED = "economy"


class Indicator(Record):
    """One indicator of one statistical month."""

    tjyf: Any  # 统计月份 statistical month
    zbdm: Any  # 指标代码 indicator code
    kj: Name  # 口径 当月 | 累计
    sz: Any  # 数值 value
    zbmc: str = ""  # 指标名称 indicator name
    jldw: str = ""  # 计量单位 unit
    tbzz: Any = None  # 同比增长 %
    tbdw: str = ""  # 填报单位 reporting office

    def __post_init__(self) -> None:
        self.tjyf = month(self.tjyf, "tjyf")
        self.zbdm = code(self.zbdm, "zbdm")
        self.kj = code(self.kj, "kj", 200)
        self.sz = number(self.sz, "sz")
        self.tbzz = optional_number(self.tbzz, "tbzz")
        self.zbmc, self.jldw = self.zbmc.strip(), self.jldw.strip()


def _check_sign(rec: Indicator, name: str, signed: bool) -> None:
    """Amounts and counts cannot be negative, nor fall by more than all of themselves."""
    if signed:
        return
    if rec.sz < 0:
        raise RecordError(f"field 'sz': {name} cannot be negative ({rec.sz:g})")
    if rec.tbzz is not None and rec.tbzz < -100:
        raise RecordError(f"field 'tbzz': {name} cannot fall by more than 100% ({rec.tbzz:g}%)")


def _attrs(rec: Indicator, flags: Flags) -> dict[str, Any]:
    known: dict[str, Any] | None = flags.lookup("indicators", rec.zbdm, "unmapped_indicator")
    entry = known or {}
    name = rec.zbmc or entry.get("zh") or rec.zbdm
    # An indicator the table lacks may be a growth rate or a profit: its sign is not judged.
    _check_sign(rec, name, entry.get("signed", True))
    flags.raise_if(bool(known and rec.jldw and rec.jldw != entry["unit"]), "unit_mismatch")
    return {
        "month": rec.tjyf,
        "indicator": rec.zbdm,
        "indicator_key": entry.get("key"),
        "indicator_name": name,
        "scope": flags.lookup("scopes", rec.kj, "unmapped_scope"),
        "value": rec.sz,
        "unit": rec.jldw or entry.get("unit", ""),
        "yoy_pct": rec.tbzz,
        "reporter": rec.tbdw,
    }


def _first_day(year: int, month: int) -> datetime:
    try:
        return beijing_to_utc(year, month, 1)
    except ValueError as exc:
        raise RecordError(f"field 'tjyf': {exc}") from None


def read(raw: bytes) -> Indicator:
    return decode(Indicator, raw)


def to_event(rec: Indicator, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    flags = Flags(FEED)
    attrs = _attrs(rec, flags)
    year, month = (int(part) for part in rec.tjyf.split("-"))
    # A revised figure is an update of the same month, indicator and scope.
    scope = attrs["scope"] or rec.kj
    draft = Draft(
        kind="metric",
        source_id=f"{rec.tjyf}/{rec.zbdm}/{scope}",
        category="economy_indicator",
        title=attrs["indicator_name"],
        occurred_at=_first_day(year, month),
        attrs=attrs,
    )
    return build(draft, raw, received_at, flags)


ADAPTER = JsonFeed(FEED, read, to_event, keys=("zbdm",))
