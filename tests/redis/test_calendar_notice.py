"""The calendar's edge, end to end: with the clock injected past the known holiday calendar,
`/healthz`, `/metrics` and the wall all say so; with 30 days known ahead, none of them does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from cases.calendar import load_calendar
from core.settings import Settings
from core.times import beijing_to_utc
from dashboard.app import create_app
from dashboard.framework import layout_path
from tests.support.access import LOCAL, signed

pytestmark = pytest.mark.redis


@contextmanager
def app_at(settings: Settings, now: datetime) -> Iterator[TestClient]:
    app = create_app(settings, clock=lambda: now)
    with TestClient(app.server, base_url=LOCAL) as client:
        yield signed(client, settings, "admin")  # reads /metrics and the wall


def calendar_notices(client: TestClient) -> tuple[list[dict[str, str]], set[str], str]:
    """The calendar's notices on /healthz, on /metrics, and the wall's page as served."""
    health = [n for n in client.get("/healthz").json()["notices"] if n["code"] == "calendar-ends"]
    families = text_string_to_metric_families(client.get("/metrics").text)
    metric = {
        s.labels["code"]
        for f in families
        if f.name == "towncc_notice"
        for s in f.samples
        if s.labels.get("code") == "calendar-ends" and s.value == 1
    }
    wall = client.get(layout_path("/wall")).text
    return health, metric, wall


def test_past_the_known_calendar_healthz_metrics_and_the_wall_say_so(settings: Settings) -> None:
    horizon = load_calendar(settings.holiday_arrangements_path).known_until
    # 2027-02-03 on Beijing's clock, as the issue asks, unless a later arrangement is shipped.
    day = max(datetime(2027, 2, 3, tzinfo=UTC).date(), horizon)
    now = beijing_to_utc(day.year, day.month, day.day, 9)
    with app_at(settings, now) as client:
        health, metric, wall = calendar_notices(client)
    assert [n["until"] for n in health] == [horizon.isoformat()]
    assert health[0]["level"] == "warning"
    assert metric == {"calendar-ends"}
    # The wall's strip, in Chinese: the last known day and the year to add.
    assert f"节假日安排仅录入至 {horizon.isoformat()}" in wall
    assert f"{horizon.year + 1} 年放假调休安排" in wall


def test_with_more_than_30_days_known_nothing_is_said(settings: Settings) -> None:
    horizon = load_calendar(settings.holiday_arrangements_path).known_until
    now = beijing_to_utc(horizon.year, 1, 15, 9)  # the 15th of January of the last known year
    with app_at(settings, now) as client:
        health, metric, wall = calendar_notices(client)
    assert (health, metric) == ([], set())
    assert "节假日安排仅录入至" not in wall
