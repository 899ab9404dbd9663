"""水利 (water resources) rain and river gauges, SL 323 field names, JSON: see docs/feeds/water.md.

A reading carries no coordinates: the gauge's position belongs to a station registry, which
the engine will consult; until then the event has no point.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, FiniteFloat, field_validator

from ingest.adapter import RecordError, Result, parse_json_body
from ingest.event import Event, content_id
from ingest.mapping import mapping
from ingest.payload import RawRecord
from ingest.times import parse_source_time

FEED = "water"
LEVELS = ("z", "wrz", "grz")


class GaugeReading(BaseModel):
    """One row of the real-time hydrological database (SL 323): levels in m, rainfall in mm."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    stcd: str = Field(min_length=1, max_length=64, description="station code")
    stnm: str = Field(default="", max_length=200, description="station name")
    tm: str = Field(description="reading time, Beijing")
    z: FiniteFloat | None = Field(default=None, description="water level")
    wrz: FiniteFloat | None = Field(default=None, description="warning level 警戒水位")
    grz: FiniteFloat | None = Field(default=None, description="guaranteed level 保证水位")
    drp: FiniteFloat | None = Field(default=None, ge=0, description="rainfall in the period")

    @field_validator("stcd", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        # Some exports write an all-digit station code as a JSON number.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value


def _check(rec: GaugeReading) -> None:
    if rec.z is None and rec.drp is None:
        raise RecordError("a reading needs z (water level) or drp (rainfall); it has neither")
    if rec.wrz is not None and rec.grz is not None and rec.wrz > rec.grz:
        raise RecordError(
            f"warning level wrz {rec.wrz:g} is above guaranteed level grz {rec.grz:g}"
        )


def _summary(rec: GaugeReading) -> str:
    parts = [f"{name} {value:g} m" for name in LEVELS if (value := getattr(rec, name)) is not None]
    if rec.drp is not None:
        parts.append(f"drp {rec.drp:g} mm")
    return ", ".join(parts)


def to_event(record: RawRecord, received_at: datetime) -> Event:
    if not isinstance(record.value, dict):
        raise RecordError(f"a record must be a JSON object, not {type(record.value).__name__}")
    rec = GaugeReading.model_validate(record.value)
    _check(rec)
    attrs: dict[str, Any] = {
        "station": rec.stcd,
        "name": rec.stnm,
        "z": rec.z,
        "wrz": rec.wrz,
        "grz": rec.grz,
        "drp": rec.drp,
    }
    return Event(
        id=content_id(FEED, rec.stcd, record.value),
        feed=FEED,
        kind="telemetry",
        source_id=rec.stcd,
        category=mapping(FEED)["category"],
        title=rec.stnm or rec.stcd,
        description=_summary(rec),
        occurred_at=parse_source_time(rec.tm),
        received_at=received_at,
        attrs=attrs,
        raw=record.raw,
    )


class WaterAdapter:
    feed = FEED

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        return parse_json_body(FEED, body, received_at, to_event, key_field="stcd")


ADAPTER = WaterAdapter()
