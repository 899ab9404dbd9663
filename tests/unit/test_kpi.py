from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.kpi import (
    CaseFacts,
    KpiRow,
    bears_on,
    group,
    is_due_to_close,
    kpi_row,
    kpis,
    p90,
    percent,
)
from cases.kpi_store import facts_of
from cases.periods import Period, between, choose_period, month_of, parse_period
from dashboard.kpi_api import figures, report

NOV = Period(datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 12, 1, tzinfo=UTC))
DEC = Period(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def fact(n: int = 0, **kw: Any) -> CaseFacts:
    """A case reported 1 Nov, due 10 Nov, open; keyword arguments change it."""
    values: dict[str, Any] = {
        "id": f"c{n}", "grid": "G1", "village": "V1", "department": "城管中队",
        "reported_at": at(1), "first_response_at": None, "due_at": at(10), "closed_at": None,
    }  # fmt: skip
    values.update(kw)
    if values["closed_at"] is not None:
        values.setdefault("status", "closed")
    return CaseFacts(**values)


def test_the_published_bulletin_972_due_911_closed_737_on_time() -> None:
    on_time = [fact(i, closed_at=at(9)) for i in range(737)]
    late = [fact(737 + i, closed_at=at(20)) for i in range(174)]
    still_open = [fact(911 + i) for i in range(61)]
    cases = on_time + late + still_open
    assert len(cases) == 972

    (row,) = kpis(cases, NOV, "grid")
    assert (row.due_to_close, row.closed, row.closed_on_time) == (972, 911, 737)
    assert row.closure_rate == Decimal("93.72")
    assert row.on_time_rate == Decimal("75.82")
    assert row.open_overdue == 61


def test_due_to_close_is_due_in_the_period_or_closed_in_it() -> None:
    early = fact(closed_at=at(5), due_at=at(3, month=12))  # closed in Nov, due in Dec
    unclosed = fact()  # due in Nov, still open
    not_yet = fact(due_at=at(3, month=12))  # due in Dec, open
    before = fact(reported_at=at(20, month=10), closed_at=at(30, month=10))  # closed in Oct
    assert is_due_to_close(early, NOV) and is_due_to_close(unclosed, NOV)
    assert not is_due_to_close(not_yet, NOV) and not is_due_to_close(before, NOV)
    assert not is_due_to_close(early, DEC)  # already closed before December began


def test_a_case_closed_late_is_due_in_both_months() -> None:
    late = fact(closed_at=at(3, month=12))
    nov, dec = kpi_row("G1", [late], NOV), kpi_row("G1", [late], DEC)
    assert (nov.due_to_close, nov.closed, nov.open_overdue) == (1, 0, 1)
    assert (dec.due_to_close, dec.closed, dec.closed_on_time) == (1, 1, 0)
    assert dec.open_overdue == 0


def test_cancelled_merged_and_parked_cases_are_not_assessed() -> None:
    answered = {"first_response_at": at(1, 10), "reworks": 1, "extensions": 1}
    cases = [
        fact(0, status="cancelled", **answered),
        fact(1, status="merged", **answered),
        fact(2, status="parked", **answered),
    ]
    row = kpi_row("G1", cases, NOV)
    assert (row.due_to_close, row.open_cases, row.open_overdue, row.responses) == (0, 0, 0, 0)
    assert (row.reworked, row.extended, row.closure_rate, row.open_overdue_rate) == (
        0,
        0,
        None,
        None,
    )


def test_an_extended_case_closed_by_its_new_deadline_is_on_time() -> None:
    extended = fact(0, due_at=at(25), extensions=1, closed_at=at(24))
    plain = fact(1, closed_at=at(9))
    row = kpi_row("G1", [extended, plain], NOV)
    assert (row.closed_on_time, row.extended) == (2, 1)
    assert row.extension_rate == Decimal("50.00")


def test_rework_and_extension_rates_are_over_the_cases_due_to_close() -> None:
    # As the bulletins divide: 返工 276 of 应结案 52434 is 0.53 %, 延期 104 of them 0.20 %.
    cases = [
        fact(0, closed_at=at(9), reworks=2),
        fact(1, closed_at=at(9)),
        fact(2, reworks=1, extensions=1),  # reworked, extended, not closed yet: still counts
        fact(3, due_at=at(3, month=12), reworks=1),  # not due in November: not in any count
    ]
    row = kpi_row("G1", cases, NOV)
    assert (row.reworked, row.due_to_close, row.rework_rate) == (2, 3, Decimal("66.67"))
    assert (row.extended, row.extension_rate) == (1, Decimal("33.33"))
    assert percent(276, 52434) == Decimal("0.53") and percent(104, 52434) == Decimal("0.20")


def test_open_overdue_counts_carried_over_cases_and_only_those_past_due() -> None:
    cases = [
        fact(0, reported_at=at(1, month=9), due_at=at(10, month=9)),  # overdue since September
        fact(1, due_at=at(30, 23)),  # due within November, open
        fact(2, due_at=at(2, month=12)),  # open but not yet due at period end
        fact(3, closed_at=at(5, month=12)),  # closed only after the period: open at its end
        fact(4, reported_at=at(2, month=12), due_at=at(3, month=12)),  # reported after
    ]
    row = kpi_row("G1", cases, NOV)
    assert row.open_overdue == 3
    # The September case is not due in November, yet it counts against the grid.
    assert row.due_to_close == 2


def test_grouping_by_grid_village_and_department() -> None:
    cases = [
        fact(0, grid="G1", village="V1", department="环保所", closed_at=at(9)),
        fact(1, grid="G2", village="V1", department="城管中队", closed_at=at(20)),
        fact(2, grid="G3", village="V2", department="城管中队"),
        fact(3, grid=None, village=None, department=None, closed_at=at(9)),
    ]
    by_grid = {r.key: r for r in kpis(cases, NOV, "grid")}
    assert list(by_grid) == ["G1", "G2", "G3", None]
    assert by_grid["G1"].on_time_rate == Decimal("100.00")
    assert by_grid["G2"].on_time_rate == Decimal("0.00")
    by_village = {r.key: r for r in kpis(cases, NOV, "village")}
    assert (by_village["V1"].due_to_close, by_village["V1"].closure_rate) == (2, Decimal("100.00"))
    assert by_village["V2"].closure_rate == Decimal("0.00")
    by_department = {r.key: r for r in kpis(cases, NOV, "department")}
    assert by_department["城管中队"].due_to_close == 2
    assert by_department["城管中队"].closed_on_time == 0


def test_empty_groups_give_none_rates_not_zero_division() -> None:
    assert kpis([], NOV, "grid") == []
    quiet, busy = kpis([fact(grid="G2", due_at=at(3, month=12))], NOV, "grid", units=["G1"])
    for row in (quiet, busy):
        assert row.due_to_close == 0
        assert row.closure_rate is row.on_time_rate is row.extension_rate is None
        assert row.rework_rate is row.response_mean_minutes is row.response_p90_minutes is None
    assert (quiet.key, busy.key) == ("G1", "G2")


def test_first_response_mean_and_p90_on_a_known_distribution() -> None:
    cases = [
        fact(m, first_response_at=at(1) + timedelta(minutes=m), due_at=at(3, month=12))
        for m in range(1, 11)
    ]
    cases.append(fact(99))  # not answered yet: no time to count
    cases.append(fact(98, reported_at=at(30, month=10), first_response_at=at(1)))  # October
    row = kpi_row("G1", cases, NOV)
    assert row.responses == 10
    assert row.response_mean_minutes == Decimal("5.50")
    assert row.response_p90_minutes == Decimal("9.00")
    assert p90([float(m) for m in range(1, 101)]) == 90.0
    assert p90([7.0]) == 7.0
    assert p90([]) is None


def test_rates_round_half_up_to_two_decimals() -> None:
    assert percent(1, 800) == Decimal("0.13")  # 0.125: banker's rounding would give 0.12
    assert percent(2, 3) == Decimal("66.67")
    assert percent(911, 972) == Decimal("93.72")
    assert percent(0, 0) is None


def test_plain_dicts_are_accepted() -> None:
    record = {
        "id": "d1", "grid": "G1", "village": "V1", "department": "x", "reported_at": at(1),
        "first_response_at": None, "due_at": at(10), "closed_at": at(9), "status": "closed",
        "title": "ignored",
    }  # fmt: skip
    (row,) = kpis([record], NOV, "grid")
    assert (row.closed, row.closed_on_time) == (1, 1)


def test_inconsistent_or_naive_facts_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        fact(reported_at=datetime(2025, 11, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="closed_at"):
        replace(fact(), status="closed")
    with pytest.raises(ValueError, match="empty period"):
        Period(NOV.end, NOV.start)


# ---- periods: Beijing calendar periods -----------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-11", utc(2026, 10, 31, 16), utc(2026, 11, 30, 16), "2026-11"),
        ("2026-12", utc(2026, 11, 30, 16), utc(2026, 12, 31, 16), "2026-12"),
        ("2026-W48", utc(2026, 11, 22, 16), utc(2026, 11, 29, 16), "2026-W48"),
        ("2026-w53", utc(2026, 12, 27, 16), utc(2027, 1, 3, 16), "2026-W53"),  # 2026 has 53
        ("2026-11-28", utc(2026, 11, 27, 16), utc(2026, 11, 28, 16), "2026-11-28"),
        ("2026-Q4", utc(2026, 9, 30, 16), utc(2026, 12, 31, 16), "2026-Q4"),
        ("2026", utc(2025, 12, 31, 16), utc(2026, 12, 31, 16), "2026"),
    ],
)
def test_a_named_period_is_a_beijing_calendar_period(
    text: str, start: datetime, end: datetime, label: str
) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-13", "month must be in 1..12"),
        ("2025-W53", "week"),  # 2025 has 52 ISO weeks
        ("2026-02-30", "day is out of range"),
        ("2026-Q5", "not one of"),
        ("Nov 2026", "not one of"),
        ("", "not one of"),
        ("２０２６-11", "not one of"),  # full-width digits are not ISO dates
        ("0001", "out of range"),  # its Beijing start is before year 1 in UTC
    ],
)
def test_a_malformed_period_is_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_period(text)


