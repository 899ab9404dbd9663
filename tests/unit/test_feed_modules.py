"""The subtle parts of the six module feeds; the contract suite covers the fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import orjson
import pytest

from cases.categories import categories
from core.event import DeadLetter, Event, Status
from ingest.feeds import FEEDS
from ingest.mapping import mapping
from ingest.uscc import uscc_problem

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
MODULES = ("service_hall", "economy", "enterprise", "labour", "tourism", "party")
CASE: dict[str, Any] = {
    "bjbh": "XXK-BJ-20261128-000231", "sxmc": "就业失业登记", "ck": "综合受理1号窗口",
    "blfs": "即办件", "slsj": "2026-11-28 08:41:05", "bjsj": "2026-11-28 08:49:37",
    "zt": "已办结",
}  # fmt: skip
INDICATOR: dict[str, Any] = {
    "tjyf": "2026-10", "zbdm": "GSGYZCZ", "zbmc": "规上工业总产值", "kj": "累计",
    "sz": 586.32, "jldw": "亿元", "tbzz": 6.8,
}  # fmt: skip
FIRM: dict[str, Any] = {
    "tyshxydm": "91320281739415261W", "qymc": "江阴市璜塘纺织印染有限公司", "hyml": "C",
    "hydm": "1713", "gsbz": "是", "djzt": "存续", "cyrs": 486, "gxsj": "2026-11-27 17:32:05",
}  # fmt: skip
ARREARS: dict[str, Any] = {
    "sjlx": "欠薪预警", "yjbh": "QXYJ-20261128-0007", "qymc": "江阴市璜塘建筑安装工程有限公司",
    "qxje": 48000, "sjrs": 4, "yjsj": "2026-11-28 08:37:00", "zt": "待处置",
}  # fmt: skip
COUNT: dict[str, Any] = {
    "jqbm": "JQ320281113001", "jqmc": "徐霞客故居景区", "tjsj": "2026-11-28 10:00:00",
    "zyrs": 1136, "zdczl": 2000,
}  # fmt: skip
ORG: dict[str, Any] = {
    "sjlx": "党组织", "zzbm": "0320281113005002", "zzmc": "中共江阴市徐霞客镇璜塘村第二党支部",
    "zzlx": "党支部", "dyrs": 47, "ybdys": 1, "gxsj": "2026-11-01 09:00:00",
}  # fmt: skip
ACTIVITY: dict[str, Any] = {
    "sjlx": "党建活动", "hdbh": "HD-20261128-0012", "zzbm": "0320281113005002", "hdlx": "党课",
    "hdsj": "2026-11-28 09:00:00", "cjrs": 41, "ydrs": 47,
}  # fmt: skip


def parse(feed: str, payload: Any, received_at: datetime = NOW) -> list[Event | DeadLetter]:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return list(FEEDS[feed].parse(body, received_at))


def event(feed: str, record: dict[str, Any]) -> Event:
    [result] = parse(feed, record)
    assert isinstance(result, Event), getattr(result, "reason", result)
    return result


def dead(feed: str, record: dict[str, Any]) -> DeadLetter:
    [result] = parse(feed, record)
    assert isinstance(result, DeadLetter), result
    return result


def test_the_six_module_feeds_are_discovered_and_their_tables_are_sound() -> None:
    assert set(MODULES) <= set(FEEDS)
    lifecycle = set(mapping("service_hall")["lifecycle"].values())
    assert lifecycle | set(mapping("labour")["status"].values()) <= set(get_args(Status))
    assert set(mapping("service_hall")["status"].values()) <= set(
        mapping("service_hall")["lifecycle"]
    )
    for code in ("service_case", "economy_indicator", "enterprise_record", "labour_snapshot"):
        assert code in categories()
    assert {"wage_arrears", "visitor_count", "party_activity"} <= set(categories())
    levels = mapping("tourism")["levels"]
    assert levels[-1]["below"] is None
    assert [row["below"] for row in levels[:-1]] == sorted(row["below"] for row in levels[:-1])


def test_ids_hang_on_content_not_on_arrival_and_an_update_keeps_the_source_id() -> None:
    first = event("service_hall", CASE)
    assert first.id == event("service_hall", CASE).id
    [later] = parse("service_hall", CASE, NOW + timedelta(days=3))
    assert later.id == first.id
    update = event("service_hall", {**CASE, "pj": "满意"})
    assert update.id != first.id and update.source_id == first.source_id


# --- service hall --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finished", "overdue"),
    [
        ("2026-12-08 17:30:00", False),  # the last promised day (calendar days for now)
        ("2026-12-09 08:30:00", True),
        (None, None),  # open: judged when it finishes
    ],
)
def test_a_promise_is_kept_or_broken_by_the_beijing_day(
    finished: str | None, overdue: bool
) -> None:
    record = {**CASE, "blfs": "承诺件", "cnsx": 10, "bjsj": finished, "zt": ""}
    attrs = event("service_hall", record).attrs
    assert attrs["promised_by"] == "2026-12-08"
    assert attrs["overdue_promise"] is overdue
    assert attrs["status"] == ("finished" if finished else "accepted")


def test_an_instant_case_finished_after_midnight_beijing_is_late_though_utc_is_the_same_day() -> (
    None
):
    # 23:50 and 00:10 Beijing are 15:50 and 16:10 UTC of one UTC day.
    record = {**CASE, "slsj": "2026-11-28 23:50:00", "bjsj": "2026-11-29 00:10:00"}
    attrs = event("service_hall", record).attrs
    assert (attrs["promised_days"], attrs["promised_by"]) == (0, "2026-11-28")
    assert attrs["overdue_promise"] is True
    assert attrs["handling_minutes"] == 20


def test_service_case_statuses_modes_and_ratings_are_mapped_or_flagged() -> None:
    done = event("service_hall", {**CASE, "pj": "非常满意"})
    assert (done.kind, done.category, done.status) == ("metric", "service_case", "closed")
    assert (done.attrs["mode"], done.attrs["rating"]) == ("instant", 5)
    assert done.occurred_at == datetime(2026, 11, 28, 0, 49, 37, tzinfo=UTC)
    odd = event("service_hall", {**CASE, "blfs": "邮寄办", "zt": "已归档", "cnsx": 2})
    assert odd.attrs["mode"] is None and odd.attrs["unmapped_mode"] is True
    assert odd.status is None and odd.attrs["unmapped_status"] is True
    assert odd.attrs["promised_days"] == 2
    assert event("service_hall", {**CASE, "bjsj": ""}).attrs["finished_without_time"] is True


# --- economy -------------------------------------------------------------------------


def test_an_indicator_is_keyed_by_month_code_and_scope_and_dated_to_its_month() -> None:
    ytd = event("economy", {**INDICATOR, "tjyf": "2026年10月"})
    month = event("economy", {**INDICATOR, "kj": "当月", "sz": 61.4})
    assert ytd.source_id == "2026-10/GSGYZCZ/ytd" and month.source_id == "2026-10/GSGYZCZ/month"
    assert ytd.occurred_at == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 1 October, Beijing
    revised = event("economy", {**INDICATOR, "sz": 587.01})
    assert revised.source_id == ytd.source_id and revised.id != ytd.id


def test_signs_are_judged_only_where_the_table_says_so() -> None:
    assert "cannot be negative" in dead("economy", {**INDICATOR, "sz": -1}).reason
    assert "more than 100%" in dead("economy", {**INDICATOR, "tbzz": -100.5}).reason
    profit = {**INDICATOR, "zbdm": "GSGYLRZE", "zbmc": "规上工业利润总额", "sz": -0.8}
    assert event("economy", {**profit, "tbzz": -160}).attrs["value"] == -0.8
    unknown = event("economy", {**INDICATOR, "zbdm": "XYZ", "sz": -3})
    assert unknown.attrs["unmapped_indicator"] is True
    assert "finite" in dead("economy", {**INDICATOR, "tbzz": "Infinity"}).reason


def test_a_figure_in_another_unit_is_kept_and_flagged() -> None:
    attrs = event("economy", {**INDICATOR, "sz": 5863200, "jldw": "万元"}).attrs
    assert (attrs["unit"], attrs["unit_mismatch"]) == ("万元", True)
    assert event("economy", {**INDICATOR, "jldw": ""}).attrs["unit"] == "亿元"


# --- enterprise ----------------------------------------------------------------------


def test_a_wrong_check_character_is_flagged_not_rejected() -> None:
    firm = event("enterprise", {**FIRM, "tyshxydm": "91320281739415261X"})
    assert firm.attrs["uscc_valid"] is False
    assert "expected 'W'" in firm.attrs["uscc_error"]
    assert event("enterprise", FIRM).attrs["uscc_valid"] is True


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91320281739415261W", None),
        ("N2320281MF0123456P", None),  # a village collective: letters where stdnum wants digits
        ("9132028173941526", "wrong length"),
        ("91320281739415261O", "outside GB 32100's set"),
        ("91320281739415261Y", "wrong check character"),
    ],
)
def test_uscc_problems(code: str, problem: str | None) -> None:
    found = uscc_problem(code)
    assert found is None if problem is None else problem in (found or "")


def test_the_code_is_compacted_and_the_section_derived_from_the_industry_code() -> None:
    firm = event("enterprise", {**FIRM, "tyshxydm": " 9132 0281-7394 15261w", "hyml": ""})
    assert firm.source_id == "91320281739415261W"
    assert (firm.attrs["section"], firm.attrs["sector"]) == ("C", "manufacturing")
    prefixed = event("enterprise", {**FIRM, "hyml": "", "hydm": "C1713"}).attrs
    assert (prefixed["section"], prefixed["industry_code"]) == ("C", "1713")
    clash = event("enterprise", {**FIRM, "hyml": "F"}).attrs
    assert clash["section"] == "F" and clash["industry_mismatch"] is True


@pytest.mark.parametrize(("word", "above"), [("是", True), ("否", False), (1, True), ("", None)])
def test_the_above_scale_flag_reads_chinese_yes_and_no(word: object, above: bool | None) -> None:
    assert event("enterprise", {**FIRM, "gsbz": word}).attrs["above_scale"] is above


def test_a_count_of_true_is_not_one() -> None:
    assert "expected a whole number, not true" in dead("enterprise", {**FIRM, "cyrs": True}).reason


# --- labour --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "amount", "severity"),
    [(4, 99_999, 1), (10, 0, 2), (4, 100_000, 2), (29, 500_000, 3), (100, 0, 4)],
)
def test_arrears_severity_follows_the_table(workers: int, amount: int, severity: int) -> None:
    alert = event("labour", {**ARREARS, "sjrs": workers, "qxje": amount})
    assert (alert.kind, alert.category, alert.severity) == ("report", "wage_arrears", severity)
    assert alert.status == "new" and alert.source_id == ARREARS["yjbh"]


def test_a_snapshot_is_a_metric_whose_source_is_the_enterprise() -> None:
    # The engine keeps the newest metric per source: the enterprise's current headcount.
    record = {"sjlx": "用工快照", "tyshxydm": FIRM["tyshxydm"], "qymc": FIRM["qymc"],
              "jcrq": "2026-11-25", "zgrs": 486}  # fmt: skip
    snap = event("labour", record)
    assert (snap.kind, snap.category) == ("metric", "labour_snapshot")
    assert snap.source_id == "91320281739415261W"
    assert snap.occurred_at == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert snap.attrs["headcount"] == 486 and snap.attrs["hires"] is None
    later = event("labour", {**record, "jcrq": "2026-12-25", "zgrs": 480})
    assert later.source_id == snap.source_id and later.id != snap.id


def test_a_dead_labour_record_is_named_by_whichever_key_it_has() -> None:
    assert dead("labour", {**ARREARS, "sjrs": 0}).source_id == ARREARS["yjbh"]
    assert dead("labour", {"sjlx": "?", "tyshxydm": "X1"}).source_id == "X1"


# --- tourism -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inside", "comfort", "severity"),
    [(999, "comfortable", 1), (1000, "busy", 1), (1600, "warning", 2), (2186, "overloaded", 3)],
)
def test_load_and_comfort(inside: int, comfort: str, severity: int) -> None:
    count = event("tourism", {**COUNT, "zyrs": inside})
    assert count.attrs["load_ratio"] == round(inside / 2000, 4)
    assert (count.attrs["comfort"], count.severity) == (comfort, severity)


def test_the_spot_is_the_source_and_each_count_its_own_event() -> None:
    first = event("tourism", COUNT)
    zoned = event("tourism", {**COUNT, "tjsj": "2026-11-28T02:15:00+00:00"})
    assert first.source_id == zoned.source_id == "JQ320281113001"
    assert first.id != zoned.id
    assert zoned.occurred_at - first.occurred_at == timedelta(minutes=15)
    odd = event("tourism", {**COUNT, "ljrys": 800}).attrs
    assert odd["in_park_above_arrivals"] is True


def test_a_spot_point_is_converted_to_wgs84() -> None:
    located = event("tourism", {**COUNT, "zbx": 120.40213, "zby": 31.79104, "zbxt": "bd-09"})
    assert located.source_crs == "BD09"
    assert located.lon is not None and located.lon < 120.40213
    xian80 = {**COUNT, "zbx": 120.4, "zby": 31.79, "zbxt": "Xian80"}
    assert "unknown coordinate system" in dead("tourism", xian80).reason


# --- party ---------------------------------------------------------------------------


def test_organisations_and_activities_have_separate_id_spaces() -> None:
    org = event("party", {**ORG, "zzbm": "0001"})
    act = event("party", {**ACTIVITY, "hdbh": "0001"})
    assert (org.source_id, act.source_id) == ("org/0001", "activity/0001")
    assert org.category == act.category == "party_activity"
    assert (org.attrs["org_type"], org.attrs["members"]) == ("branch", 47)


def test_activity_types_and_attendance() -> None:
    lesson = event("party", ACTIVITY).attrs
    assert (lesson["activity_type"], lesson["three_meetings_one_lesson"]) == ("party_lesson", True)
    assert lesson["attendance_rate"] == 0.8723
    guests = event("party", {**ACTIVITY, "hdlx": "读书会", "cjrs": 50}).attrs
    assert guests["unmapped_activity_type"] is True
    assert guests["attendance_above_expected"] is True


def test_probationary_members_are_counted_among_the_members() -> None:
    assert "exceeds dyrs" in dead("party", {**ORG, "ybdys": 48}).reason
    assert event("party", {**ORG, "ybdys": 47}).attrs["probationary"] == 47


def test_a_mixed_batch_keeps_going_past_a_bad_record() -> None:
    lines = b"\n".join(orjson.dumps(r) for r in (ORG, {**ACTIVITY, "cjrs": -1}, ACTIVITY))
    results = parse("party", lines + b"\n" + b"42")
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "Event", "DeadLetter"]
    assert results[1].source_id == ACTIVITY["hdbh"]
    assert "must be a JSON object" in results[3].reason  # type: ignore[union-attr]
