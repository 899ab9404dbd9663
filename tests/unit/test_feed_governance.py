from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from core.event import DeadLetter, Event
from ingest.feeds.governance import ADAPTER, COLUMNS, decode

NOW = datetime(2026, 11, 28, 1, 20, tzinfo=UTC)
HEADER = ",".join(COLUMNS)
ROW = (
    "ZZ202611280031,矛盾纠纷,邻里纠纷,XXK-03-02,张网格员,2026/11/28 9:05,东湖村12组,"
    "120.4012,31.7733,两户因宅基地边界争执,一般"
)


def row(**changes: str) -> str:
    """The example row with some cells replaced, by their Chinese column name."""
    cells = dict(zip(COLUMNS, ROW.split(","), strict=True)) | changes
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([cells[c] for c in COLUMNS])
    return out.getvalue()


def parse(*rows: str, encoding: str = "gbk", header: str = HEADER) -> list[Event | DeadLetter]:
    body = "\r\n".join([header, *rows]).encode(encoding)
    return list(ADAPTER.parse(body, NOW))


def one_event(*rows: str) -> Event:
    [event] = parse(*rows)
    assert isinstance(event, Event), getattr(event, "reason", event)
    return event


def one_event_with(header: str, line: str) -> Event:
    [event] = parse(line, header=header)
    assert isinstance(event, Event), getattr(event, "reason", event)
    return event


def test_the_contract_row_becomes_one_report() -> None:
    event = one_event(ROW)
    assert (event.feed, event.kind, event.source_id) == ("governance", "report", "ZZ202611280031")
    assert (event.category, event.severity, event.title) == ("dispute", 1, "邻里纠纷")
    # 2026/11/28 9:05 Beijing, single-digit hour, is 01:05 UTC.
    assert event.occurred_at == datetime(2026, 11, 28, 1, 5, tzinfo=UTC)
    assert (event.lon, event.lat, event.source_crs) == (120.4012, 31.7733, "WGS84")
    assert event.address == "东湖村12组"
    assert event.description == "两户因宅基地边界争执"
    assert event.attrs["grid_claimed"] == "XXK-03-02"
    assert event.attrs["reporter"] == "张网格员"
    assert "location_from_grid" not in event.attrs


def test_gbk_utf8_and_utf8_bom_bodies_give_the_same_events() -> None:
    gbk = parse(ROW, encoding="gbk")
    utf8 = parse(ROW, encoding="utf-8")
    bom = parse(ROW, encoding="utf-8-sig")
    assert gbk == utf8 == bom
    assert isinstance(gbk[0], Event) and gbk[0].description == "两户因宅基地边界争执"


def test_utf8_is_not_misread_as_gbk_mojibake() -> None:
    text = "两户因宅基地边界争执"
    # These UTF-8 bytes are also valid GB 18030 ("涓ゆ埛…"): trying UTF-8 first saves them.
    assert text.encode().decode("gb18030") != text
    assert decode(text.encode()) == text


def test_gb18030_only_characters_are_read() -> None:
    # 𠀀 is outside GBK; a GB 18030 export may carry it in a name.
    [event] = parse(row(上报人="𠀀网格员"), encoding="gb18030")
    assert isinstance(event, Event) and event.attrs["reporter"] == "𠀀网格员"


def test_a_body_that_is_no_text_is_one_body_dead_letter() -> None:
    [dead] = ADAPTER.parse(b"PK\x03\x04\x80\xff\xfe\x80", NOW)
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body" and "neither UTF-8 nor GBK" in dead.reason


@pytest.mark.parametrize("coords", [("", ""), ("0", "0"), (" ", "")])
def test_empty_coordinates_leave_placement_to_the_grid(coords: tuple[str, str]) -> None:
    event = one_event(row(经度=coords[0], 纬度=coords[1]))
    assert (event.lon, event.lat, event.source_crs) == (None, None, None)
    assert event.attrs["location_from_grid"] is True
    assert event.attrs["grid_claimed"] == "XXK-03-02"


def test_the_claimed_grid_is_kept_even_when_it_may_disagree() -> None:
    # The point lies in XXK-03-02; the source claims another grid: the engine flags it.
    assert one_event(row(所属网格="XXK-01-01")).attrs["grid_claimed"] == "XXK-01-01"
    assert one_event(row(所属网格="")).attrs["grid_claimed"] is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"经度": "", "纬度": "", "所属网格": ""}, "cannot be placed"),
        ({"经度": ""}, "only one of 经度/纬度"),
        ({"纬度": "北纬31度"}, "纬度 is not a number"),
        ({"经度": "nan"}, "经度 is not a finite number"),
        ({"经度": "31.7733", "纬度": "120.4012"}, "out of range"),
        ({"上报时间": "昨天"}, "unreadable time"),
        ({"上报时间": ""}, "上报时间"),
        ({"事件编号": ""}, "事件编号"),
    ],
)
def test_bad_rows_are_dead_lettered(changes: dict[str, str], reason: str) -> None:
    [dead] = parse(row(**changes))
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "record"
    assert reason in dead.reason and dead.reason.startswith("line 2: ")


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("矛盾纠纷", "dispute"),
        ("治安隐患", "public_security"),
        ("安全隐患", "safety_risk"),
        ("民生服务", "livelihood"),
        ("环境卫生", "sanitation"),
        ("其他", "other"),
    ],
)
def test_categories(name: str, category: str) -> None:
    event = one_event(row(事件类别=name))
    assert event.category == category
    assert "unmapped_category" not in event.attrs
    assert event.attrs["source_category"] == name