def test_the_month_ends_at_16_00_utc_on_its_last_day() -> None:
    nov, dec = parse_period("2026-11"), parse_period("2026-12")
    last_second = fact(reported_at=utc(2026, 11, 30, 8), due_at=utc(2026, 12, 5),
                       closed_at=utc(2026, 11, 30, 15, 59, 59))  # fmt: skip
    midnight = replace(last_second, closed_at=utc(2026, 11, 30, 16))  # 1 Dec 00:00 in Beijing
    assert last_second.closed_at in nov and midnight.closed_at in dec
    assert (kpi_row("G", [last_second], nov).closed, kpi_row("G", [last_second], dec).closed) == (
        1,
        0,
    )
    assert (kpi_row("G", [midnight], nov).due_to_close, kpi_row("G", [midnight], dec).closed) == (
        0,
        1,
    )
    assert month_of(utc(2026, 11, 30, 15, 59)) == nov
    assert month_of(utc(2026, 11, 30, 16)) == dec


def test_from_and_to_are_beijing_days_both_included() -> None:
    period = between("2026-11-01", "2026-11-30")
    assert period == parse_period("2026-11")
    assert period.label == "2026-11-01/2026-11-30"
    assert between("2026-11-28", "2026-11-28") == parse_period("2026-11-28")
    with pytest.raises(ValueError, match="before from"):
        between("2026-11-30", "2026-11-01")
    with pytest.raises(ValueError, match="ISO dates"):
        between("2026-11-01", "30/11/2026")


