"""The normalised Event and the DeadLetter: what every adapter yields."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from redis.typing import EncodableT, FieldT

Kind = Literal["report", "telemetry", "alert", "metric", "command"]
Status = Literal["new", "acknowledged", "closed", "cancelled"]


class Event(BaseModel):
    """One upstream record, normalised. Times are UTC; coordinates are WGS84."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Stable and source-scoped: the same record always gets this id.")
    feed: str
    kind: Kind
    source_id: str = Field(description="The record's key in its source system (e.g. the ajbh).")
    category: str = Field(description="Internal category code, mapped from the source's code.")
    title: str
    description: str = Field(description="Plain text, never HTML.")
    occurred_at: AwareDatetime
    received_at: AwareDatetime
    lon: float | None = None
    lat: float | None = None
    source_crs: str | None = None
    address: str = ""
    severity: int = Field(default=1, ge=1, le=4)
    source_status: str = ""
    status: Status | None = Field(
        default=None, description="What the source status means, mapped by the feed's table."
    )
    attrs: dict[str, Any] = Field(default_factory=dict)
    raw: str = Field(description="The record as the source sent it.")

    @field_validator("occurred_at", "received_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        return cls.model_validate_json(data)


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


def content_id(feed: str, source_id: str, content: dict[str, Any]) -> str:
    """An event id that is stable for the same record content and differs for an update."""
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    return f"{feed}:{source_id}:{digest}"
