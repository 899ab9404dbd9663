"""安监 (work safety) enterprise hazards, JSON: see docs/feeds/safety.md."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat

from ingest.adapter import RecordError, Result, parse_json_body
from ingest.coords import CRS, to_wgs84
from ingest.event import Event, Status, content_id
from ingest.mapping import mapping
from ingest.payload import RawRecord
from ingest.times import beijing, parse_source_time
from ingest.uscc import uscc_attrs

FEED = "safety"


class HazardRecord(BaseModel):
    """A hazard found in an inspection (隐患排查); field names are the source's abbreviations."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    yhbh: str = Field(min_length=1, max_length=64, description="hazard number")
    qymc: str = Field(default="", max_length=200, description="enterprise name")
    tyshxydm: str | None = Field(default=None, max_length=64, description="USCC, GB 32100")
    yhdj: str = Field(default="", description="一般隐患 | 重大隐患")
    yhms: str = Field(default="", max_length=4000, description="description, plain text")
    pcsj: str = Field(description="inspection time, Beijing")
    zgqx: str | None = Field(default=None, description="rectification deadline (a date)")
    zgzt: str = Field(default="", description="未整改 | 整改中 | 已整改")
    lon: FiniteFloat
    lat: FiniteFloat


def _deadline(zgqx: str | None) -> str | None:
    """The deadline as an ISO date on Beijing's calendar (a time of day, if sent, is dropped)."""
    if not zgqx:
        return None
    try:
        return beijing(parse_source_time(zgqx)).date().isoformat()
    except ValueError as exc:
        raise RecordError(f"zgqx: {exc}") from None


def _grade(yhdj: str) -> tuple[dict[str, Any], bool]:
    """Category and severity of the grade, and whether the table had to fall back."""
    table = mapping(FEED)
    grade: dict[str, Any] | None = table["grades"].get(yhdj)
    return (grade, False) if grade else (table["unmapped"], True)


def to_event(record: RawRecord, received_at: datetime) -> Event:
    if not isinstance(record.value, dict):
        raise RecordError(f"a record must be a JSON object, not {type(record.value).__name__}")
    rec = HazardRecord.model_validate(record.value)
    lon, lat = to_wgs84(rec.lon, rec.lat, CRS.WGS84)
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
        id=content_id(FEED, rec.yhbh, record.value),
        feed=FEED,
        kind="report",
        source_id=rec.yhbh,
        category=grade["category"],
        severity=grade["severity"],
        title=rec.qymc or rec.yhdj or "企业隐患",
        description=rec.yhms,
        occurred_at=parse_source_time(rec.pcsj),
        received_at=received_at,
        lon=lon,
        lat=lat,
        source_crs=CRS.WGS84.value,
        source_status=rec.zgzt,
        status=status,
        attrs=attrs,
        raw=record.raw,
    )


class SafetyAdapter:
    feed = FEED

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        return parse_json_body(FEED, body, received_at, to_event, key_field="yhbh")


ADAPTER = SafetyAdapter()