def test_the_period_is_named_or_from_to_or_this_month() -> None:
    now = utc(2026, 11, 30, 17)  # 1 December, 01:00 in Beijing
    assert choose_period(None, None, None, now) == parse_period("2026-12")
    assert choose_period("2026-W48", None, None, now) == parse_period("2026-W48")
    assert choose_period(None, "2026-11-01", "2026-11-02", now).label == "2026-11-01/2026-11-02"
    with pytest.raises(ValueError, match="not both"):
        choose_period("2026-11", "2026-11-01", None, now)
    with pytest.raises(ValueError, match="go together"):
        choose_period(None, "2026-11-01", None, now)


def test_a_current_period_is_assessed_to_date() -> None:
    nov = parse_period("2026-11")
    now = utc(2026, 11, 15, 4)
    so_far = nov.until(now)
    assert (so_far.start, so_far.label) == (nov.start, "2026-11")
    assert now in so_far and so_far.end == now + timedelta(microseconds=1)  # now included
    assert nov.until(utc(2027, 1, 1)) == nov
    with pytest.raises(ValueError, match="has not begun"):
        nov.until(nov.start)
    reported = utc(2026, 11, 10)
    cases = [
        fact(0, reported_at=reported, due_at=utc(2026, 11, 20)),  # due later this month
        fact(1, reported_at=reported, due_at=utc(2026, 11, 14)),  # overdue now
        fact(2, reported_at=reported, due_at=utc(2026, 11, 20), closed_at=utc(2026, 11, 12)),
    ]
    row = kpi_row("G1", cases, so_far)
    # Not yet due is not yet 应结案: mid-month figures do not count tomorrow's deadlines.
    assert (row.due_to_close, row.closed, row.open_cases, row.open_overdue) == (2, 1, 2, 1)
    assert row.open_overdue_rate == Decimal("50.00")


