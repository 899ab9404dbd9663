"""What an adapter is: a feed name plus one pure parse(body, received_at) → Events | DeadLetters."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Generic, Literal, Protocol, TypeVar, cast

import msgspec
import orjson
from pydantic import ValidationError

from core.event import DeadLetter, Event
from ingest import native
from ingest.coords import Point, place_all
from ingest.payload import BodyError, json_raws

log = logging.getLogger(__name__)
Result = Event | DeadLetter
R = TypeVar("R", bound=native.Record)


class RecordError(ValueError):
    """A record that cannot become an Event: skipped into the dead-letter stream."""


class Adapter(Protocol):
    feed: str

    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]: ...


# What a body's Content-Type may say, by the format an adapter reads. An adapter that reads
# anything but JSON names its own (`media_types`). None is a type a web page can send to
# another site without asking first (text/plain), except Open311's form, which the intake
# takes only from no page of another origin (ingest/http.py).
JSON_MEDIA = ("application/json", "application/x-ndjson", "application/jsonl")
XML_MEDIA = ("application/xml", "text/xml", "application/cap+xml")
CSV_MEDIA = ("text/csv",)
FORM_MEDIA = ("application/x-www-form-urlencoded",)


def media_types(adapter: Adapter) -> tuple[str, ...]:
    """The Content-Types a feed's bodies may be sent as (JSON unless the adapter says)."""
    found: tuple[str, ...] = getattr(adapter, "media_types", JSON_MEDIA)
    return found


A = TypeVar("A", bound=Adapter)
Parse = Callable[[A, bytes, datetime], Iterator[Result]]


def unexpected(
    feed: str,
    exc: Exception,
    raw: str,
    received_at: datetime,
    *,
    scope: Literal["record", "body"] = "record",
    source_id: str | None = None,
) -> DeadLetter:
    """The last resort: an exception no check foresaw becomes the dead letter of its record
    (or body), and is logged with its type and where it was raised, so the bug is seen and
    fixed rather than hidden. The log names no value of the record (it may be personal)."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f"{where.filename}:{where.lineno}" if where else "?"
    name = type(exc).__name__
    log.error("%s: unexpected %s at %s while parsing: dead-lettered", feed, name, place)
    if isinstance(exc, RecursionError):
        reason = "nested too deeply to read"
    else:
        reason = f"unexpected error {type(exc).__name__}: {str(exc)[:200]}"
    return DeadLetter(
        feed=feed, reason=reason, raw=raw, received_at=received_at, source_id=source_id, scope=scope
    )


def total(parse: Parse[A]) -> Parse[A]:
    """Makes an adapter's parse total: an exception that escapes it becomes a dead letter of
    the body (or of the rest of the body, when some records were yielded already)."""

    @functools.wraps(parse)
    def guarded(self: A, body: bytes, received_at: datetime) -> Iterator[Result]:
        yielded = 0
        try:
            for result in parse(self, body, received_at):
                yielded += 1
                yield result
        except Exception as exc:  # the last resort: logged with its type in unexpected()
            text = body.decode("utf-8", errors="replace")
            scope: Literal["record", "body"] = "record" if yielded else "body"
            yield unexpected(self.feed, exc, text, received_at, scope=scope)

    return guarded


def describe(exc: ValidationError) -> str:
    """A pydantic validation error (the CSV and form feeds) as one line a person can act on."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "record"
        if err["type"] == "missing":
            parts.append(f"missing required field {field!r}")
        else:
            parts.append(f"field {field!r}: {err['msg']}")
    return "; ".join(parts)


class JsonFeed(Generic[R]):
    """A JSON feed: its body is split into records' texts, each read into its native record,
    the records' points converted together, and each record becomes an Event or a DeadLetter
    with its reason, in the order they came.

    ``read`` decodes and checks one record's text; ``to_event`` makes the Event of a record
    read, given its point in WGS84 (None when it has none). ``keys`` name the fields that
    identify a record, the first present naming a dead letter's record.
    """

    def __init__(
        self,
        feed: str,
        read: Callable[[bytes], R],
        to_event: Callable[[R, bytes, datetime, Point | None], Event],
        keys: Sequence[str],
    ) -> None:
        self.feed = feed
        self.read = read
        self.to_event = to_event
        self.keys = tuple(keys)

    @total
    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        try:
            raws = json_raws(body)
        except BodyError as exc:
            text = body.decode("utf-8", errors="replace")
            yield DeadLetter(
                feed=self.feed, reason=str(exc), raw=text, received_at=received_at, scope="body"
            )
            return
        results: list[Result | None] = [None] * len(raws)
        read: list[tuple[int, R]] = []
        for i, raw in enumerate(raws):
            try:
                read.append((i, self.read(raw)))
            except Exception as exc:  # ValueError: a bad record; anything else: see _dead
                results[i] = self._dead(raw, exc, received_at)
        points = place_all([rec.source_point() for _, rec in read])
        for (i, rec), point in zip(read, points, strict=True):
            try:
                if isinstance(point, ValueError):
                    raise point
                results[i] = self.to_event(rec, raws[i], received_at, point)
            except Exception as exc:
                results[i] = self._dead(raws[i], exc, received_at)
        yield from cast(list[Result], results)  # every record has its outcome by now

    def _dead(self, raw: bytes, exc: Exception, received_at: datetime) -> DeadLetter:
        if not isinstance(exc, ValueError):
            text = raw.decode(errors="replace")
            return unexpected(self.feed, exc, text, received_at, source_id=self._source_id(raw))
        reason = native.reason(exc) if isinstance(exc, msgspec.ValidationError) else str(exc)
        return DeadLetter(
            feed=self.feed,
            reason=reason,
            raw=raw.decode(errors="replace"),
            received_at=received_at,
            source_id=self._source_id(raw),
        )

    def _source_id(self, raw: bytes) -> str | None:
        try:
            value = orjson.loads(raw.decode(errors="replace"))  # the slow path, for a dead letter
        except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits, or nested too deeply
            return None
        if not isinstance(value, dict):
            return None
        key = next((value[k] for k in self.keys if value.get(k) not in (None, "")), None)
        return str(key) if key is not None else None
