"""Every feature module's figures move with its feeds: each is computed from native records
sent through the real adapters, then from the same records with the feed's data changed,
and the figures must differ. A module showing a constant of its own, or not reading the
feed it names, fails here; so does a feature module without a scenario below."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from cases.counts import Counts
from cases.tally import tally_field
from core.event import Event
from dashboard.modules import MODULES, ModuleData
from dashboard.modules._base import FEATURES, TownFacts
from ingest.feeds import FEEDS

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # Saturday 12:00 in Beijing
TODAY = "2026-11-28"
FIRM_A, FIRM_B = "91320281739415261W", "91320281MA1XPR3GQB"
Records = Mapping[str, list[dict[str, Any]]]  # feed → native records


def data_of(sent: Records) -> ModuleData:
    """What the panels would read once the engine had applied these records: each source's
    newest metric record, each station's newest reading, every report an open case."""
    metrics: dict[tuple[str, str], dict[str, Any]] = {}
    stations: dict[str, dict[str, Any]] = {}
    reports: list[Event] = []
    for feed, records in sent.items():
        for result in FEEDS[feed].parse(orjson.dumps(records), NOW):
            assert isinstance(result, Event), result
            record = result.to_dict(exclude=frozenset({"raw"}))
            if result.kind == "metric":
                metrics[feed, result.source_id] = record
            elif result.kind == "telemetry":
                stations[f"{feed}:{result.source_id}"] = record
            else:
                reports.append(result)
    return ModuleData(NOW, tuple(metrics.values()), counts=open_cases(reports),
                      stations=stations, town=TownFacts({"XXK-01-01": "XXK-01"}))  # fmt: skip


def open_cases(reports: list[Event]) -> Counts:
    """The counts of these reports as open cases at their grid, as cases/tally.py keeps them."""
    tally: Counter[str] = Counter()
    for e in reports:
        tally.update(["open", tally_field(feed=e.feed), tally_field(feed=e.feed, level="grid"),
                      tally_field(feed=e.feed, category=e.category)])  # fmt: skip
    hazards = Counter(e.title for e in reports if e.feed == "safety")
    return Counts(NOW, len(reports), len(reports), tally=tally, hazards_by_enterprise=hazards)


def indicator(value: float) -> dict[str, Any]:
    return {"tjyf": "2026-10", "zbdm": "GSGYZCZ", "zbmc": "规上工业总产值", "kj": "累计",
            "sz": value, "jldw": "亿元", "tbzz": 6.8}  # fmt: skip


def firm(code: str, above: str) -> dict[str, Any]:
    return {"tyshxydm": code, "qymc": f"企业{code[-4:]}", "djzt": "存续", "gsbz": above,
            "gxsj": "2026-11-27 17:32:05"}  # fmt: skip


def spot(inside: int) -> dict[str, Any]:
    return {"jqbm": "JQ320281113001", "jqmc": "徐霞客故居景区", "tjsj": f"{TODAY} 11:00:00",
            "zyrs": inside, "zdczl": 2000, "ljrys": 1702}  # fmt: skip


def snapshot(headcount: int) -> dict[str, Any]:
    return {"sjlx": "用工快照", "tyshxydm": FIRM_A, "qymc": "甲", "jcrq": TODAY,
            "zgrs": headcount, "qgrs": 35}  # fmt: skip


def hazard(number: str, grade: str) -> dict[str, Any]:
    return {"yhbh": number, "qymc": "江阴某化工有限公司", "tyshxydm": FIRM_B, "yhdj": grade,
            "yhms": "储罐区可燃气体报警器失效", "pcsj": f"{TODAY} 10:00", "zgqx": "2026-12-05",
            "zgzt": "未整改", "lon": 120.371, "lat": 31.801}  # fmt: skip


