"""企业登记 enterprise registry records, JSON: see docs/feeds/modules.md#enterprise."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import Field

from ingest.event import Event
from ingest.feeds._module_common import (
    Blank,
    Count,
    Draft,
    Flags,
    Located,
    ModuleAdapter,
    Name,
    SourceTime,
    Text,
    Uscc,
    YesNo,
    as_object,
    beijing_day,
    build,
    locate,
)
from ingest.mapping import mapping
from ingest.payload import RawRecord
from ingest.uscc import uscc_attrs

FEED = "enterprise"
# GB/T 4754 大类/中类/小类 code; some registries prefix the section letter (C1713).
IndustryCode = Annotated[str, Field(pattern=r"^[A-Ta-t]?\d{2,4}$")]


class EnterpriseRecord(Located):
    """One enterprise as the registry (市场监管 plus the town's own 企业库) exports it."""

    tyshxydm: Uscc = Field(description="统一社会信用代码 unified social credit code")
    qymc: Name = Field(description="企业名称 name")
    qylx: str = Field(default="", description="企业类型 legal form")
    hyml: str = Field(default="", description="行业门类 GB/T 4754 section A–T")
    hydm: Annotated[IndustryCode | None, Blank] = Field(default=None, description="行业代码")
    gsbz: Annotated[YesNo | None, Blank] = Field(default=None, description="规上标志 是 | 否")
    djzt: Name = Field(description="登记状态 registration status")
    cyrs: Annotated[Count | None, Blank] = Field(default=None, description="从业人数 employees")
    clrq: Annotated[SourceTime | None, Blank] = Field(default=None, description="成立日期")
    zcdz: str = Field(default="", max_length=500, description="注册地址 address")
    jyfw: Text = Field(default="", description="经营范围 business scope")
    gxsj: SourceTime = Field(description="更新时间 when the registry record changed")


def split_industry_code(hydm: str | None) -> tuple[str, str]:
    """(the section letter it was prefixed with, the digits) of C1713 or 1713."""
    if not hydm:
        return "", ""
    return (hydm[0].upper(), hydm[1:]) if hydm[0].isalpha() else ("", hydm)


@cache
def _sections() -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[int, str]]:
    """The sections table, its Chinese names → codes, and each division number → section."""
    sections: dict[str, dict[str, Any]] = mapping(FEED)["sections"]
    by_name = {entry["zh"]: code for code, entry in sections.items()}
    by_division = {
        division: code
        for code, entry in sections.items()
        for division in range(entry["divisions"][0], entry["divisions"][1] + 1)
    }
    return sections, by_name, by_division


def _section(rec: EnterpriseRecord, flags: Flags) -> str | None:
    """The GB/T 4754 section: as sent (letter or name), else derived from the industry code."""
    sections, by_name, by_division = _sections()
    prefix, digits = split_industry_code(rec.hydm)
    division = int(digits[:2]) if digits else None
    derived = by_division.get(division) if division is not None else None
    flags.raise_if(division is not None and derived is None, "unmapped_industry_code")
    given = by_name.get(rec.hyml, rec.hyml.upper() or prefix)
    flags.raise_if(bool(given) and given not in sections, "unmapped_section")
    flags.raise_if(given in sections and derived not in (None, given), "industry_mismatch")
    return given if given in sections else derived


def _attrs(rec: EnterpriseRecord, flags: Flags) -> dict[str, Any]:
    section = _section(rec, flags)
    entry: dict[str, Any] = mapping(FEED)["sections"].get(section or "", {})
    return {
        **uscc_attrs(rec.tyshxydm, required=False),
        "name": rec.qymc,
        "legal_form": rec.qylx,
        "above_scale": rec.gsbz,
        "section": section,
        "section_name": entry.get("zh"),
        "sector": entry.get("en"),
        "industry_code": split_industry_code(rec.hydm)[1] or None,
        "registration": flags.lookup("registration", rec.djzt, "unmapped_registration"),
        "employees": rec.cyrs,
        "founded": beijing_day(rec.clrq).isoformat() if rec.clrq else None,
    }


def to_event(record: RawRecord, received_at: datetime) -> Event:
    rec = EnterpriseRecord.model_validate(as_object(record))
    flags = Flags(FEED)
    draft = Draft(
        kind="metric",
        source_id=rec.tyshxydm,
        category="enterprise_record",
        title=rec.qymc,
        description=rec.jyfw,
        occurred_at=rec.gxsj,
        attrs=_attrs(rec, flags),
        source_status=rec.djzt,
        address=rec.zcdz,
        point=locate(rec),
    )
    return build(draft, record, received_at, flags)


ADAPTER = ModuleAdapter(FEED, to_event, keys=("tyshxydm",))
