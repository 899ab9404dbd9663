"""The wall's module registry and each module's figures, from fake snapshots (no Redis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cases.counts import Counts
from cases.tally import tally_field
from dashboard import ids
from dashboard.components.panels import module_figures, module_panels
from dashboard.modules import MODULES, Figure, Module, ModuleData, Text, compute
from dashboard.modules._base import FEATURES, PILLARS, TownFacts

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
EARLIER = (NOW - timedelta(hours=2)).isoformat()
YESTERDAY = (NOW - timedelta(days=1)).isoformat()
BY_ID = {m.id: m for m in MODULES}


def metric(feed: str, source: str, occurred: str = EARLIER, **attrs: Any) -> dict[str, Any]:
    return {"id": f"{feed}:{source}:x", "feed": feed, "kind": "metric", "source_id": source,
            "occurred_at": occurred, "attrs": attrs}  # fmt: skip


def counts(open_total: int = 0, **by: int) -> Counts:
    """Counts as cases/counts.py reads them; ``by``: `feed`, `feed__level`, `feed__category`
    (e.g. ``urban__village=2``) → open cases of it."""
    tally = {}
    for name, n in by.items():
        feed, _, rest = name.partition("__")
        level = rest if rest in ("grid", "village", "town") else None
        category = rest if rest and level is None else None
        tally[tally_field(feed=feed, level=level, category=category)] = n
    return Counts(NOW, open_total=open_total, tally=tally)


def shown(module: str, data: ModuleData) -> dict[str, str]:
    return {f.label.zh: f.value + f.unit.zh for f in BY_ID[module].figures(data)}


def test_the_registry_finds_every_pillar_and_feature_module_in_order() -> None:
    assert [m.pillar for m in MODULES] == [*PILLARS, *FEATURES]
    assert len({m.id for m in MODULES}) == len(MODULES)


@pytest.mark.parametrize("module", BY_ID)
def test_a_module_without_data_says_so(module: str) -> None:
    assert BY_ID[module].figures(ModuleData(now=NOW)) == []
    [panel] = module_panels([(BY_ID[module], [])], "en")
    assert "No data yet" in str(panel) and "has-data" not in panel.className


def test_party_counts_its_levels_members_once_and_this_months_activities() -> None:
    metrics: tuple[dict[str, Any], ...] = (
        metric("party", "org/0", record="organisation", org_type="committee", members=77),
        metric("party", "org/1", record="organisation", org_type="branch", members=47),
        metric("party", "org/2", record="organisation", org_type="joint_branch", members=30),
        metric("party", "org/3", record="organisation", org_type="household", members=2),
        metric("party", "activity/1", record="activity", participants=41),
        metric(
            "party", "activity/0", "2026-10-20T01:00:00+00:00", record="activity", participants=9
        ),
    )
    assert shown("party", ModuleData(NOW, metrics)) == {
        "党委 / 联盟": "1 / 0个", "支部 / 党员中心户": "2 / 1个", "党员": "77人", "本月活动": "1次",
    }  # fmt: skip


def test_service_hall_counts_todays_cases_and_the_on_time_share() -> None:
    metrics = (
        metric(
            "service_hall",
            "a",
            accepted_at=EARLIER,
            finished_at=EARLIER,
            overdue_promise=False,
            mode="instant",
            window="综合受理1号窗口",
        ),
        metric(
            "service_hall",
            "b",
            accepted_at=YESTERDAY,
            finished_at=EARLIER,
            overdue_promise=True,
            mode="instant",
            window="综合受理3号窗口",
        ),
        metric(
            "service_hall",
            "c",
            accepted_at=EARLIER,
            finished_at=None,
            overdue_promise=None,
            mode="promised",
            window="综合受理2号窗口",
        ),
        metric(
            "service_hall",
            "e",
            accepted_at=EARLIER,
            finished_at=None,
            overdue_promise=None,
            mode="remote",
            window="网上受理",
        ),
        metric("service_hall", "d", accepted_at=YESTERDAY, finished_at=YESTERDAY),
    )
    assert shown("service_hall", ModuleData(NOW, metrics)) == {
        "今日受理": "3件", "今日办结": "2件", "按时办结率": "50%", "今日开放窗口": "2个",
    }  # fmt: skip
    only_old = ModuleData(NOW, metrics[4:])
    assert BY_ID["service_hall"].figures(only_old) == []  # yesterday's figures are not today's


def test_enforcement_shows_the_squads_cases_and_this_months_checks() -> None:
    found = Counts(NOW, open_total=9, tally={"department=enforce-central": 4,
                   "department=enforce-south": 2, "department=sanitation": 3})  # fmt: skip
    today = {"department": {"enforce-central|r": 5, "enforce-north|c": 2, "sanitation|r": 9}}
    checks = (
        metric("inspection", "1", random=True, domain="market"),
        metric("inspection", "2", random=False, domain="water"),
        metric("inspection", "3", random=False, domain="water"),
        metric("inspection", "4", "2026-10-20T01:00:00+00:00", random=True, domain="transport"),
    )
    data = ModuleData(NOW, checks, counts=found, today_kpi=today)
    assert shown("enforcement", data) == {
        "中队在办": "6件", "今日受理 / 办结": "5 / 2件", "本月执法检查": "3次",
        "检查覆盖领域": "2个",
    }  # fmt: skip


def test_no_figure_counts_the_cases_the_map_is_given() -> None:
    newest = ({"id": "urban:1", "feed": "urban", "status": "open", "level": "town",
               "category": "wage_arrears", "late": True, "overdue": True},)  # fmt: skip
    found = {m.id: m.figures(ModuleData(NOW, cases=newest)) for m in MODULES}
    assert found == {m.id: [] for m in MODULES}


def test_grid_shows_the_grids_the_people_and_the_grid_staffs_work() -> None:
    town = TownFacts({"XXK-01-01": "XXK-01", "XXK-01-02": "XXK-01", "XXK-02-01": "XXK-02"},
                     resident=9_000, registered=6_000)  # fmt: skip
    found = counts(7, governance=5, governance__grid=3)
    today = {"grid": {"XXK-01-01|c": 4, "XXK-02-01|c": 1, "|c": 6, "XXK-01-01|r": 8}}
    assert shown("grid", ModuleData(NOW, counts=found, today_kpi=today, town=town)) == {
        "村（社区） / 网格": "2 / 3个", "常住 / 户籍人口": "9,000 / 6,000人",
        "网格员上报在办 / 格内": "5 / 3件", "今日网格办结": "5件",
    }  # fmt: skip


def test_command_counts_open_late_and_escalated() -> None:
    found = Counts(NOW, open_total=12, late=2, tally={"level=village": 1, "level=town": 3})
    assert shown("command", ModuleData(NOW, counts=found)) == {
        "在办": "12件", "超时": "2件", "已升级": "4件",
    }  # fmt: skip


def test_economy_shows_the_latest_months_headline_indicators_year_to_date() -> None:
    def indicator(month: str, key: str, scope: str, value: float, **more: Any) -> dict[str, Any]:
        return metric("economy", f"{month}/{key}/{scope}", month=month, indicator=key.upper(),
                      indicator_key=key, indicator_name=key, scope=scope, value=value,
                      unit="亿元", **more)  # fmt: skip

    metrics = (
        indicator("2026-10", "industrial_output_above_scale", "ytd", 586.32, yoy_pct=6.8),
        indicator("2026-10", "industrial_output_above_scale", "month", 61.2),
        indicator("2026-10", "retail_sales", "ytd", 80.5),
        indicator("2026-09", "general_budget_revenue", "ytd", 30.0),
    )
    found = BY_ID["economy"].figures(ModuleData(NOW, metrics))
    assert [(f.label.zh, f.value, f.note) for f in found] == [
        ("industrial_output_above_scale", "586.32", "+6.8%"),
        ("retail_sales", "80.50", ""),
    ]


def test_enterprise_counts_the_registry_and_enterprises_with_open_hazards() -> None:
    metrics = (
        metric("enterprise", "1", registration="active", above_scale=True),
        metric("enterprise", "2", registration="active", above_scale=None),
        metric("enterprise", "3", registration="deregistered", above_scale=True),
    )
    hazards = Counts(NOW, open_total=2, hazards_by_enterprise={"甲厂": 2}, tally={"feed=safety": 2})
    assert shown("enterprise", ModuleData(NOW, metrics, hazards)) == {
        "在册企业": "2家", "规上企业": "1家", "有隐患企业": "1家", "未整改隐患": "2处",
    }  # fmt: skip


def test_tourism_compares_todays_visitors_with_comfort_capacity() -> None:
    metrics = (
        metric("tourism", "A", in_park=1136, capacity=2000, arrivals_today=1702),
        metric("tourism", "B", in_park=300, capacity=1000),
        metric("tourism", "C", YESTERDAY, in_park=900, capacity=1000),
    )
    assert shown("tourism", ModuleData(NOW, metrics)) == {
        "在园游客": "1,436人", "舒适承载量": "2,400人", "承载率": "48%", "今日入园": "1,702人",
    }  # fmt: skip


def test_labour_sums_headcount_and_counts_open_wage_arrears_alerts() -> None:
    metrics = (
        metric("labour", "1", record="snapshot", headcount=486, vacancies=35),
        metric("labour", "2", record="snapshot", headcount=14, vacancies=None),
    )
    arrears = counts(1, labour__wage_arrears=1)
    assert shown("labour", ModuleData(NOW, metrics, arrears)) == {
        "在岗人数": "500人", "缺工人数": "35人", "欠薪预警": "1件",
    }  # fmt: skip


def test_a_failing_module_shows_no_data_instead_of_stopping_the_others() -> None:
    def broken(_data: ModuleData) -> list[Figure]:
        raise KeyError("value")

    bad = Module("bad", Text("坏", "Bad"), "经济运行", broken)
    results = compute(ModuleData(NOW, counts=counts(1)), (bad, BY_ID["command"]))
    assert results[0][1] == [] and results[1][1]


def test_pushed_figures_get_ids_that_change_with_their_content() -> None:
    one = module_figures("command", [Figure(Text("在办", "Open"), "1")], "zh")
    two = module_figures("command", [Figure(Text("在办", "Open"), "2")], "zh")
    assert one[0].id != two[0].id
    assert one[0].id == module_figures("command", [Figure(Text("在办", "Open"), "1")], "zh")[0].id
    assert one[0].id["type"] == ids.MODULE_FIGURE_TYPE
