"""Source timestamps: naive ones are Beijing time; everything is stored as UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
# China has kept UTC+8 all year since 1992 (it had summer time from 1986 to 1991): for
# those years a naive time is taken to UTC by the fixed offset, faster than the zone's rules.
EIGHT_HOURS = timedelta(hours=8)
FIXED_SINCE = 1992

# What ISO 8601 leaves out and the sources send: slashes and unpadded fields, e.g.
# 2026/11/28 9:05 or 2026-11-28 9:05:07 (seconds optional, the time of day optional).
_LOOSE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?")


def parse_source_time(text: str) -> datetime:
    """A source's time in UTC; a time without a zone is read as Beijing time.

    Every failure is a ValueError naming the text, including a time that exists on its own
    clock but not in UTC (0001-01-01 00:00 in Beijing is still year 0 in UTC).
    """
    try:
        return _parse(text.strip())
    except OverflowError:
        raise ValueError(f"time {text.strip()!r} is out of range in UTC") from None


def _parse(value: str) -> datetime:
    if "/" in value:
        parsed = _loose(value)
    else:
        if len(value) > 10 and value[-1] != "Z" and "+" not in value and value.rfind("-") < 10:
            # The common case, a naive ISO date and time: read as UTC and moved by the fixed
            # offset in one step (a third of the general path's time).
            try:
                utc = datetime.fromisoformat(value + "+00:00") - EIGHT_HOURS
            except ValueError:
                pass
            else:
                if utc.year >= FIXED_SINCE:
                    return utc
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = _loose(value)
    if parsed.tzinfo is None:
        p = parsed
        return beijing_to_utc(p.year, p.month, p.day, p.hour, p.minute, p.second, p.microsecond)
    return parsed.astimezone(UTC)


def beijing_to_utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    """A time on Beijing's clock as UTC (by the fixed offset from 1992 on); a ValueError when
    it has no UTC time (the first hours of year 1)."""
    try:
        if year >= FIXED_SINCE:
            moment = datetime(year, month, day, hour, minute, second, microsecond, UTC)
            return moment - EIGHT_HOURS
        local = datetime(year, month, day, hour, minute, second, microsecond, BEIJING)
        return local.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{year:04d}-{month:02d}-{day:02d} is out of range in UTC") from None


def _loose(value: str) -> datetime:
    match = _LOOSE.fullmatch(value)
    if match is None:
        raise ValueError(f"unreadable time {value!r} (expected e.g. 2026-11-28 09:12:33)")
    year, _, month, day, hour, minute, second = match.groups()
    try:
        return datetime(  # noqa: DTZ001 - the zone is added by the caller
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError as exc:
        raise ValueError(f"unreadable time {value!r}: {exc}") from exc


def beijing(value: datetime) -> datetime:
    """The same instant on Beijing's clock, for display."""
    return value.astimezone(BEIJING)


def beijing_day(value: datetime) -> date:
    """The day on Beijing's calendar of an aware time."""
    if value.tzinfo is UTC and value.year >= FIXED_SINCE:
        return (value + EIGHT_HOURS).date()  # the fixed offset of these years
    return beijing(value).date()


def stored_beijing(value: object) -> datetime | None:
    """A stored ISO time (UTC text as the adapters write it; naive is UTC) on Beijing's
    clock, or None for anything that is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return beijing(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware time: the score of every time-sorted set."""
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware one")
    return int(moment.timestamp() * 1000)
