"""The town's feature modules beyond the first four, each from a fake snapshot (no Redis):
安全生产, 生态环境, 防汛, 12345诉求, 综合执法, 网格党建."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cases.counts import Counts
from cases.thresholds import NO_DATA
from dashboard.modules import MODULES, ModuleData
from dashboard.modules._base import TownFacts
from dashboard.modules.squads import short

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in Beijing
TODAY = "2026-11-28T02:00:00+00:00"
LAST_MONTH = "2026-10-20T02:00:00+00:00"
BY_ID = {m.id: m for m in MODULES}


def metric(feed: str, source: str, occurred: str = TODAY, **attrs: Any) -> dict[str, Any]:
    return {"id": f"{feed}:{source}:x", "feed": feed, "kind": "metric", "source_id": source,
            "occurred_at": occurred, "attrs": attrs}  # fmt: skip


def reading(feed: str, station: str, **attrs: Any) -> dict[str, Any]:
    return {"feed": feed, "kind": "telemetry", "source_id": station, "occurred_at": TODAY,
            "attrs": attrs}  # fmt: skip


def shown(module: str, data: ModuleData) -> dict[str, str]:
    return {f.label.zh: f.value + f.unit.zh for f in BY_ID[module].figures(data)}


def test_safety_counts_open_hazards_by_grade_and_this_months_safety_checks() -> None:
    counts = Counts(NOW, open_total=5, hazards_by_enterprise={"甲": 2, "乙": 1},
                    tally={"feed=safety": 3, "feed=safety|category=major_hazard": 1,
                           "feed=safety|category=enterprise_hazard": 2})  # fmt: skip
    checks = (
        metric("inspection", "1", domain="work_safety", random=True),
        metric("inspection", "2", domain="work_safety", random=False),
        metric("inspection", "3", domain="food_safety", random=True),
        metric("inspection", "4", LAST_MONTH, domain="work_safety", random=True),
    )
    assert shown("safety", ModuleData(NOW, checks, counts=counts)) == {
        "重大隐患": "1处", "一般隐患": "2处", "有隐患企业": "2家", "本月安全检查": "2次",
    }  # fmt: skip


def test_environment_compares_the_stations_with_their_limits() -> None:
    stations = {
        "environment:AQ-01": reading("environment", "AQ-01", station_type="air",
                                     values={"AQI": 168, "PM2.5": 120}),
        "environment:AQ-02": reading("environment", "AQ-02", station_type="air",
                                     values={"AQI": 60}),
        "environment:AQ-03": reading("environment", "AQ-03", station_type="air", values={}),
        "environment:WQ-01": reading("environment", "WQ-01", station_type="water",
                                     values={"COD": 24.0}),
        "water:63201234": reading("water", "63201234", z=3.4),
    }  # fmt: skip
    alarms = {"environment:AQ-01": ("aqi",), "environment:AQ-03": (NO_DATA,),
              "environment:WQ-01": ("cod",)}  # fmt: skip
    tally = {"feed=environment": 2, "feed=alarm|category=air_quality": 1,
             "feed=alarm|category=river_gauge": 1}  # fmt: skip
    counts = Counts(NOW, open_total=4, tally=tally)
    data = ModuleData(NOW, counts=counts, stations=stations, alarms=alarms)
    assert shown("environment", data) == {
        "空气站 超标 / 总数": "1 / 3个", "水质站 超标 / 总数": "1 / 1个", "最高AQI": "168",
        "生态环境在办": "3件",
    }  # fmt: skip


def test_flood_compares_the_rivers_with_their_own_warning_and_guaranteed_levels() -> None:
    stations = {
        "water:1": reading("water", "1", z=3.92, wrz=3.80, grz=4.30),
        "water:2": reading("water", "2", z=4.35, wrz=4.10, grz=4.30),
        "water:3": reading("water", "3", z=2.10, wrz=3.00, grz=3.50),
        "water:R1": reading("water", "R1", drp=12.5),
        "water:R2": reading("water", "R2", drp=3.0),
    }
    assert shown("flood", ModuleData(NOW, stations=stations)) == {
        "超警戒 / 河道站": "2 / 3个", "超保证": "1个", "最高水位 / 警戒": "4.35 / 4.10米",
        "时段最大雨量": "12.5毫米",
    }  # fmt: skip


def test_appeals_counts_today_and_the_open_requests_by_channel() -> None:
    tally = {
        "feed=open311": 4,
        "feed=environment": 2,
        "feed=governance": 7,
        "feed=urban": 15,
        "feed=governance|level=village": 2,
        "feed=urban|level=town": 1,
        "feed=water": 2,
    }
    counts = Counts(NOW, open_total=30, today_total=12, tally=tally)
    assert shown("appeals", ModuleData(NOW, counts=counts)) == {
        "今日受理": "12件", "12345 / 12369 在办": "4 / 2件", "网格 / 城管 在办": "7 / 15件",
        "已升级": "3件",
    }  # fmt: skip


def test_squads_show_each_squads_workload_and_the_random_checks_published() -> None:
    counts = Counts(NOW, open_total=9, tally={"department=enforce-central": 5,
                    "department=enforce-north": 3})  # fmt: skip
    today = {"department": {"enforce-central|r": 2, "enforce-south|r": 1}}
    checks = (
        metric("inspection", "1", random=True, published=True, squad="enforce-north"),
        metric("inspection", "2", random=True, published=False, squad="enforce-north"),
        metric("inspection", "3", random=False, published=False, squad="enforce-south"),
        metric("inspection", "4", LAST_MONTH, random=True, published=True, squad="enforce-south"),
    )
    assert shown("squads", ModuleData(NOW, checks, counts=counts, today_kpi=today)) == {
        "一中队 在办 / 今日": "5 / 2件", "二中队 在办 / 今日": "3 / 0件",
        "三中队 在办 / 今日": "0 / 1件", "本月双随机 抽查 / 公示": "2 / 1次",
    }  # fmt: skip
    assert short("综合执法二中队（北片）") == "二中队"


def test_party_grid_places_branches_and_households_on_the_towns_grids() -> None:
    def org(code: str, kind: str, members: int, grid: str | None) -> dict[str, Any]:
        return metric("party", f"org/{code}", record="organisation", org=code, org_type=kind,
                      members=members, grid=grid)  # fmt: skip

    town = TownFacts({"G1": "V1", "G2": "V1", "G3": "V2"})
    metrics = (
        org("C", "committee", 120, None),
        org("B1", "branch", 40, "G1"),
        org("B2", "branch", 30, "G1"),
        org("B3", "joint_branch", 50, "G3"),
        org("H1", "household", 2, "G1"),
        org("H2", "household", 1, "G3"),
        org("A", "alliance", 0, None),
    )
    assert shown("party_grid", ModuleData(NOW, metrics, town=town)) == {
        "支部覆盖网格": "2 / 3个", "网格党支部": "3个", "党员中心户": "2户", "网格党员": "120人",
    }  # fmt: skip
