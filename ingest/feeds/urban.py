"""数字城管 (digital urban management) cases, JSON: see docs/feeds.md#urban."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ingest.adapter import RecordError, Result, parse_json_body
from ingest.coords import parse_crs, to_wgs84
from ingest.event import Event, Status, content_id
from ingest.mapping import mapping
from ingest.payload import RawRecord
from ingest.times import parse_source_time

FEED = "urban"


class UrbanRecord(BaseModel):
    """The native record; field names are the source's pinyin abbreviations."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    ajbh: str = Field(min_length=1, max_length=64, description="case number")
    wtly: str = Field(default="", description="channel")
    ajlx: str = Field(default="事件", description="事件 event or 部件 component")
    dlmc: str = ""
    xlmc: str = ""
    xlbm: str = Field(min_length=1, description="minor-class code")
    wtms: str = Field(default="", max_length=4000, description="description, plain text")
    dz: str = Field(default="", max_length=500)
    zbx: float = Field(allow_inf_nan=False, description="longitude")
    zby: float = Field(allow_inf_nan=False, description="latitude")
    zbxt: str = Field(description="WGS84 | CGCS2000 | GCJ02 | BD09")
    sbsj: str = Field(description="report time, Beijing")
    zt: str = ""
    tp: list[str] = Field(default_factory=list)

    @field_validator("ajlx")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ("事件", "部件"):
            raise ValueError(f"ajlx must be 事件 or 部件, not {value!r}")
        return value


def _category(rec: UrbanRecord) -> tuple[str, bool]:
    """The internal category and whether the table had to fall back to 'other'."""
    table = mapping(FEED)
    code = table["categories"].get(f"{rec.ajlx}:{rec.xlbm}") or table["category_names"].get(
        rec.xlmc
    )
    return (code, False) if code else ("other", True)


def _status(zt: str) -> Status | None:
    meaning: Status | None = mapping(FEED)["status"].get(zt)
    return meaning


def to_event(record: RawRecord, received_at: datetime) -> Event:
    if not isinstance(record.value, dict):
        raise RecordError(f"a record must be a JSON object, not {type(record.value).__name__}")
    rec = UrbanRecord.model_validate(record.value)
    lon, lat = to_wgs84(rec.zbx, rec.zby, parse_crs(rec.zbxt))
    category, unmapped = _category(rec)
    attrs: dict[str, Any] = {
        "channel": rec.wtly,
        "type": rec.ajlx,
        "major_class": rec.dlmc,
        "minor_class": rec.xlmc,
        "minor_code": rec.xlbm,
        "photos": rec.tp,
        "source_lon": rec.zbx,
        "source_lat": rec.zby,
    }
    if unmapped:
        attrs["unmapped_category"] = True
    return Event(
        id=content_id(FEED, rec.ajbh, record.value),
        feed=FEED,
        kind="report",
        source_id=rec.ajbh,
        category=category,
        title=rec.xlmc or rec.dlmc or rec.xlbm,
        description=rec.wtms,
        occurred_at=parse_source_time(rec.sbsj),
        received_at=received_at,
        lon=lon,
        lat=lat,
        source_crs=parse_crs(rec.zbxt).value,
        address=rec.dz,
        source_status=rec.zt,
        status=_status(rec.zt),
        attrs=attrs,
        raw=record.raw,
    )


class UrbanAdapter:
    feed = FEED

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        return parse_json_body(FEED, body, received_at, to_event, key_field="ajbh")


ADAPTER = UrbanAdapter()
