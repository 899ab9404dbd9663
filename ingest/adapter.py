"""What an adapter is: a feed name plus one pure parse(body, received_at) → Events | DeadLetters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from pydantic import ValidationError

from ingest.event import DeadLetter, Event
from ingest.payload import BodyError, RawRecord, json_records

Result = Event | DeadLetter


class RecordError(ValueError):
    """A record that cannot become an Event: skipped into the dead-letter stream."""


class Adapter(Protocol):
    feed: str

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]: ...


def describe(exc: ValidationError) -> str:
    """A validation error as one line a person can act on."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "record"
        if err["type"] == "missing":
            parts.append(f"missing required field {field!r}")
        else:
            parts.append(f"field {field!r}: {err['msg']}")
    return "; ".join(parts)


def parse_json_body(
    feed: str,
    body: bytes,
    received_at: datetime,
    to_event: Callable[[RawRecord, datetime], Event],
    key_field: str,
) -> Iterator[Result]:
    """Split a JSON body into records; each becomes an Event or a DeadLetter with its reason."""
    try:
        records = list(json_records(body))
    except BodyError as exc:
        raw = body.decode("utf-8", errors="replace")
        yield DeadLetter(feed=feed, reason=str(exc), raw=raw, received_at=received_at, scope="body")
        return
    for record in records:
        try:
            yield to_event(record, received_at)
        except ValidationError as exc:
            yield _dead(feed, record, describe(exc), received_at, key_field)
        except (RecordError, ValueError) as exc:
            yield _dead(feed, record, str(exc), received_at, key_field)


def _dead(
    feed: str, record: RawRecord, reason: str, received_at: datetime, key_field: str
) -> DeadLetter:
    key = record.value.get(key_field) if isinstance(record.value, dict) else None
    source_id = str(key) if key not in (None, "") else None
    return DeadLetter(
        feed=feed, reason=reason, raw=record.raw, received_at=received_at, source_id=source_id
    )
