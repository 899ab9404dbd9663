"""Source times: naive ones are Beijing time, whatever the year's rules were."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.times import beijing_day, parse_source_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


NAIVE_RANGE = {"min_value": datetime(1900, 1, 1), "max_value": datetime(2100, 12, 31)}  # noqa: DTZ001


@given(st.datetimes(**NAIVE_RANGE))
def test_a_naive_time_is_read_by_the_zone_s_own_rules(moment: datetime) -> None:
    expected = moment.replace(tzinfo=SHANGHAI).astimezone(UTC)
    parsed = parse_source_time(moment.isoformat(sep=" "))
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_summer_time_of_1988_is_kept() -> None:
    assert parse_source_time("1988-07-01 09:00") == datetime(1988, 7, 1, 0, 0, tzinfo=UTC)
    assert parse_source_time("2026-07-01 09:00") == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026/11/28 9:05", datetime(2026, 11, 28, 1, 5, tzinfo=UTC)),
        ("2026-11-28", datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),
        ("2026-11-28T10:00:00+08:00", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
        ("2026-11-28T02:00:00Z", datetime(2026, 11, 28, 2, 0, tzinfo=UTC)),
    ],
)
def test_the_formats_the_sources_send(text: str, utc: datetime) -> None:
    assert parse_source_time(text) == utc


@given(st.datetimes(**NAIVE_RANGE, timezones=st.just(UTC)))
def test_the_beijing_day_is_the_zone_s_own(moment: datetime) -> None:
    assert beijing_day(moment) == moment.astimezone(SHANGHAI).date()


@given(st.datetimes(**NAIVE_RANGE).map(lambda m: m.replace(microsecond=0)))
def test_a_slashed_unpadded_time_is_read_by_the_zone_s_own_rules(moment: datetime) -> None:
    text = f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment:%M:%S}"
    assert parse_source_time(text) == moment.replace(tzinfo=SHANGHAI).astimezone(UTC)
