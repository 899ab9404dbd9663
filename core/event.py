"""The normalised Event and the DeadLetter: what every adapter yields.

The Event is on the hot path of intake (built once per record, written as JSON) and of the
engine (read back once per record), so it is a msgspec Struct: construction checks its
invariants in ``__post_init__``, and decoding checks every field's type as well. An Event
holds no reference cycles, so it is not tracked by the cycle collector (``gc=False``): a
body of a thousand records then adds nothing for the collector to scan.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

import msgspec
import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from redis.typing import EncodableT, FieldT

Kind = Literal["report", "telemetry", "alert", "metric", "command"]
Status = Literal["new", "acknowledged", "closed", "cancelled"]
KINDS: frozenset[str] = frozenset(get_args(Kind))
STATUSES: frozenset[str] = frozenset(get_args(Status))
Aware = Annotated[datetime, msgspec.Meta(tz=True)]


class Event(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """One upstream record, normalised. Times are UTC; coordinates are WGS84.

    - ``id``: stable and source-scoped; the same record always gets this id.
    - ``source_id``: the record's key in its source system (e.g. the ajbh).
    - ``category``: the internal category code, mapped from the source's code.
    - ``description``: plain text, never HTML.
    - ``status``: what the source status means, mapped by the feed's table.
    - ``raw``: the record as the source sent it.
    """

    id: str
    feed: str
    kind: Kind
    source_id: str
    category: str
    title: str
    description: str
    occurred_at: Aware
    received_at: Aware
    lon: float | None = None
    lat: float | None = None
    source_crs: str | None = None
    address: str = ""
    severity: Annotated[int, msgspec.Meta(ge=1, le=4)] = 1
    source_status: str = ""
    status: Status | None = None
    attrs: dict[str, Any] = msgspec.field(default_factory=dict)
    raw: str

    def __post_init__(self) -> None:
        # Decoding has checked types already; construction in an adapter has not. Each check
        # tests the common case first: this runs once per record on the intake's hot path.
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {self.kind!r}")
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, not {self.status!r}")
        if type(self.severity) is not int or not 1 <= self.severity <= 4:
            raise ValueError(f"severity must be an integer from 1 to 4, not {self.severity!r}")
        if self.lon is not None or self.lat is not None:
            for name, value in (("lon", self.lon), ("lat", self.lat)):
                if value is not None and (type(value) is not float or not math.isfinite(value)):
                    raise ValueError(f"{name} must be a finite float, not {value!r}")
        if type(self.occurred_at) is not datetime or self.occurred_at.tzinfo is not UTC:
            self._to_utc("occurred_at")
        if type(self.received_at) is not datetime or self.received_at.tzinfo is not UTC:
            self._to_utc("received_at")

    def _to_utc(self, name: str) -> None:
        value = getattr(self, name)
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"{name} must be a datetime with a time zone, not {value!r}")
        msgspec.structs.force_setattr(self, name, value.astimezone(UTC))

    def to_json(self) -> bytes:
        return _ENCODER.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        """The Event of its JSON; raises ``msgspec.ValidationError`` (a ValueError) if invalid."""
        return _DECODER.decode(data)

    def to_dict(self, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
        """JSON-ready builtins (times as ISO 8601 text), without the ``exclude`` fields."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        for name in exclude:
            out.pop(name, None)
        return out

    def replace(self, **changes: Any) -> Event:
        """A copy with some fields changed, checked again."""
        return msgspec.structs.replace(self, **changes)


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Event)


class DeadLetter(BaseModel):
    """A record that could not be normalised: kept with its raw payload and the reason."""

    model_config = ConfigDict(frozen=True)

    feed: str
    reason: str
    raw: str
    received_at: AwareDatetime
    source_id: str | None = None
    scope: Literal["record", "body"] = Field(
        default="record", description="'body' when the whole payload could not be read."
    )

    def fields(self) -> dict[FieldT, EncodableT]:
        """The stream entry's fields."""
        return {
            "feed": self.feed,
            "reason": self.reason,
            "raw": self.raw,
            "received_at": self.received_at.astimezone(UTC).isoformat(),
            "source_id": self.source_id or "",
        }


def content_id(feed: str, source_id: str, content: dict[str, Any] | bytes) -> str:
    """An event id that is stable for the same record content and differs for an update.

    ``content`` is the record's JSON text as ``ingest.payload.json_raws`` gives it (whitespace
    made uniform), or for the CSV, XML and form feeds the record's fields, hashed with their
    keys sorted.
    """
    if not isinstance(content, bytes):
        content = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return f"{feed}:{source_id}:{hashlib.sha256(content).hexdigest()[:16]}"
