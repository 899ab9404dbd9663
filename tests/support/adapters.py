"""Calling an adapter the way the intake does, from a test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from core.event import DeadLetter, Event
from ingest.feeds import FEEDS

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)


def parse(feed: str, payload: Any, at: datetime = NOW) -> list[Event | DeadLetter]:
    """A payload (bytes as sent, or a value sent as JSON) through the feed's adapter."""
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return list(FEEDS[feed].parse(body, at))


def one_event(feed: str, payload: Any, at: datetime = NOW) -> Event:
    [event] = parse(feed, payload, at)
    assert isinstance(event, Event), getattr(event, "reason", event)
    return event
