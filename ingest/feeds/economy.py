"""经济运行 monthly economic indicators, JSON: see docs/feeds/modules.md#economy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from ingest.adapter import RecordError
from ingest.event import Event
from ingest.feeds._module_common import (
    Blank,
    Code,
    Draft,
    Flags,
    ModuleAdapter,
    ModuleRecord,
    Month,
    Name,
    Number,
    as_object,
    build,
)
from ingest.payload import RawRecord
from ingest.times import BEIJING

FEED = "economy"


class Indicator(ModuleRecord):
    """One indicator of one statistical month."""

    tjyf: Month = Field(description="统计月份 statistical month")
    zbdm: Code = Field(description="指标代码 indicator code")
    zbmc: str = Field(default="", description="指标名称 indicator name")
    kj: Name = Field(description="口径 当月 | 累计")
    sz: Number = Field(description="数值 value")
    jldw: str = Field(default="", description="计量单位 unit")
    tbzz: Annotated[Number | None, Blank] = Field(default=None, description="同比增长 %")
    tbdw: str = Field(default="", description="填报单位 reporting office")


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


def to_event(record: RawRecord, received_at: datetime) -> Event:
    rec = Indicator.model_validate(as_object(record))
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
        occurred_at=datetime(year, month, 1, tzinfo=BEIJING),
        attrs=attrs,
    )
    return build(draft, record, received_at, flags)


ADAPTER = ModuleAdapter(FEED, to_event, keys=("zbdm",))
