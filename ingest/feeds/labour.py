"""用工监测 labour monitoring, JSON: see docs/feeds/modules.md#labour.

Two record types share the feed, told apart by ``sjlx``: headcount snapshots (metrics) and
wage-arrears alerts (reports: a case to dispatch).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from ingest.event import Event, Status
from ingest.feeds._module_common import (
    Amount,
    Blank,
    Code,
    Count,
    Draft,
    Flags,
    Located,
    ModuleAdapter,
    ModuleRecord,
    Name,
    Positive,
    SourceTime,
    Text,
    Uscc,
    as_object,
    build,
    locate,
    record_type,
)
from ingest.mapping import mapping
from ingest.payload import RawRecord
from ingest.uscc import uscc_attrs

FEED = "labour"
OptionalCount = Annotated[Count | None, Blank]


class HeadcountSnapshot(ModuleRecord):
    """用工快照: one enterprise's workforce on the monitoring day."""

    tyshxydm: Uscc = Field(description="统一社会信用代码")
    qymc: Name = Field(description="企业名称")
    jcrq: SourceTime = Field(description="监测日期 the day (or time) of the snapshot")
    zgrs: Count = Field(description="在岗人数 headcount")
    xzrs: OptionalCount = Field(default=None, description="新增人数 hires since the last one")
    jsrs: OptionalCount = Field(default=None, description="减少人数 separations")
    qgrs: OptionalCount = Field(default=None, description="缺工人数 vacancies")
    cbrs: OptionalCount = Field(default=None, description="参保人数 insured")


class ArrearsAlert(Located):
    """欠薪预警: unpaid wages reported or detected, to be dispatched as a case."""

    yjbh: Code = Field(description="预警编号 alert number")
    qymc: Name = Field(description="企业名称 (the employer or general contractor)")
    tyshxydm: Annotated[Uscc | None, Blank] = Field(default=None)
    xmmc: str = Field(default="", description="项目名称 construction project")
    qxje: Amount = Field(description="欠薪金额 amount owed, 元")
    sjrs: Positive = Field(description="涉及人数 workers affected")
    qxqj: str = Field(default="", description="欠薪期间 months owed")
    yjsj: SourceTime = Field(description="预警时间")
    yjly: str = Field(default="", description="预警来源 channel")
    dz: str = Field(default="", max_length=500, description="地址")
    zt: str = Field(default="", description="处置状态")
    qkms: Text = Field(default="", description="情况描述 description")


def severity(workers: int, amount: float) -> int:
    """1–4 by the table's thresholds: the number of workers or the amount, whichever is higher."""
    rows: list[dict[str, Any]] = mapping(FEED)["severity"]
    met = [int(r["level"]) for r in rows if workers >= r["workers"] or amount >= r["amount_yuan"]]
    return max(met, default=1)


def _snapshot(value: dict[str, Any], flags: Flags) -> Draft:
    rec = HeadcountSnapshot.model_validate(value)
    attrs: dict[str, Any] = {
        "record": "snapshot",
        **uscc_attrs(rec.tyshxydm, required=False),
        "enterprise_name": rec.qymc,
        "headcount": rec.zgrs,
        "hires": rec.xzrs,
        "separations": rec.jsrs,
        "vacancies": rec.qgrs,
        "insured": rec.cbrs,
    }
    return Draft(
        kind="metric",
        # The enterprise is the source: the engine keeps its newest headcount.
        source_id=rec.tyshxydm,
        category="labour_snapshot",
        title=rec.qymc,
        occurred_at=rec.jcrq,
        attrs=attrs,
    )


def _arrears(value: dict[str, Any], flags: Flags) -> Draft:
    rec = ArrearsAlert.model_validate(value)
    attrs: dict[str, Any] = {
        "record": "arrears",
        **uscc_attrs(rec.tyshxydm, required=False),
        "enterprise_name": rec.qymc,
        "project": rec.xmmc,
        "amount_yuan": rec.qxje,
        "workers": rec.sjrs,
        "period": rec.qxqj,
        "channel": rec.yjly,
    }
    status: Status | None = flags.lookup("status", rec.zt, "unmapped_status")
    return Draft(
        kind="report",
        source_id=rec.yjbh,
        category="wage_arrears",
        title=f"欠薪预警：{rec.xmmc or rec.qymc}",
        description=rec.qkms,
        occurred_at=rec.yjsj,
        attrs=attrs,
        status=status,
        source_status=rec.zt,
        severity=severity(rec.sjrs, rec.qxje),
        address=rec.dz,
        point=locate(rec),
    )


def to_event(record: RawRecord, received_at: datetime) -> Event:
    value = as_object(record)
    flags = Flags(FEED)
    read = _snapshot if record_type(FEED, value) == "snapshot" else _arrears
    return build(read(value, flags), record, received_at, flags)


ADAPTER = ModuleAdapter(FEED, to_event, keys=("yjbh", "tyshxydm"))
