"""The engine counts handling deadlines by the town's arrangement file, and the centre's health
says when that calendar is about to run out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis

from cases import store
from cases.calendar import load_calendar
from cases.engine import Engine
from cases.places import Geography
from core.event import Event
from core.keys import Keys
from core.settings import Settings
from dashboard.health import notices
from ingest.sink import RedisSink
from tests.support.pipeline import drain

pytestmark = pytest.mark.redis
BJ = ZoneInfo("Asia/Shanghai")
# Invented for the test, not the State Council's: 春节 from Thursday 4 to Friday 12 February
# 2027, and Saturday 13 February worked (调休).
ARRANGEMENT = """
[2027]
source = "invented for the test"
holidays = [{ name = "春节", from = 2027-02-04, to = 2027-02-12 }]
workdays = [2027-02-13]
"""


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BJ).astimezone(UTC)


def parking_report(at: datetime) -> Event:
    """A 乱停乱放 report built directly, stamped by the injected clock (not today's date)."""
    return Event(
        id="governance:G-1:1", feed="governance", kind="report", source_id="G-1",
        category="parking", title="机动车乱停放", description="", occurred_at=at, received_at=at,
        lon=120.397, lat=31.7835, severity=1, raw="{}",
    )  # fmt: skip


def test_a_case_created_on_the_eve_of_the_festival_gets_the_arrangement_s_deadline(
    r: redis.Redis, keys: Keys, geography: Geography, tmp_path: Path
) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(ARRANGEMENT, encoding="utf-8")
    now = bj(2027, 2, 3, 17, 0)  # Wednesday, the day before the holiday
    engine = Engine(r, keys, geography, batch=200, clock=lambda: now, calendar=load_calendar(path))
    engine.ensure_group()
    RedisSink(keys, 1000).write(r, [parking_report(now)])
    drain(engine)
    case = store.get_case(r, keys, "governance:G-1")
    assert case is not None
    # 2 working hours: 17:00–17:30, then the 调休 Saturday from 08:30 — not Thursday 10:00,
    # which Monday to Friday would give, and with no calendar_fallback flag to check by hand.
    assert case["handling_due"] == bj(2027, 2, 13, 10, 0).isoformat()
    assert "calendar_fallback" not in case["flags"]


def test_notices_say_when_the_calendar_runs_out_within_30_days(
    r: redis.Redis, keys: Keys, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(ARRANGEMENT, encoding="utf-8")
    town = settings.model_copy(update={"holiday_arrangements_path": path})
    until = load_calendar(path).known_until  # 2027-12-31, or later if the package knows more
    covered = datetime.combine(until - timedelta(days=30), datetime.min.time(), BJ)
    assert "calendar-ends" not in [n.code for n in notices(r, keys, town, covered)]
    found = notices(r, keys, town, covered + timedelta(days=1))
    [notice] = [n for n in found if n.code == "calendar-ends"]
    assert notice.level == "warning"
    assert notice.params == {"until": until.isoformat(), "year": str(until.year + 1)}
    assert f"known until {until.isoformat()}" in notice.detail
    assert "TOWNCC_HOLIDAY_ARRANGEMENTS_PATH" in notice.detail
    assert notice.as_json()["until"] == until.isoformat()
