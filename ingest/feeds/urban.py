"""数字城管 (digital urban management) cases, JSON: see docs/feeds.md#urban."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from core.event import Event, Status, content_id
from ingest.adapter import JsonFeed
from ingest.coords import Point, SourcePoint, required
from ingest.mapping import mapping
from ingest.native import Address, Code, Record, Text, code, decode, finite, source_time

FEED = "urban"


class UrbanRecord(Record):
    """The native record; field names are the source's pinyin abbreviations."""

    ajbh: Code  # case number
    xlbm: str | int  # minor-class code
    zbx: float  # longitude
    zby: float  # latitude
    zbxt: str  # WGS84 | CGCS2000 | GCJ02 | BD09
    sbsj: str  # report time, Beijing
    wtly: str = ""  # channel
    ajlx: str = "事件"  # 事件 event or 部件 component
    dlmc: str = ""
    xlmc: str = ""
    wtms: Text = ""  # description, plain text
    dz: Address = ""
    zt: str = ""
    tp: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        self.ajbh = code(self.ajbh, "ajbh")
        self.xlbm = code(self.xlbm, "xlbm")
        self.ajlx, self.xlmc, self.zt = self.ajlx.strip(), self.xlmc.strip(), self.zt.strip()
        if self.ajlx not in ("事件", "部件"):
            raise ValueError(f"field 'ajlx': must be 事件 or 部件, not {self.ajlx!r}")
        finite(self.zbx, "zbx")
        finite(self.zby, "zby")

    def source_point(self) -> SourcePoint:
        return SourcePoint(self.zbx, self.zby, self.zbxt)


def _category(rec: UrbanRecord) -> tuple[str, bool]:
    """The internal category and whether the table had to fall back to 'other'."""
    table = mapping(FEED)
    found = table["categories"].get(f"{rec.ajlx}:{rec.xlbm}") or table["category_names"].get(
        rec.xlmc
    )
    return (found, False) if found else ("other", True)


def _status(zt: str) -> Status | None:
    meaning: Status | None = mapping(FEED)["status"].get(zt)
    return meaning


def read(raw: bytes) -> UrbanRecord:
    return decode(UrbanRecord, raw)


def to_event(rec: UrbanRecord, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    point = required(point)
    category, unmapped = _category(rec)
    attrs: dict[str, Any] = {
        "channel": rec.wtly,
        "type": rec.ajlx,
        "major_class": rec.dlmc,
        "minor_class": rec.xlmc,
        "minor_code": str(rec.xlbm),
        "photos": rec.tp,
        "source_lon": rec.zbx,
        "source_lat": rec.zby,
    }
    if unmapped:
        attrs["unmapped_category"] = True
    return Event(
        id=content_id(FEED, rec.ajbh, raw),
        feed=FEED,
        kind="report",
        source_id=rec.ajbh,
        category=category,
        title=rec.xlmc or rec.dlmc or str(rec.xlbm),
        description=rec.wtms,
        occurred_at=source_time(rec.sbsj, "sbsj"),
        received_at=received_at,
        lon=point.lon,
        lat=point.lat,
        source_crs=point.crs,
        address=rec.dz,
        source_status=rec.zt,
        status=_status(rec.zt),
        attrs=attrs,
        raw=raw.decode(),
    )


ADAPTER = JsonFeed(FEED, read, to_event, keys=("ajbh",))
