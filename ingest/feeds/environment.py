"""生态环境 (ecology): station telemetry and 12369 complaints, JSON: see docs/feeds/environment.md.

Both shapes arrive on one feed; a record's key fields say which it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from core.event import Event, content_id
from ingest.adapter import JsonFeed, RecordError
from ingest.coords import CRS, Point, SourcePoint, required
from ingest.mapping import mapping
from ingest.native import Address, Code, Record, Text, code, decode, finite, number, source_time

FEED = "environment"
Present = msgspec.Raw | msgspec.UnsetType  # a key that is there, whatever its value


class Shape(Record):
    """The key fields that tell the two shapes apart."""

    station: Present = msgspec.UNSET
    values: Present = msgspec.UNSET
    tsbh: Present = msgspec.UNSET
    tslx: Present = msgspec.UNSET


class StationReading(Record):
    """An automatic monitoring station's reading: air or surface water."""

    station: Code  # station code
    type: Annotated[str, msgspec.Meta(min_length=1)]  # air | water
    ts: str  # reading time, ISO 8601 with a zone (naive: Beijing)
    lon: float
    lat: float
    values: Annotated[dict[str, Any], msgspec.Meta(min_length=1)]  # quantity → number

    def __post_init__(self) -> None:
        self.station = code(self.station, "station")
        finite(self.lon, "lon")
        finite(self.lat, "lat")
        for name, value in self.values.items():
            if type(value) is not float:
                self.values[name] = _reading(name, value)

    def source_point(self) -> SourcePoint:
        return SourcePoint(self.lon, self.lat, CRS.WGS84)


def _reading(name: str, value: Any) -> float:
    # A flag or a gap among the readings is not a measurement; a number sent as text is.
    if value is None or type(value) is bool:
        word = "null" if value is None else str(value).lower()
        raise ValueError(f"field 'values': {name!r} is {word}, not a number")
    return number(value, f"values.{name}")


class Complaint(Record):
    """A 12369 environmental complaint (环保举报)."""

    tsbh: Code  # complaint number
    tslx: str  # 噪声 | 废气 | 废水 | 固废
    tssj: str  # complaint time, Beijing
    nr: Text = ""  # content, plain text
    dz: Address = ""  # address
    lon: float | None = None
    lat: float | None = None

    def __post_init__(self) -> None:
        self.tsbh = code(self.tsbh, "tsbh")
        self.tslx = self.tslx.strip()
        finite(self.lon, "lon")
        finite(self.lat, "lat")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("only one of lon/lat is given")

    def source_point(self) -> SourcePoint | None:
        if self.lon is None or self.lat is None:
            return None
        return SourcePoint(self.lon, self.lat, CRS.WGS84)


def _telemetry(
    rec: StationReading, raw: bytes, received_at: datetime, point: Point | None
) -> Event:
    station_type = rec.type.lower()
    kind = mapping(FEED)["station_types"].get(station_type)
    if kind is None:
        known = " or ".join(mapping(FEED)["station_types"])
        raise RecordError(f"type must be {known}, not {rec.type!r}")
    point = required(point)
    return Event(
        id=content_id(FEED, rec.station, raw),
        feed=FEED,
        kind="telemetry",
        source_id=rec.station,
        category=kind["category"],
        title=f"{kind['title']} {rec.station}",
        description=", ".join(f"{name} {number:g}" for name, number in rec.values.items()),
        occurred_at=source_time(rec.ts, "ts"),
        received_at=received_at,
        lon=point.lon,
        lat=point.lat,
        source_crs=point.crs,
        attrs={"station": rec.station, "station_type": station_type, "values": rec.values},
        raw=raw.decode(),
    )


def _complaint(rec: Complaint, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    category: str | None = mapping(FEED)["complaint_types"].get(rec.tslx)
    attrs: dict[str, Any] = {"channel": "12369", "complaint_type": rec.tslx}
    if category is None:
        category, attrs["unmapped_category"] = "other", True
    return Event(
        id=content_id(FEED, rec.tsbh, raw),
        feed=FEED,
        kind="report",
        source_id=rec.tsbh,
        category=category,
        title=f"12369 {rec.tslx}投诉" if rec.tslx else "12369 投诉",
        description=rec.nr,
        occurred_at=source_time(rec.tssj, "tssj"),
        received_at=received_at,
        lon=point.lon if point else None,
        lat=point.lat if point else None,
        source_crs=point.crs if point else None,
        address=rec.dz,
        attrs=attrs,
        raw=raw.decode(),
    )


def read(raw: bytes) -> StationReading | Complaint:
    """Telemetry or a complaint, told apart by their key fields."""
    shape = decode(Shape, raw)
    telemetry = shape.station is not msgspec.UNSET or shape.values is not msgspec.UNSET
    complaint = shape.tsbh is not msgspec.UNSET or shape.tslx is not msgspec.UNSET
    if telemetry and complaint:
        raise RecordError("ambiguous record: it has both station telemetry and 12369 fields")
    if telemetry:
        return decode(StationReading, raw)
    if complaint:
        return decode(Complaint, raw)
    raise RecordError(
        "neither station telemetry (station, values) nor a 12369 complaint (tsbh, tslx)"
    )


def to_event(
    rec: StationReading | Complaint, raw: bytes, received_at: datetime, point: Point | None
) -> Event:
    if isinstance(rec, StationReading):
        return _telemetry(rec, raw, received_at, point)
    return _complaint(rec, raw, received_at, point)


ADAPTER = JsonFeed(FEED, read, to_event, keys=("station", "tsbh"))
