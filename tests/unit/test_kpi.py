from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cases.kpi import CaseFacts, Period, is_due_to_close, kpi_row, kpis, p90, percent

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
    cases = [fact(0, status="cancelled"), fact(1, status="merged"), fact(2, status="parked")]
    row = kpi_row("G1", cases, NOV)
    assert (row.due_to_close, row.open_overdue, row.closure_rate) == (0, 0, None)


def test_an_extended_case_closed_by_its_new_deadline_is_on_time() -> None:
    extended = fact(0, due_at=at(25), extensions=1, closed_at=at(24))
    plain = fact(1, closed_at=at(9))
    row = kpi_row("G1", [extended, plain], NOV)
    assert (row.closed_on_time, row.extended) == (2, 1)
    assert row.extension_rate == Decimal("50.00")


def test_rework_rate_is_over_closed_cases() -> None:
    cases = [
        fact(0, closed_at=at(9), reworks=2),
        fact(1, closed_at=at(9)),
        fact(2, reworks=1),  # reworked but not closed yet: its rework may not be the last
    ]
    row = kpi_row("G1", cases, NOV)
    assert (row.reworked, row.closed, row.rework_rate) == (1, 2, Decimal("50.00"))


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
