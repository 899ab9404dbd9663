"""便民服务中心 one-window service cases (办件), JSON: see docs/feeds/modules.md#service_hall."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from core.event import Event, Status
from core.times import beijing_day
from ingest.adapter import JsonFeed, RecordError
from ingest.coords import Point
from ingest.feeds._module_common import Draft, Flags, build, iso
from ingest.mapping import mapping
from ingest.native import (
    Name,
    Record,
    Text,
    code,
    decode,
    optional_count,
    optional_time,
    source_time,
)

FEED = "service_hall"


class ServiceCase(Record):
    """One 办件 as the hall's system exports it; times are Beijing time."""

    bjbh: Any  # 办件编号 case number
    sxmc: Name  # 事项名称 item name
    ck: Any  # 窗口 window
    blfs: Name  # 办理方式 即办件 | 承诺件 | 不见面审批
    slsj: Any  # 受理时间 accepted
    sxbm: Any = ""  # 事项编码 item code
    sxlx: str = ""  # 事项类型 item type
    bm: str = ""  # 承办部门 department
    bjsj: Any = None  # 办结时间 finished
    cnsx: Any = None  # 承诺时限 promised working days
    zt: str = ""  # 状态 status
    pj: str = ""  # 好差评 rating
    bz: Text = ""  # 备注 remark

    def __post_init__(self) -> None:
        self.bjbh = code(self.bjbh, "bjbh")
        self.sxmc = code(self.sxmc, "sxmc", 200)
        self.ck = code(self.ck, "ck")
        self.blfs = code(self.blfs, "blfs", 200)
        self.slsj = source_time(self.slsj, "slsj")
        self.sxbm = str(self.sxbm).strip() if self.sxbm is not None else ""
        self.bjsj = optional_time(self.bjsj, "bjsj")
        self.cnsx = optional_count(self.cnsx, "cnsx", le=365)
        self.zt, self.pj = self.zt.strip(), self.pj.strip()
        if self.bjsj is not None and self.bjsj < self.slsj:
            raise ValueError("bjsj (finished) is before slsj (accepted)")


class Promise(NamedTuple):
    days: int | None
    due: date | None
    overdue: bool | None


def promise(rec: ServiceCase, mode: str | None) -> Promise:
    """The promised finishing day and whether it was kept.

    cnsx counts working days, but the holiday calendar lives in cases/: until it is wired in,
    the promise is counted in calendar days from the Beijing day of acceptance, which is
    stricter (a case may be flagged overdue that met a working-day promise over a weekend).
    """
    days = rec.cnsx
    if days is None and mode == "instant":
        days = 0
    if days is None:
        if mode == "promised":
            raise RecordError("cnsx (promised working days) is required for a 承诺件")
        return Promise(None, None, None)
    due = beijing_day(rec.slsj) + timedelta(days=days)
    overdue = beijing_day(rec.bjsj) > due if rec.bjsj is not None else None
    return Promise(days, due, overdue)


def _status(rec: ServiceCase, flags: Flags) -> str | None:
    if not rec.zt:
        return "finished" if rec.bjsj is not None else "accepted"
    status: str | None = flags.lookup("status", rec.zt, "unmapped_status")
    flags.raise_if(status == "finished" and rec.bjsj is None, "finished_without_time")
    return status


def _attrs(rec: ServiceCase, flags: Flags) -> dict[str, Any]:
    mode: str | None = flags.lookup("modes", rec.blfs, "unmapped_mode")
    kept = promise(rec, mode)
    minutes = (rec.bjsj - rec.slsj).total_seconds() // 60 if rec.bjsj else None
    return {
        "item": rec.sxmc,
        "item_code": rec.sxbm,
        "item_type": rec.sxlx,
        "department": rec.bm,
        "window": rec.ck,
        "mode": mode,
        "status": _status(rec, flags),
        "accepted_at": iso(rec.slsj),
        "finished_at": iso(rec.bjsj),
        "promised_days": kept.days,
        "promised_by": kept.due.isoformat() if kept.due else None,
        "overdue_promise": kept.overdue,
        "handling_minutes": int(minutes) if minutes is not None else None,
        "rating": flags.lookup("ratings", rec.pj, "unmapped_rating"),
    }


def read(raw: bytes) -> ServiceCase:
    return decode(ServiceCase, raw)


def to_event(rec: ServiceCase, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    flags = Flags(FEED)
    attrs = _attrs(rec, flags)
    lifecycle: Status | None = mapping(FEED)["lifecycle"].get(attrs["status"])
    draft = Draft(
        kind="metric",
        source_id=rec.bjbh,
        category="service_case",
        title=rec.sxmc,
        description=rec.bz,
        occurred_at=rec.bjsj or rec.slsj,
        attrs=attrs,
        status=lifecycle,
        source_status=rec.zt,
    )
    return build(draft, raw, received_at, flags)


ADAPTER = JsonFeed(FEED, read, to_event, keys=("bjbh",))