# ---- grouping, p90, the property ----------------------------------------------------------


def test_group_lists_quiet_units_and_puts_the_unassigned_last() -> None:
    cases = [fact(0, grid="G2"), fact(1, grid=None), fact(2, grid="G9")]
    groups = group(cases, "grid", ["G3", "G1", "G2"])
    assert list(groups) == ["G1", "G2", "G3", "G9", None]
    assert [len(v) for v in groups.values()] == [0, 1, 0, 1, 1]


def test_p90_carries_how_many_responses_were_no_slower() -> None:
    cases = [
        fact(m, first_response_at=at(1) + timedelta(minutes=m), due_at=at(3, month=12))
        for m in (3, 3, 3, 3, 3, 3, 3, 3, 3, 60)
    ]
    late_clock = fact(11, first_response_at=at(1) - timedelta(minutes=5))  # source clock ahead
    row = kpi_row("G1", [*cases, late_clock], NOV)
    assert (row.responses, row.response_p90_minutes, row.responses_within_p90) == (
        11,
        Decimal("3.00"),
        10,
    )
    assert row.response_total_minutes == Decimal("87.00")  # the early answer counts as 0
    assert row.response_mean_minutes == Decimal("7.91")


def _facts(draw: st.DrawFn, n: int) -> CaseFacts:
    base = datetime(2025, 10, 1, tzinfo=UTC)
    hours = st.integers(min_value=0, max_value=24 * 90)
    reported = base + timedelta(hours=draw(hours))
    later = st.one_of(st.none(), hours.map(lambda h: reported + timedelta(hours=h)))
    closed_at = draw(later)
    status = "closed" if closed_at else draw(st.sampled_from(["open", "parked", "cancelled"]))
    return CaseFacts(
        id=f"c{n}",
        grid=draw(st.sampled_from(["G1", "G2", None])),
        village="V1",
        department=None,
        reported_at=reported,
        first_response_at=draw(later),
        due_at=draw(later),
        closed_at=closed_at,
        reworks=draw(st.integers(0, 2)),
        extensions=draw(st.integers(0, 2)),
        status=status,
    )


@st.composite
def case_lists(draw: st.DrawFn) -> list[CaseFacts]:
    return [_facts(draw, n) for n in range(draw(st.integers(0, 40)))]


COUNTS = ("due_to_close", "closed", "closed_on_time", "reworked", "extended", "open_cases",
          "open_overdue", "responses")  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(cases=case_lists(), now_hours=st.integers(24, 24 * 100))
def test_no_figure_can_leave_its_bounds(cases: list[CaseFacts], now_hours: int) -> None:
    base = datetime(2025, 10, 1, tzinfo=UTC)
    now = base + timedelta(hours=now_hours)
    period = NOV.until(now) if now > NOV.start else Period(base, now)
    rows = kpis(cases, period, "grid")
    total = kpi_row(None, cases, period)
    for row in [*rows, total]:
        assert 0 <= row.closed_on_time <= row.closed <= row.due_to_close
        assert row.reworked <= row.due_to_close and row.extended <= row.due_to_close
        assert row.open_overdue <= row.open_cases
        for rate in (row.closure_rate, row.on_time_rate, row.rework_rate, row.extension_rate,
                     row.open_overdue_rate):  # fmt: skip
            assert rate is None or Decimal(0) <= rate <= Decimal(100)
        assert (row.closure_rate is None) == (row.due_to_close == 0)
        assert row.responses_within_p90 >= math.ceil(0.9 * row.responses)
    for name in COUNTS:  # the units partition the town
        assert sum(getattr(row, name) for row in rows) == getattr(total, name)
    # What the store may skip unread changes no figure (it may only drop an all-zero row).
    kept = [c for c in cases if bears_on(c.status, c.reported_at, c.closed_at, period)]
    assert counted(kpis(kept, period, "grid")) == counted(rows)
    assert kpi_row(None, kept, period) == total


