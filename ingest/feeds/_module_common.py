"""What the six module feeds share: field types, look-ups, the USCC check, Event assembly.

The underscore keeps feed discovery away: this module is not a feed. See
docs/feeds/modules.md for the formats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from core.event import Event, Kind, Status, content_id
from ingest.adapter import JsonFeed, RecordError
from ingest.coords import Point, SourcePoint
from ingest.mapping import mapping
from ingest.native import Record, decode, is_blank, optional_number
from ingest.uscc import compact

R = TypeVar("R", bound=Record)

_MONTH = re.compile(r"(\d{4})\s*[-/年.]?\s*(\d{1,2})\s*月?")
_YES_NO = {"是": True, "否": False, "Y": True, "N": False, "1": True, "0": False}


def month(value: Any, name: str) -> str:
    """A statistical month as YYYY-MM, from 2026-10, 202610, 2026年10月 and the like."""
    match = _MONTH.fullmatch(str(value).strip()) if type(value) in (str, int) else None
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"field {name!r}: expected a month such as 2026-10, not {value!r}")
    return f"{match[1]}-{int(match[2]):02d}"


def yes_no(value: Any, name: str) -> bool | None:
    """是/否 (or Y/N, 1/0, a JSON boolean); blank is None."""
    if type(value) is bool or value is None:
        return value
    word = str(value).strip().upper()
    if not word:
        return None
    if word in _YES_NO:
        return _YES_NO[word]
    raise ValueError(f"field {name!r}: expected 是 or 否, not {value!r}")


def uscc(value: str) -> str:
    """A unified social credit code compacted (separators and look-alikes cleaned)."""
    return compact(value.strip())


class Located(Record):
    """A record that may carry a point: zbx/zby in the coordinate system zbxt."""

    zbx: Any = None
    zby: Any = None
    zbxt: str = ""

    def __post_init__(self) -> None:
        if type(self.zbx) is not float or not math.isfinite(self.zbx):
            self.zbx = optional_number(self.zbx, "zbx")
        if type(self.zby) is not float or not math.isfinite(self.zby):
            self.zby = optional_number(self.zby, "zby")
        if (self.zbx is None) != (self.zby is None):
            raise ValueError("zbx and zby come together: give both or neither")
        if self.zbx is not None and not self.zbxt.strip():
            raise ValueError("zbxt (WGS84, CGCS2000, GCJ02 or BD09) is required with zbx/zby")

    def source_point(self) -> SourcePoint | None:
        if self.zbx is None or self.zby is None:
            return None
        return SourcePoint(self.zbx, self.zby, self.zbxt)


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
        if meaning is None:
            self.raised.add(flag)
        return meaning


class Draft(msgspec.Struct, frozen=True, kw_only=True, gc=False):
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


def build(draft: Draft, raw: bytes, received_at: datetime, flags: Flags) -> Event:
    """The Event: its id comes from the record's content, never from when it arrived."""
    point = draft.point
    return Event(
        id=content_id(flags.feed, draft.source_id, raw),
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
        attrs={**draft.attrs, **dict.fromkeys(sorted(flags.raised), True)}
        if flags.raised
        else draft.attrs,
        raw=raw.decode(),
    )


class Typed(Record):
    """Only the field that says which of a feed's record types a record is."""

    sjlx: Any = None


def record_type(feed: str, raw: bytes) -> str:
    """Which of a feed's record types (field sjlx) this record is, by the mapping table."""
    types: dict[str, str] = mapping(feed)["record_types"]
    value = decode(Typed, raw).sjlx
    word = "" if is_blank(value) else str(value).strip()
    if not word:
        raise RecordError("missing required field 'sjlx' (the record type)")
    if word not in types:
        known = ", ".join(sorted(types))
        raise RecordError(f"field 'sjlx': unknown record type {word!r} (expected one of {known})")
    return types[word]


def read_by_type(feed: str, raw: bytes, kinds: Mapping[str, type[R]]) -> R:
    """The record read as the type its sjlx names (``kinds``: record type → native record)."""
    kind = record_type(feed, raw)
    if kind not in kinds:
        known = ", ".join(kinds)
        raise RecordError(f"field 'sjlx': the mapping table gives {kind!r}, not one of {known}")
    return decode(kinds[kind], raw)


DraftOf = Callable[[Any, Flags, Point | None], Draft]


def typed_feed(
    feed: str, types: Mapping[str, tuple[type[Record], DraftOf]], keys: Sequence[str]
) -> JsonFeed[Record]:
    """A feed of several record types told apart by sjlx (``types``: record type → its native
    record and the function drafting its Event, given the record's flags and point)."""
    kinds = {name: kind for name, (kind, _) in types.items()}
    drafts = {kind: draft for kind, draft in types.values()}

    def read(raw: bytes) -> Record:
        return read_by_type(feed, raw, kinds)

    def to_event(rec: Record, raw: bytes, received_at: datetime, point: Point | None) -> Event:
        flags = Flags(feed)
        return build(drafts[type(rec)](rec, flags, point), raw, received_at, flags)

    return JsonFeed(feed, read, to_event, keys)


def iso(value: datetime | None) -> str | None:
    """A time for attrs: UTC ISO 8601 text, so that the event survives a JSON round trip."""
    return value.isoformat() if value is not None else None


def ratio(part: int, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None
