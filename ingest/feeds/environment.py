"""生态环境 (ecology): station telemetry and 12369 complaints, JSON: see docs/feeds/environment.md.

Both shapes arrive on one feed; a record's key fields say which it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, ValidationError, field_validator

from ingest.adapter import RecordError, Result, describe
from ingest.coords import CRS, to_wgs84
from ingest.event import DeadLetter, Event, content_id
from ingest.mapping import mapping
from ingest.payload import BodyError, RawRecord, json_records
from ingest.times import parse_source_time

FEED = "environment"
TELEMETRY_KEYS = frozenset({"station", "values"})
COMPLAINT_KEYS = frozenset({"tsbh", "tslx"})


class StationReading(BaseModel):
    """An automatic monitoring station's reading: air or surface water."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    station: str = Field(min_length=1, max_length=64, description="station code")
    type: str = Field(min_length=1, description="air | water")
    ts: str = Field(description="reading time, ISO 8601 with a zone (naive: Beijing)")
    lon: float = Field(allow_inf_nan=False)
    lat: float = Field(allow_inf_nan=False)
    values: dict[str, FiniteFloat] = Field(min_length=1, description="measured quantity → number")

    @field_validator("values", mode="before")
    @classmethod
    def _numbers_only(cls, value: Any) -> Any:
        # pydantic would read true as 1.0; a flag among the readings is not a measurement.
        if isinstance(value, dict):
            for name, number in value.items():
                if isinstance(number, bool) or number is None:
                    word = "null" if number is None else str(number).lower()
                    raise ValueError(f"{name!r} is {word}, not a number")
        return value


class Complaint(BaseModel):
    """A 12369 environmental complaint (环保举报)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    tsbh: str = Field(min_length=1, max_length=64, description="complaint number")
    tslx: str = Field(description="噪声 | 废气 | 废水 | 固废")
    nr: str = Field(default="", max_length=4000, description="content, plain text")
    dz: str = Field(default="", max_length=500, description="address")
    lon: float | None = Field(default=None, allow_inf_nan=False)
    lat: float | None = Field(default=None, allow_inf_nan=False)
    tssj: str = Field(description="complaint time, Beijing")


def _point(lon: float | None, lat: float | None) -> tuple[float | None, float | None]:
    if lon is None and lat is None:
        return None, None
    if lon is None or lat is None:
        raise RecordError("only one of lon/lat is given")
    return to_wgs84(lon, lat, CRS.WGS84)


def _telemetry(record: RawRecord, received_at: datetime) -> Event:
    rec = StationReading.model_validate(record.value)
    station_type = rec.type.lower()
    kind = mapping(FEED)["station_types"].get(station_type)
    if kind is None:
        known = " or ".join(mapping(FEED)["station_types"])
        raise RecordError(f"type must be {known}, not {rec.type!r}")
    lon, lat = to_wgs84(rec.lon, rec.lat, CRS.WGS84)
    return Event(
        id=content_id(FEED, rec.station, record.value),
        feed=FEED,
        kind="telemetry",
        source_id=rec.station,
        category=kind["category"],
        title=f"{kind['title']} {rec.station}",
        description=", ".join(f"{name} {number:g}" for name, number in rec.values.items()),
        occurred_at=parse_source_time(rec.ts),
        received_at=received_at,
        lon=lon,
        lat=lat,
        source_crs=CRS.WGS84.value,
        attrs={"station": rec.station, "station_type": station_type, "values": rec.values},
        raw=record.raw,
    )


def _complaint(record: RawRecord, received_at: datetime) -> Event:
    rec = Complaint.model_validate(record.value)
    lon, lat = _point(rec.lon, rec.lat)
    category: str | None = mapping(FEED)["complaint_types"].get(rec.tslx)
    attrs: dict[str, Any] = {"channel": "12369", "complaint_type": rec.tslx}
    if category is None:
        category, attrs["unmapped_category"] = "other", True
    return Event(
        id=content_id(FEED, rec.tsbh, record.value),
        feed=FEED,
        kind="report",
        source_id=rec.tsbh,
        category=category,
        title=f"12369 {rec.tslx}投诉" if rec.tslx else "12369 投诉",
        description=rec.nr,
        occurred_at=parse_source_time(rec.tssj),
        received_at=received_at,
        lon=lon,
        lat=lat,
        source_crs=CRS.WGS84.value if lon is not None else None,
        address=rec.dz,
        attrs=attrs,
        raw=record.raw,
    )


def to_event(record: RawRecord, received_at: datetime) -> Event:
    """Telemetry or a complaint, told apart by their key fields."""
    if not isinstance(record.value, dict):
        raise RecordError(f"a record must be a JSON object, not {type(record.value).__name__}")
    telemetry = not TELEMETRY_KEYS.isdisjoint(record.value)
    complaint = not COMPLAINT_KEYS.isdisjoint(record.value)
    if telemetry and complaint:
        raise RecordError("ambiguous record: it has both station telemetry and 12369 fields")
    if telemetry:
        return _telemetry(record, received_at)
    if complaint:
        return _complaint(record, received_at)
    raise RecordError(
        "neither station telemetry (station, values) nor a 12369 complaint (tsbh, tslx)"
    )


def _source_id(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    key = value.get("station", value.get("tsbh"))
    return str(key) if key not in (None, "") else None


class EnvironmentAdapter:
    feed = FEED

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        try:
            records = list(json_records(body))
        except BodyError as exc:
            raw = body.decode("utf-8", errors="replace")
            yield DeadLetter(
                feed=FEED, reason=str(exc), raw=raw, received_at=received_at, scope="body"
            )
            return
        for record in records:
            try:
                yield to_event(record, received_at)
            except ValidationError as exc:
                yield self._dead(record, describe(exc), received_at)
            except ValueError as exc:
                yield self._dead(record, str(exc), received_at)

    @staticmethod
    def _dead(record: RawRecord, reason: str, received_at: datetime) -> DeadLetter:
        return DeadLetter(
            feed=FEED,
            reason=reason,
            raw=record.raw,
            received_at=received_at,
            source_id=_source_id(record.value),
        )


ADAPTER = EnvironmentAdapter()
