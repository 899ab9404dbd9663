"""水利 (water resources) rain and river gauges, SL 323 field names, JSON: see docs/feeds/water.md.

A reading carries no coordinates: the gauge's position belongs to a station registry, which
the engine will consult; until then the event has no point.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from core.event import Event, content_id
from ingest.adapter import JsonFeed
from ingest.coords import Point
from ingest.mapping import mapping
from ingest.native import Record, code, decode, finite, source_time

FEED = "water"
LEVELS = ("z", "wrz", "grz")


class GaugeReading(Record):
    """One row of the real-time hydrological database (SL 323): levels in m, rainfall in mm."""

    stcd: str | int  # station code; some exports write an all-digit code as a JSON number
    tm: str  # reading time, Beijing
    stnm: Annotated[str, msgspec.Meta(max_length=200)] = ""  # station name
    z: float | None = None  # water level
    wrz: float | None = None  # warning level 警戒水位
    grz: float | None = None  # guaranteed level 保证水位
    drp: Annotated[float, msgspec.Meta(ge=0)] | None = None  # rainfall in the period

    def __post_init__(self) -> None:
        self.stcd = code(self.stcd, "stcd")
        for name in ("z", "wrz", "grz", "drp"):
            finite(getattr(self, name), name)
        if self.z is None and self.drp is None:
            raise ValueError("a reading needs z (water level) or drp (rainfall); it has neither")
        if self.wrz is not None and self.grz is not None and self.wrz > self.grz:
            raise ValueError(
                f"warning level wrz {self.wrz:g} is above guaranteed level grz {self.grz:g}"
            )


def _summary(rec: GaugeReading) -> str:
    parts = [f"{name} {value:g} m" for name in LEVELS if (value := getattr(rec, name)) is not None]
    if rec.drp is not None:
        parts.append(f"drp {rec.drp:g} mm")
    return ", ".join(parts)


def read(raw: bytes) -> GaugeReading:
    return decode(GaugeReading, raw)


def to_event(rec: GaugeReading, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    station = str(rec.stcd)
    attrs: dict[str, Any] = {
        "station": station,
        "name": rec.stnm,
        "z": rec.z,
        "wrz": rec.wrz,
        "grz": rec.grz,
        "drp": rec.drp,
    }
    return Event(
        id=content_id(FEED, station, raw),
        feed=FEED,
        kind="telemetry",
        source_id=station,
        category=mapping(FEED)["category"],
        title=rec.stnm or station,
        description=_summary(rec),
        occurred_at=source_time(rec.tm, "tm"),
        received_at=received_at,
        attrs=attrs,
        raw=raw.decode(),
    )


ADAPTER = JsonFeed(FEED, read, to_event, keys=("stcd",))