def counted(rows: list[KpiRow]) -> dict[str | None, KpiRow]:
    return {row.key: row for row in rows if any(getattr(row, name) for name in COUNTS)}


# ---- reading projections, and the API's answer --------------------------------------------


def projected(**kw: Any) -> bytes:
    """A case as the projection holds it (cases.model.Case JSON), trimmed to what matters."""
    case = {
        "id": "urban:T-1", "status": "open", "stage": "dispatched", "grid": "G1", "village": "V1",
        "department": "enforce-central", "reported_at": "2026-11-27T01:00:00+00:00",
        "responded_at": None, "handling_due": "2026-11-27T03:00:00+00:00", "closed_at": None,
        "updated_at": "2026-11-27T01:00:00+00:00", "rework_count": 0, "extension_count": 0,
        "title": "ignored", "event_ids": ["x"],
    }  # fmt: skip
    return orjson.dumps({**case, **kw})


def test_a_projected_case_becomes_facts() -> None:
    facts = facts_of(projected(responded_at="2026-11-27T01:10:00+00:00", rework_count=1))
    assert (facts.status, facts.reworks, facts.department) == ("open", 1, "enforce-central")
    assert facts.first_response_at == utc(2026, 11, 27, 1, 10)
    assert facts.due_at == utc(2026, 11, 27, 3)
    closed = facts_of(projected(status="closed", stage="closed", closed_at="2026-11-27T02:00:00Z"))
    assert (closed.status, closed.closed_at) == ("closed", utc(2026, 11, 27, 2))
    legacy = facts_of(projected(status="closed", stage="closed", updated_at="2026-11-28T00:00:00Z"))
    assert legacy.closed_at == utc(2026, 11, 28), "closed before closed_at existed"
    for stage in ("merged", "cancelled"):  # terminal and closed, but not cases
        gone = facts_of(projected(status="closed", stage=stage, closed_at="2026-11-27T02:00:00Z"))
        assert (gone.status, gone.closed_at) == (stage, None)
    assert facts_of(projected(stage="parked")).status == "parked"
    with pytest.raises(ValueError, match="timezone"):
        facts_of(projected(reported_at="2026-11-27T09:00:00"))
    with pytest.raises(ValueError, match="missing required field"):
        facts_of(b'{"id": "x"}')


def test_the_answer_carries_every_numerator_and_denominator() -> None:
    on_time = [fact(i, closed_at=at(9)) for i in range(737)]
    late = [fact(737 + i, closed_at=at(20)) for i in range(174)]
    still_open = [fact(911 + i) for i in range(61)]
    period = Period(NOV.start, NOV.end, "2025-11")
    names = {"G1": "第一网格", "G0": "安静网格"}
    body = report([*on_time, *late, *still_open], period, at(5, month=12), "grid", names)
    assert body["period"]["complete"] is True
    assert body["period"]["timezone"] == "Asia/Shanghai"
    assert body["town"]["closure_rate"] == {
        "numerator": 911, "denominator": 972, "percent": 93.72, "text": "93.72%",
    }  # fmt: skip
    assert body["town"]["on_time_rate"]["text"] == "75.82%"
    assert body["town"]["open_overdue"] == {
        "numerator": 61, "denominator": 61, "percent": 100.0, "text": "100.00%",
    }  # fmt: skip
    assert body["town"]["first_response_p90"] == {
        "numerator": 0, "denominator": 0, "minutes": None, "text": None,
    }  # fmt: skip
    quiet, busy = body["groups"]
    assert (quiet["key"], quiet["name"], quiet["due_to_close"]) == ("G0", "安静网格", 0)
    assert quiet["closure_rate"]["percent"] is None
    assert (busy["key"], busy["name"]) == ("G1", "第一网格")
    assert busy["on_time_rate"] == body["town"]["on_time_rate"]
    assert report([], period, at(5, month=12), "grid", {})["groups"] == []


def test_a_rate_keeps_its_two_printed_decimals() -> None:
    row = kpi_row("G", [fact(0, closed_at=at(9)), fact(1), fact(2), fact(3)], NOV)
    figure = figures(row)["closure_rate"]
    assert (figure["percent"], figure["text"]) == (25.0, "25.00%")
