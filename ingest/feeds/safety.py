"""安监 (work safety) enterprise hazards, JSON: see docs/feeds/safety.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from core.event import Event, Status, content_id
from core.times import beijing_day
from ingest.adapter import JsonFeed
from ingest.coords import CRS, Point, SourcePoint, required
from ingest.mapping import mapping
from ingest.native import Code, Record, Text, code, decode, finite, is_blank, source_time
from ingest.uscc import uscc_attrs

FEED = "safety"


class HazardRecord(Record):
    """A hazard found in an inspection (隐患排查); field names are the source's abbreviations."""

    yhbh: Code  # hazard number
    pcsj: str  # inspection time, Beijing
    lon: float
    lat: float
    qymc: Annotated[str, msgspec.Meta(max_length=200)] = ""  # enterprise name
    tyshxydm: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # USCC, GB 32100
    yhdj: str = ""  # 一般隐患 | 重大隐患
    yhms: Text = ""  # description, plain text
    zgqx: str | None = None  # rectification deadline (a date)
    zgzt: str = ""  # 未整改 | 整改中 | 已整改

    def __post_init__(self) -> None:
        self.yhbh = code(self.yhbh, "yhbh")
        self.yhdj, self.zgzt = self.yhdj.strip(), self.zgzt.strip()
        if self.tyshxydm is not None:
            self.tyshxydm = self.tyshxydm.strip()
        finite(self.lon, "lon")
        finite(self.lat, "lat")

    def source_point(self) -> SourcePoint:
        return SourcePoint(self.lon, self.lat, CRS.WGS84)


def _deadline(zgqx: str | None) -> str | None:
    """The deadline as an ISO date on Beijing's calendar (a time of day, if sent, is dropped)."""
    if is_blank(zgqx):
        return None
    return beijing_day(source_time(zgqx, "zgqx")).isoformat()


def _grade(yhdj: str) -> tuple[dict[str, Any], bool]:
    """Category and severity of the grade, and whether the table had to fall back."""
    table = mapping(FEED)
    grade: dict[str, Any] | None = table["grades"].get(yhdj)
    return (grade, False) if grade else (table["unmapped"], True)


def read(raw: bytes) -> HazardRecord:
    return decode(HazardRecord, raw)


def to_event(rec: HazardRecord, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    point = required(point)
    grade, unmapped = _grade(rec.yhdj)
    attrs: dict[str, Any] = {
        "enterprise": rec.qymc,
        **uscc_attrs(rec.tyshxydm, required=True),
        "grade": rec.yhdj,
        "deadline": _deadline(rec.zgqx),
    }
    if unmapped:
        attrs["unmapped_category"] = True
    status: Status | None = mapping(FEED)["status"].get(rec.zgzt)
    return Event(
        id=content_id(FEED, rec.yhbh, raw),
        feed=FEED,
        kind="report",
        source_id=rec.yhbh,
        category=grade["category"],
        severity=grade["severity"],
        title=rec.qymc or rec.yhdj or "企业隐患",
        description=rec.yhms,
        occurred_at=source_time(rec.pcsj, "pcsj"),
        received_at=received_at,
        lon=point.lon,
        lat=point.lat,
        source_crs=point.crs,
        source_status=rec.zgzt,
        status=status,
        attrs=attrs,
        raw=raw.decode(),
    )


ADAPTER = JsonFeed(FEED, read, to_event, keys=("yhbh",))