def test_an_unknown_category_is_kept_as_other_and_flagged() -> None:
    event = one_event(row(事件类别="信访维稳", 事件子类=""))
    assert event.category == "other" and event.attrs["unmapped_category"] is True
    assert event.title == "信访维稳"


@pytest.mark.parametrize(
    ("urgency", "severity", "flagged"),
    [("一般", 1, False), ("紧急", 2, False), ("特急", 3, False), ("", 1, False), ("较急", 1, True)],
)
def test_severity(urgency: str, severity: int, flagged: bool) -> None:
    event = one_event(row(紧急程度=urgency))
    assert event.severity == severity
    assert event.attrs.get("unmapped_urgency", False) is flagged


def test_a_missing_column_dead_letters_the_whole_file_naming_it() -> None:
    header = HEADER.replace(",紧急程度", "").replace("所属网格,", "")
    results = parse(ROW, ROW, header=header)
    [dead] = results
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body"
    assert "所属网格" in dead.reason and "紧急程度" in dead.reason
    assert dead.raw.startswith(header)


def test_column_order_and_extra_columns_do_not_matter() -> None:
    columns = ["备注", *reversed(COLUMNS)]
    cells = ["来自街道转办", *reversed(ROW.split(","))]
    event = one_event_with(",".join(columns), ",".join(cells))
    assert event.category == "dispute" and event.attrs["grid_claimed"] == "XXK-03-02"


def test_a_bad_row_keeps_a_self_describing_raw_and_the_batch_goes_on() -> None:
    results = parse(ROW, "ZZ202611280099,矛盾纠纷,邻里纠纷", row(事件编号="ZZ202611280032"))
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "Event"]
    dead = results[1]
    assert isinstance(dead, DeadLetter)
    assert dead.source_id == "ZZ202611280099"
    assert "line 3: 3 fields where the header has 11" in dead.reason
    header, line = list(csv.reader(io.StringIO(dead.raw)))
    assert header == list(COLUMNS) and line == ["ZZ202611280099", "矛盾纠纷", "邻里纠纷"]


def test_quoted_cells_keep_commas_newlines_and_markup_as_plain_text() -> None:
    text = '楼道堆放电动车、纸箱,消防通道被堵\n<b>需立即清理</b> & "复查"'
    event = one_event(row(事件描述=text))
    assert event.description == text


def test_the_raw_of_an_event_is_a_csv_that_gives_the_same_event() -> None:
    event = one_event(row(事件描述="含,逗号\n与换行"))
    [again] = ADAPTER.parse(event.raw.encode(), NOW)
    assert again == event
    assert codecs.BOM_UTF8 not in event.raw.encode()


def test_ids_are_stable_and_an_update_gets_a_new_one() -> None:
    first = one_event(ROW)
    [later] = ADAPTER.parse(f"{HEADER}\n{ROW}\n".encode("gbk"), NOW + timedelta(hours=1))
    update = one_event(row(紧急程度="紧急"))
    assert isinstance(later, Event) and later.id == first.id
    assert update.id != first.id and update.source_id == first.source_id


def test_blank_lines_and_empty_rows_are_not_records() -> None:
    results = parse("", ROW, ",,,,,,,,,,", "")
    assert [type(r).__name__ for r in results] == ["Event"]
    assert parse() == []


def test_an_oversized_field_is_dead_lettered_and_the_rows_after_it_are_kept() -> None:
    results = parse(ROW, row(事件编号="ZZ2", 事件描述="长" * 200_000), row(事件编号="ZZ3"))
    assert [type(r).__name__ for r in results] == ["Event", "DeadLetter", "Event"]
    dead = results[1]
    assert isinstance(dead, DeadLetter)
    assert "line 3: unreadable CSV" in dead.reason
    assert dead.raw.startswith("ZZ2,")
    assert "ZZ3" not in dead.raw, "the dead letter is that row alone"
    assert results[2].source_id == "ZZ3"


def test_an_unquoted_comma_is_named_as_the_likely_cause() -> None:
    [dead] = parse(ROW.replace("两户因宅基地边界争执", "两户因宅基地,边界争执"))
    assert isinstance(dead, DeadLetter)
    assert "12 fields where the header has 11 (an unquoted comma" in dead.reason


def test_trailing_empty_columns_of_a_spreadsheet_export_are_ignored() -> None:
    event = one_event_with(HEADER + ",,", ROW + ",,")
    assert event == one_event(ROW)
