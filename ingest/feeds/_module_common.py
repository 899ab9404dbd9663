"""What the six module feeds share: field types, look-ups, the USCC check, Event assembly.

The underscore keeps feed discovery away: this module is not a feed. See
docs/feeds/modules.md for the formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ingest.adapter import RecordError, Result, parse_json_body
from ingest.coords import parse_crs, to_wgs84
from ingest.event import DeadLetter, Event, Kind, Status, content_id
from ingest.mapping import mapping
from ingest.payload import RawRecord
from ingest.times import beijing, parse_source_time
from ingest.uscc import compact

_MONTH = re.compile(r"(\d{4})\s*[-/年.]?\s*(\d{1,2})\s*月?")


def _not_bool(value: object) -> object:
    # pydantic would read true as 1: a count that says "true" is a broken record.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, not {str(value).lower()}")
    return value


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _time(value: object) -> object:
    if isinstance(value, datetime):
        value = value.isoformat()  # a naive one is Beijing time, as in the payloads
    if not isinstance(value, str):
        raise ValueError(f"expected a time such as 2026-11-28 09:12:33, not {value!r}")
    return parse_source_time(value)


def _month(value: object) -> str:
    match = _MONTH.fullmatch(str(value).strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"expected a month such as 2026-10, not {value!r}")
    return f"{match[1]}-{int(match[2]):02d}"


def _yes_no(value: object) -> object:
    words = {"是": True, "否": False, "Y": True, "N": False, "1": True, "0": False}
    if isinstance(value, bool):
        return value
    word = str(value).strip().upper()
    if word in words:
        return words[word]
    raise ValueError(f"expected 是 or 否, not {value!r}")


def _compact_uscc(value: object) -> object:
    return compact(value) if isinstance(value, str) else value


Blank = BeforeValidator(_blank_is_none)
Code = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=4000)]
Count = Annotated[int, BeforeValidator(_not_bool), Field(ge=0)]
Positive = Annotated[int, BeforeValidator(_not_bool), Field(gt=0)]
Amount = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, allow_inf_nan=False)]
Number = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False)]
SourceTime = Annotated[datetime, BeforeValidator(_time)]
Month = Annotated[str, BeforeValidator(_month)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]
Uscc = Annotated[str, BeforeValidator(_compact_uscc), Field(min_length=1, max_length=64)]


class ModuleRecord(BaseModel):
    """A native record: pinyin field names; unknown fields are kept in the raw payload."""

    model_config = ConfigDict(
        extra="allow", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True
    )


class Located(ModuleRecord):
    """A record that may carry a point: zbx/zby in the coordinate system zbxt."""

    zbx: Annotated[Number | None, Blank] = None
    zby: Annotated[Number | None, Blank] = None
    zbxt: str = ""

    @model_validator(mode="after")
    def _whole_point(self) -> Located:
        if (self.zbx is None) != (self.zby is None):
            raise ValueError("zbx and zby come together: give both or neither")
        if self.zbx is not None and not self.zbxt:
            raise ValueError("zbxt (WGS84, CGCS2000, GCJ02 or BD09) is required with zbx/zby")
        return self


@dataclass(frozen=True, slots=True)
class Point:
    lon: float
    lat: float
    crs: str


def locate(rec: Located) -> Point | None:
    """The record's point in WGS84, converted at the edge; None when it has none."""
    if rec.zbx is None or rec.zby is None:
        return None
    crs = parse_crs(rec.zbxt)
    lon, lat = to_wgs84(rec.zbx, rec.zby, crs)
    return Point(lon, lat, crs.value)


@dataclass
class Flags:
    """Doubts about one record, each kept as an attr set to true; never a reason to drop it."""

    feed: str
    raised: set[str] = field(default_factory=set)

    def raise_if(self, condition: bool, flag: str) -> None:
        if condition:
            self.raised.add(flag)

    def lookup(self, table: str, word: str, flag: str) -> Any:
        """The meaning of a source word in the feed's mapping table; flags a word it lacks."""
        if not word:
            return None
        meaning = mapping(self.feed)[table].get(word)
        self.raise_if(meaning is None, flag)
        return meaning


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything of an Event that the feed decides; the rest is filled in by ``build``."""

    kind: Kind
    source_id: str
    category: str
    title: str
    occurred_at: datetime
    attrs: dict[str, Any]
    description: str = ""
    status: Status | None = None
    source_status: str = ""
    severity: int = 1
    address: str = ""
    point: Point | None = None


def build(draft: Draft, record: RawRecord, received_at: datetime, flags: Flags) -> Event:
    """The Event: its id comes from the record's content, never from when it arrived."""
    point = draft.point
    return Event(
        id=content_id(flags.feed, draft.source_id, record.value),
        feed=flags.feed,
        kind=draft.kind,
        source_id=draft.source_id,
        category=draft.category,
        title=draft.title,
        description=draft.description,
        occurred_at=draft.occurred_at,
        received_at=received_at,
        lon=point.lon if point else None,
        lat=point.lat if point else None,
        source_crs=point.crs if point else None,
        address=draft.address,
        severity=draft.severity,
        source_status=draft.source_status,
        status=draft.status,
        attrs={**draft.attrs, **dict.fromkeys(sorted(flags.raised), True)},
        raw=record.raw,
    )


def as_object(record: RawRecord) -> dict[str, Any]:
    if not isinstance(record.value, dict):
        raise RecordError(f"a record must be a JSON object, not {type(record.value).__name__}")
    return record.value


def record_type(feed: str, value: dict[str, Any]) -> str:
    """Which of a feed's record types (field sjlx) this record is, by the mapping table."""
    types: dict[str, str] = mapping(feed)["record_types"]
    word = str(value.get("sjlx") or "").strip()
    if not word:
        raise RecordError("missing required field 'sjlx' (the record type)")
    if word not in types:
        known = ", ".join(sorted(types))
        raise RecordError(f"field 'sjlx': unknown record type {word!r} (expected one of {known})")
    return types[word]


def iso(value: datetime | None) -> str | None:
    """A time for attrs: UTC ISO 8601 text, so that the event survives a JSON round trip."""
    return value.isoformat() if value is not None else None


def beijing_day(value: datetime) -> date:
    return beijing(value).date()


def ratio(part: int, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class ModuleAdapter:
    """A module feed: its name, its record → Event function and the fields that key a record."""

    feed: str
    to_event: Callable[[RawRecord, datetime], Event]
    keys: tuple[str, ...]

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        for result in parse_json_body(self.feed, body, received_at, self.to_event, self.keys[0]):
            yield self._keyed(result)

    def _keyed(self, result: Result) -> Result:
        # Feeds with two record types key them by different fields: name the dead letter's
        # record by whichever key it has.
        if not isinstance(result, DeadLetter) or result.source_id or result.scope != "record":
            return result
        try:
            value = orjson.loads(result.raw)
        except orjson.JSONDecodeError:
            return result
        if not isinstance(value, dict):
            return result
        key = next((value[k] for k in self.keys if value.get(k) not in (None, "")), None)
        return result.model_copy(update={"source_id": str(key)}) if key is not None else result
