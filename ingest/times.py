"""Source timestamps: naive ones are Beijing time; everything is stored as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


def parse_source_time(text: str) -> datetime:
    """A source's time in UTC; a time without a zone is read as Beijing time."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _strptime_any(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed.astimezone(UTC)


def _strptime_any(value: str) -> datetime:
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt)  # noqa: DTZ007 - the zone is added by the caller
        except ValueError:
            continue
    raise ValueError(f"unreadable time {value!r} (expected e.g. 2026-11-28 09:12:33)")


def beijing(value: datetime) -> datetime:
    """The same instant on Beijing's clock, for display."""
    return value.astimezone(BEIJING)
