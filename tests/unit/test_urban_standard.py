"""The urban feed follows the national 数字城管 code table, CJ/T 214-2007 (GB/T 30428.2-2013).

The tables below are written from the standard, not read back from the mapping file: a code
whose category drifts from its standard meaning fails here.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cases.categories import categories, category
from cases.model import Place, Siting, apply
from cases.routing import table
from core.event import Event
from ingest.feeds.urban import ADAPTER, FEED, KEY, LOCAL, codes
from ingest.mapping import MAPPINGS_DIR, code_table, mapping
from ingest.sim.urban import CATALOGUE

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)
VENDING, PARKING = "street_vending", "parking"

# Major classes: 事件 and 部件 each number their own.
MAJOR = {
    "事件:01": "市容环境", "事件:02": "宣传广告", "事件:03": "施工管理", "事件:04": "突发事件",
    "事件:05": "街面秩序",
    "部件:01": "公用设施", "部件:02": "道路交通", "部件:03": "市容环境", "部件:04": "园林绿化",
}  # fmt: skip

# Code → (the standard's minor-class name, the internal category of that meaning).
STANDARD: dict[str, tuple[str, str]] = {
    # 事件 05 街面秩序
    "事件:0501": ("无照经营游商", VENDING),
    "事件:0502": ("流浪乞讨", "begging"),
    "事件:0503": ("占道废品收购", "scrap_collection"),
    "事件:0504": ("店外经营", VENDING),
    "事件:0505": ("机动车乱停放", PARKING),
    "事件:0506": ("非机动车乱停放", PARKING),
    "事件:0507": ("乱堆物堆料", "clutter"),
    "事件:0508": ("商业噪音", "noise"),
    "事件:0509": ("黑车拉客", "street_order"),
    "事件:0510": ("露天烧烤", "street_order"),
    "事件:0512": ("非法出版物销售", "street_order"),
    "事件:0599": ("其他街面秩序问题", "street_order"),
    # 事件 01 市容环境
    "事件:0101": ("私搭乱建", "illegal_structure"),
    "事件:0102": ("暴露垃圾", "exposed_garbage"),
    "事件:0103": ("积存垃圾渣土", "garbage_pile"),
    "事件:0104": ("道路不洁", "dirty_road"),
    "事件:0105": ("水域不洁", "sanitation"),
    "事件:0106": ("绿地脏乱", "sanitation"),
    "事件:0107": ("废弃车辆", "abandoned_vehicle"),
    "事件:0108": ("废弃家具设备", "clutter"),
    "事件:0109": ("非装饰性树挂", "sanitation"),
    # 事件 02 宣传广告
    "事件:0201": ("非法小广告", "illegal_ad"),
    "事件:0202": ("违章张贴悬挂广告牌匾", "illegal_ad"),
    "事件:0203": ("占道广告牌", "illegal_ad"),
    "事件:0204": ("街头散发广告", "illegal_ad"),
    # 事件 03 施工管理
    "事件:0301": ("施工扰民", "construction_noise"),
    "事件:0302": ("工地扬尘", "construction_dust"),
    # 事件 04 突发事件
    "事件:0401": ("路面塌陷", "road_collapse"),
    "事件:0402": ("自来水管破裂", "pipe_failure"),
    "事件:0403": ("燃气管道破裂", "gas_leak"),
    "事件:0404": ("下水道堵塞或破损", "pipe_failure"),
    # 部件 01 公用设施
    "部件:0101": ("上水井盖", "manhole_cover"),
    "部件:0102": ("污水井盖", "manhole_cover"),
    "部件:0103": ("雨水井盖", "manhole_cover"),
    "部件:0104": ("雨水箅子", "manhole_cover"),
    "部件:0105": ("电力井盖", "manhole_cover"),
    "部件:0106": ("路灯井盖", "manhole_cover"),
    "部件:0107": ("电信井盖", "manhole_cover"),
    "部件:0108": ("有线电视井盖", "manhole_cover"),
    "部件:0109": ("网络井盖", "manhole_cover"),
    "部件:0110": ("热力井盖", "manhole_cover"),
    "部件:0111": ("燃气井盖", "manhole_cover"),
    "部件:0112": ("公安井盖", "manhole_cover"),
    "部件:0113": ("消防设施", "public_facility"),
    "部件:0114": ("不明井盖", "manhole_cover"),
    "部件:0115": ("电信交接箱", "public_facility"),
    "部件:0116": ("电力设施", "public_facility"),
    "部件:0117": ("电杆", "public_facility"),
    "部件:0118": ("路灯", "streetlight"),
    "部件:0119": ("地灯", "streetlight"),
    "部件:0121": ("报刊亭", "public_facility"),
    "部件:0122": ("电话亭", "public_facility"),
    "部件:0123": ("邮筒", "public_facility"),
    "部件:0124": ("信息亭", "public_facility"),
    "部件:0125": ("自动售货亭", "public_facility"),
    "部件:0126": ("健身设施", "public_facility"),
    "部件:0127": ("中水井盖", "manhole_cover"),
    # 部件 02 道路交通
    "部件:0201": ("停车场", "road_facility"),
    "部件:0202": ("停车咪表", "road_facility"),
    "部件:0203": ("公交站亭", "road_facility"),
    "部件:0204": ("出租车站牌", "road_facility"),
    "部件:0205": ("过街天桥", "road_facility"),
    "部件:0206": ("地下通道", "road_facility"),
    "部件:0207": ("高架立交桥", "road_facility"),
    "部件:0208": ("跨河桥", "road_facility"),
    "部件:0209": ("交通标志牌", "road_facility"),
    "部件:0211": ("交通护栏", "road_facility"),
    "部件:0212": ("存车支架", "road_facility"),
    "部件:0213": ("路名牌", "road_facility"),
    # 部件 03 市容环境
    "部件:0301": ("公共厕所", "sanitation_facility"),
    "部件:0302": ("化粪池", "sanitation_facility"),
    "部件:0303": ("公厕指示牌", "sanitation_facility"),
    "部件:0304": ("垃圾间", "sanitation_facility"),
    "部件:0305": ("垃圾箱", "sanitation_facility"),
    "部件:0306": ("灯箱霓虹灯", "public_facility"),
    "部件:0307": ("广告牌匾", "public_facility"),
    # 部件 04 园林绿化
    "部件:0401": ("古树名木", "greenery"),
    "部件:0402": ("行道树", "greenery"),
    "部件:0404": ("花架花钵", "greenery"),
    "部件:0405": ("绿地", "greenery"),
    "部件:0406": ("雕塑", "public_facility"),
    "部件:0407": ("街头座椅", "public_facility"),
}


def record(code: str, name: str, **fields: Any) -> dict[str, Any]:
    ajlx, xlbm = code.split(":")
    return {
        "ajbh": f"STD-{ajlx}-{xlbm}", "wtly": "监督员上报", "ajlx": ajlx,
        "dlmc": MAJOR.get(code[:-2], ""), "xlmc": name, "xlbm": xlbm, "wtms": "测试",
        "zbx": 120.397, "zby": 31.7835, "zbxt": "WGS84", "sbsj": "2026-11-28 09:12:33",
        "zt": "待受理", **fields,
    }  # fmt: skip


def parse(payload: dict[str, Any]) -> Event:
    [event] = ADAPTER.parse(orjson.dumps(payload), NOW)
    assert isinstance(event, Event), event
    return event


def minutes(code: str) -> int | None:
    return category(code).response_minutes


@pytest.mark.parametrize(("code", "meaning"), sorted(STANDARD.items()))
def test_each_standard_code_means_its_standard_class(code: str, meaning: tuple[str, str]) -> None:
    name, expected = meaning
    event = parse(record(code, name))
    assert event.category == expected, f"{code} {name}"
    assert "code_name_mismatch" not in event.attrs and "unmapped_category" not in event.attrs
    assert event.title == name


def test_the_mapping_lists_exactly_the_standard_codes_with_their_names() -> None:
    table = {k: v for k, v in codes().codes.items() if not v.local}
    assert {k: (v.name, v.category) for k, v in table.items()} == STANDARD
    assert mapping(FEED)["major_classes"] == MAJOR


def test_street_order_the_15_minute_rule_follows_the_meaning() -> None:
    assert STANDARD["事件:0501"][1] == VENDING and minutes(VENDING) == 15
    assert STANDARD["事件:0505"][1] == PARKING and minutes(PARKING) == 15
    assert minutes(STANDARD["事件:0504"][1]) == 15  # 店外经营 is 占道经营 by a shop
    assert minutes(STANDARD["事件:0506"][1]) == 15  # 乱停乱放 covers every vehicle
    begging = STANDARD["事件:0502"][1]
    assert begging not in (PARKING, VENDING) and minutes(begging) is None
    scrap = STANDARD["事件:0503"][1]
    assert scrap not in (PARKING, VENDING) and minutes(scrap) is None


def test_begging_goes_to_the_governance_centre_not_an_enforcement_squad() -> None:
    routes = table()
    for village, kind in (("XXK-01", "community"), ("XXK-06", "village")):
        assert routes.route("begging", village, kind).team == "stability"


def test_the_old_misreadings_are_gone() -> None:
    assert parse(record("部件:0201", "停车场")).category != "streetlight"
    assert parse(record("部件:0118", "路灯")).category == "streetlight"
    assert parse(record("事件:0101", "私搭乱建")).category != "exposed_garbage"
    assert parse(record("事件:0102", "暴露垃圾")).category == "exposed_garbage"
    assert parse(record("事件:0402", "自来水管破裂")).category != "waterlogging"
    assert parse(record("事件:0302", "工地扬尘")).category != "construction_waste"


def test_every_category_the_table_names_is_known() -> None:
    table = codes()
    named = {c.category for c in table.codes.values()} | set(table.names.values())
    assert named <= set(categories())


def test_the_simulator_sends_only_standard_codes_with_their_names() -> None:
    for ajlx, xlbm, dlmc, xlmc, weight, _ in CATALOGUE:
        code = f"{ajlx}:{xlbm}"
        assert code in STANDARD, code
        assert (dlmc, xlmc) == (MAJOR[code[:-2]], STANDARD[code][0]), code
        assert weight > 0


def test_a_code_sent_as_a_json_number_gets_its_leading_zero_back() -> None:
    event = parse({**record("事件:0505", "机动车乱停放"), "xlbm": 505})
    assert event.category == PARKING and event.attrs["minor_code"] == "0505"


def test_an_alias_of_the_standard_name_is_no_mismatch() -> None:
    event = parse(record("部件:0107", "通讯井盖"))
    assert event.category == "manhole_cover" and "code_name_mismatch" not in event.attrs
    assert event.title == "通讯井盖"


def test_a_code_and_name_that_disagree_keep_the_code_s_meaning_and_are_flagged() -> None:
    event = parse(record("事件:0505", "无照经营游商"))
    assert event.category == PARKING
    assert event.attrs["code_name_mismatch"] == {
        "code": "事件:0505", "sent_name": "无照经营游商", "standard_name": "机动车乱停放",
    }  # fmt: skip
    assert event.attrs["minor_class"] == "无照经营游商"  # as sent
    assert event.title == "机动车乱停放"
    assert "unmapped_category" not in event.attrs
    siting = Siting(Place("XXK-01-01", "一网格", "XXK-01", "甲村"), event.lon, event.lat)
    result = apply(None, event, siting, "1-0")
    assert result is not None and "code_name_mismatch" in result[0].flags


def test_a_code_without_a_name_sent_is_no_mismatch() -> None:
    event = parse(record("事件:0502", ""))
    assert event.category == "begging" and "code_name_mismatch" not in event.attrs
    assert event.title == "流浪乞讨"


def test_an_unknown_code_falls_back_to_the_name_then_to_other() -> None:
    by_name = parse(record("事件:0406", "道路积水"))  # a code this table does not confirm
    assert by_name.category == "waterlogging" and not set(by_name.attrs) & {
        "unmapped_category",
        "code_name_mismatch",
    }
    standard_name = parse(record("事件:9999", "店外经营"))
    assert standard_name.category == VENDING
    unknown = parse(record("事件:9999", "新类型"))
    assert unknown.category == "other" and unknown.attrs["unmapped_category"] is True


def test_a_local_code_is_merged_into_the_lookup() -> None:
    local = {k: v for k, v in codes().codes.items() if v.local}
    assert local and not local.keys() & STANDARD.keys()
    # In the classes the standard leaves free: major class 21 and above, or minor 90 and above.
    assert all(int(code[-4:-2]) >= 21 or int(code[-2:]) >= 90 for code in local)
    event = parse(record("事件:2101", "道路积水"))
    assert event.category == "waterlogging" and "code_name_mismatch" not in event.attrs


def tables(tmp_path: Path, local: dict[str, Any], **standard: Any) -> Path:
    shutil.copy(MAPPINGS_DIR / f"{FEED}.json", tmp_path / f"{FEED}.json")
    if standard:
        data = json.loads((tmp_path / f"{FEED}.json").read_text(encoding="utf-8"))
        (tmp_path / f"{FEED}.json").write_text(json.dumps({**data, **standard}), encoding="utf-8")
    (tmp_path / f"{LOCAL}.json").write_text(json.dumps({"codes": local}), encoding="utf-8")
    return tmp_path


def test_a_local_code_that_collides_with_a_standard_one_stops_the_load(tmp_path: Path) -> None:
    directory = tables(tmp_path, {"事件:0505": {"name": "夜间乱停放", "category": "other"}})
    with pytest.raises(RuntimeError, match=r"urban_local\.json: 事件:0505 collides") as caught:
        code_table(FEED, LOCAL, KEY, directory)
    assert "urban.json" in str(caught.value) and "never overrides" in str(caught.value)


def test_a_code_without_a_name_or_category_stops_the_load(tmp_path: Path) -> None:
    directory = tables(
        tmp_path,
        {"事件:2101": {"category": "waterlogging"}, "事件:2102": {"name": "x"}, "2103": {}},
    )
    with pytest.raises(RuntimeError) as caught:
        code_table(FEED, LOCAL, KEY, directory)
    message = str(caught.value)
    assert "事件:2101 has no name" in message and "事件:2102 has no category" in message
    assert "'2103' is not a code" in message


def test_a_name_fallback_that_contradicts_the_table_stops_the_load(tmp_path: Path) -> None:
    directory = tables(tmp_path, {}, category_names={"机动车乱停放": "street_vending"})
    with pytest.raises(RuntimeError, match="category_names says '机动车乱停放'"):
        code_table(FEED, LOCAL, KEY, directory)
