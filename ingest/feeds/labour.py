"""用工监测 labour monitoring, JSON: see docs/feeds/modules.md#labour.

Two record types share the feed, told apart by ``sjlx``: headcount snapshots (metrics) and
wage-arrears alerts (reports: a case to dispatch).
"""

from __future__ import annotations

from typing import Any

from core.event import Status
from ingest.coords import Point
from ingest.feeds._module_common import (
    Draft,
    Flags,
    Located,
    typed_feed,
    uscc,
)
from ingest.mapping import mapping
from ingest.native import (
    Address,
    Code,
    Count,
    Name,
    Record,
    Text,
    code,
    count,
    number,
    optional_code,
    optional_count,
    source_time,
)
from ingest.uscc import uscc_attrs

FEED = "labour"


class HeadcountSnapshot(Record):
    """用工快照: one enterprise's workforce on the monitoring day."""

    tyshxydm: Any  # 统一社会信用代码
    qymc: Name  # 企业名称
    jcrq: Any  # 监测日期 the day (or time) of the snapshot
    zgrs: Count  # 在岗人数 headcount
    xzrs: Any = None  # 新增人数 hires since the last one
    jsrs: Any = None  # 减少人数 separations
    qgrs: Any = None  # 缺工人数 vacancies
    cbrs: Any = None  # 参保人数 insured

    def __post_init__(self) -> None:
        self.tyshxydm = uscc(code(self.tyshxydm, "tyshxydm"))
        self.qymc = code(self.qymc, "qymc", 200)
        self.jcrq = source_time(self.jcrq, "jcrq")
        self.xzrs = optional_count(self.xzrs, "xzrs")
        self.jsrs = optional_count(self.jsrs, "jsrs")
        self.qgrs = optional_count(self.qgrs, "qgrs")
        self.cbrs = optional_count(self.cbrs, "cbrs")


class ArrearsAlert(Located, kw_only=True):
    """欠薪预警: unpaid wages reported or detected, to be dispatched as a case."""

    yjbh: Code  # 预警编号 alert number
    qymc: Name  # 企业名称 (the employer or general contractor)
    qxje: Any  # 欠薪金额 amount owed, 元
    sjrs: Any  # 涉及人数 workers affected
    yjsj: Any  # 预警时间
    tyshxydm: Any = None
    xmmc: str = ""  # 项目名称 construction project
    qxqj: str = ""  # 欠薪期间 months owed
    yjly: str = ""  # 预警来源 channel
    dz: Address = ""  # 地址
    zt: str = ""  # 处置状态
    qkms: Text = ""  # 情况描述 description

    def __post_init__(self) -> None:
        super().__post_init__()
        self.yjbh = code(self.yjbh, "yjbh")
        self.qymc = code(self.qymc, "qymc", 200)
        found = optional_code(self.tyshxydm, "tyshxydm")
        self.tyshxydm = uscc(found) if found else None
        self.qxje = number(self.qxje, "qxje", ge=0)
        self.sjrs = count(self.sjrs, "sjrs", gt=0)
        self.yjsj = source_time(self.yjsj, "yjsj")
        self.zt = self.zt.strip()


def severity(workers: int, amount: float) -> int:
    """1–4 by the table's thresholds: the number of workers or the amount, whichever is higher."""
    rows: list[dict[str, Any]] = mapping(FEED)["severity"]
    met = [int(r["level"]) for r in rows if workers >= r["workers"] or amount >= r["amount_yuan"]]
    return max(met, default=1)


def _snapshot(rec: HeadcountSnapshot, flags: Flags, point: Point | None) -> Draft:
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
        source_id=str(rec.tyshxydm),
        category="labour_snapshot",
        title=rec.qymc,
        occurred_at=rec.jcrq,
        attrs=attrs,
    )


def _arrears(rec: ArrearsAlert, flags: Flags, point: Point | None) -> Draft:
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
        point=point,
    )


ADAPTER = typed_feed(
    FEED,
    {"snapshot": (HeadcountSnapshot, _snapshot), "arrears": (ArrearsAlert, _arrears)},
    keys=("yjbh", "tyshxydm"),
)