def check(number: str, kind: str = "双随机抽查", domain: str = "安全生产") -> dict[str, Any]:
    return {"jcbh": number, "jclx": kind, "rwbh": "SSJ-202611-01", "zfly": domain,
            "jcdx": "江阴某化工有限公司", "zfdw": "综合执法一中队", "jcrs": 2,
            "jcsj": f"{TODAY} 10:00:00", "jcjg": "未发现问题"}  # fmt: skip


def air(aqi: int) -> dict[str, Any]:
    return {"station": "AQ-03", "type": "air", "ts": f"{TODAY}T11:00:00+08:00", "lon": 120.381,
            "lat": 31.792, "values": {"PM2.5": 40, "AQI": aqi}}  # fmt: skip


def gauge(level: float) -> dict[str, Any]:
    return {"stcd": "63201234", "stnm": "璜塘河闸", "tm": f"{TODAY} 11:00", "z": level,
            "wrz": 3.80, "grz": 4.30, "drp": 2.5}  # fmt: skip


def complaint(number: str) -> dict[str, Any]:
    return {"tsbh": f"12369-{number}", "tslx": "噪声", "nr": "夜间施工噪声扰民", "dz": "璜塘路",
            "lon": 120.39, "lat": 31.78, "tssj": f"{TODAY} 10:40:00"}  # fmt: skip


def org(code: str, kind: str, members: int, grid: str = "") -> dict[str, Any]:
    return {"sjlx": "党组织", "zzbm": code, "zzmc": f"组织{code}", "zzlx": kind, "sjzzbm": "T",
            "dyrs": members, "gxsj": "2026-11-01 09:00:00", "wgbm": grid}  # fmt: skip


BRANCH = org("T1", "党支部", 40, "XXK-01-01")
# module id → (the records, the same feeds with their data changed)
SCENARIOS: dict[str, tuple[Records, Records]] = {
    "economy": ({"economy": [indicator(586.32)]}, {"economy": [indicator(601.5)]}),
    "enterprise": (
        {"enterprise": [firm(FIRM_A, "是")]},
        {"enterprise": [firm(FIRM_A, "是"), firm(FIRM_B, "否")]},
    ),
    "tourism": ({"tourism": [spot(300)]}, {"tourism": [spot(900)]}),
    "labour": ({"labour": [snapshot(486)]}, {"labour": [snapshot(520)]}),
    "safety": (
        {"safety": [hazard("YH-1", "一般隐患")]},
        {"safety": [hazard("YH-1", "一般隐患"), hazard("YH-2", "重大隐患")]},
    ),
    "environment": ({"environment": [air(80)]}, {"environment": [air(180)]}),
    "flood": ({"water": [gauge(3.42)]}, {"water": [gauge(3.95)]}),
    "appeals": (
        {"environment": [complaint("1")]},
        {"environment": [complaint("1"), complaint("2")]},
    ),
    "squads": (
        {"inspection": [check("JC-1")]},
        {"inspection": [check("JC-1"), check("JC-2")]},
    ),
    "party_grid": (
        {"party": [BRANCH]},
        {"party": [BRANCH, org("T1H1", "党员中心户", 2, "XXK-01-01")]},
    ),
}
FEATURE_MODULES = {m.id: m for m in MODULES if m.pillar in FEATURES}


def test_every_feature_module_has_a_scenario_and_there_are_ten_or_more() -> None:
    assert len(FEATURE_MODULES) >= 10
    assert set(FEATURE_MODULES) == set(SCENARIOS)


@pytest.mark.parametrize("module", sorted(SCENARIOS))
def test_a_feature_modules_figures_move_with_its_feed(module: str) -> None:
    figures: Callable[[ModuleData], Any] = FEATURE_MODULES[module].figures
    before, after = (figures(data_of(sent)) for sent in SCENARIOS[module])
    assert before, f"{module}: no figures from its feed's records"
    assert after != before, f"{module}: its figures did not move with its feed"
    assert figures(ModuleData(NOW)) == [], f"{module}: figures without any data"
