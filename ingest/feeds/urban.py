"""数字城管 (digital urban management) cases, JSON: see docs/feeds.md#urban."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from core.event import Event, Status, content_id
from ingest.adapter import JsonFeed
from ingest.coords import Point, SourcePoint, required
from ingest.mapping import CodeTable, code_table, mapping
from ingest.native import Address, Code, Record, Text, code, decode, finite, source_time

FEED = "urban"
LOCAL = "urban_local"  # the town's own codes, beside the standard's (CJ/T 214-2007)
KEY = re.compile(r"(事件|部件):\d{4}")


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
        number = type(self.xlbm) is int
        self.xlbm = code(self.xlbm, "xlbm")
        if number:  # a JSON number lost the code's leading zero: 505 is 0505
            self.xlbm = self.xlbm.zfill(4)
        self.ajlx, self.xlmc, self.zt = self.ajlx.strip(), self.xlmc.strip(), self.zt.strip()
        if self.ajlx not in ("事件", "部件"):
            raise ValueError(f"field 'ajlx': must be 事件 or 部件, not {self.ajlx!r}")
        finite(self.zbx, "zbx")
        finite(self.zby, "zby")

    def source_point(self) -> SourcePoint:
        return SourcePoint(self.zbx, self.zby, self.zbxt)


def codes() -> CodeTable:
    """The standard's codes with the town's local ones (ingest/mappings/urban*.json)."""
    return code_table(FEED, LOCAL, KEY)


def _meaning(rec: UrbanRecord) -> tuple[str, str, dict[str, Any]]:
    """Category, title and flags: the code decides (its name sent wrong is flagged), then the
    minor-class name, then 'other' flagged unmapped."""
    table = codes()
    key = f"{rec.ajlx}:{rec.xlbm}"
    found = table.codes.get(key)
    if found is None:
        by_name = table.names.get(rec.xlmc)
        flags = {} if by_name else {"unmapped_category": True}
        return by_name or "other", rec.xlmc or rec.dlmc or str(rec.xlbm), flags
    if rec.xlmc and not found.named(rec.xlmc):
        mismatch = {"code": key, "sent_name": rec.xlmc, "standard_name": found.name}
        return found.category, found.name, {"code_name_mismatch": mismatch}
    return found.category, rec.xlmc or found.name, {}


def _status(zt: str) -> Status | None:
    meaning: Status | None = mapping(FEED)["status"].get(zt)
    return meaning


def read(raw: bytes) -> UrbanRecord:
    return decode(UrbanRecord, raw)


def to_event(rec: UrbanRecord, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    point = required(point)
    category, title, flags = _meaning(rec)
    attrs: dict[str, Any] = {
        "channel": rec.wtly,
        "type": rec.ajlx,
        "major_class": rec.dlmc,
        "minor_class": rec.xlmc,
        "minor_code": str(rec.xlbm),
        "photos": rec.tp,
        "source_lon": rec.zbx,
        "source_lat": rec.zby,
        **flags,
    }
    return Event(
        id=content_id(FEED, rec.ajbh, raw),
        feed=FEED,
        kind="report",
        source_id=rec.ajbh,
        category=category,
        title=title,
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
codes()  # load and check the code tables at start-up: a broken one stops the intake loudly
