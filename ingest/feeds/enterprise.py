"""企业登记 enterprise registry records, JSON: see docs/feeds/modules.md#enterprise."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from core.event import Event
from core.times import beijing_day
from ingest.adapter import JsonFeed
from ingest.coords import Point
from ingest.feeds._module_common import (
    Draft,
    Flags,
    Located,
    build,
    uscc,
    yes_no,
)
from ingest.mapping import mapping
from ingest.native import (
    Address,
    Name,
    Text,
    code,
    decode,
    is_blank,
    optional_count,
    optional_time,
    source_time,
)
from ingest.uscc import uscc_attrs

FEED = "enterprise"
# GB/T 4754 大类/中类/小类 code; some registries prefix the section letter (C1713).
INDUSTRY_CODE = re.compile(r"[A-Ta-t]?\d{2,4}")


class EnterpriseRecord(Located, kw_only=True):
    """One enterprise as the registry (市场监管 plus the town's own 企业库) exports it."""

    tyshxydm: Any  # 统一社会信用代码 unified social credit code
    qymc: Name  # 企业名称 name
    djzt: Name  # 登记状态 registration status
    gxsj: Any  # 更新时间 when the registry record changed
    qylx: str = ""  # 企业类型 legal form
    hyml: str = ""  # 行业门类 GB/T 4754 section A–T
    hydm: Any = None  # 行业代码
    gsbz: Any = None  # 规上标志 是 | 否
    cyrs: Any = None  # 从业人数 employees
    clrq: Any = None  # 成立日期
    zcdz: Address = ""  # 注册地址 address
    jyfw: Text = ""  # 经营范围 business scope

    def __post_init__(self) -> None:
        super().__post_init__()
        self.tyshxydm = uscc(code(self.tyshxydm, "tyshxydm"))
        self.qymc = code(self.qymc, "qymc", 200)
        self.djzt = code(self.djzt, "djzt", 200)
        self.gxsj = source_time(self.gxsj, "gxsj")
        self.hyml = self.hyml.strip()
        self.hydm = _industry_code(self.hydm)
        self.gsbz = yes_no(self.gsbz, "gsbz")
        self.cyrs = optional_count(self.cyrs, "cyrs")
        self.clrq = optional_time(self.clrq, "clrq")


def _industry_code(value: Any) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip() if type(value) in (str, int) else ""
    if not INDUSTRY_CODE.fullmatch(text):
        raise ValueError(f"field 'hydm': does not match the pattern of a GB/T 4754 code: {value!r}")
    return text


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


def read(raw: bytes) -> EnterpriseRecord:
    return decode(EnterpriseRecord, raw)


def to_event(
    rec: EnterpriseRecord, raw: bytes, received_at: datetime, point: Point | None
) -> Event:
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
        point=point,
    )
    return build(draft, raw, received_at, flags)


ADAPTER = JsonFeed(FEED, read, to_event, keys=("tyshxydm",))
