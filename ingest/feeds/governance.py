"""综治 (grid governance) events, CSV with a Chinese header, GBK: see docs/feeds/governance.md."""

from __future__ import annotations

import codecs
import csv
import io
import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.event import DeadLetter, Event, content_id
from core.times import parse_source_time
from ingest.adapter import CSV_MEDIA, RecordError, Result, describe, total, unexpected
from ingest.coords import CRS, to_wgs84
from ingest.mapping import mapping
from ingest.payload import BodyError

FEED = "governance"
KEY = "事件编号"
COLUMNS = (
    "事件编号", "事件类别", "事件子类", "所属网格", "上报人", "上报时间",
    "事发地址", "经度", "纬度", "事件描述", "紧急程度",
)  # fmt: skip


class GridEventRow(BaseModel):
    """One CSV row by its header; every cell is text, so numbers are read in ``_point``."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    number: str = Field(alias="事件编号", min_length=1, max_length=64)
    category: str = Field(alias="事件类别")
    subcategory: str = Field(alias="事件子类")
    grid: str = Field(alias="所属网格", max_length=64)
    reporter: str = Field(alias="上报人", max_length=100)
    reported_at: str = Field(alias="上报时间", min_length=1)
    address: str = Field(alias="事发地址", max_length=500)
    lon: str = Field(alias="经度")
    lat: str = Field(alias="纬度")
    description: str = Field(alias="事件描述", max_length=4000)
    urgency: str = Field(alias="紧急程度")


def decode(body: bytes) -> str:
    """The CSV's text: UTF-8 when it is valid UTF-8 (BOM or not), else GBK.

    UTF-8 is tried first because it is strict: GBK bytes of Chinese text (the header alone)
    are never valid UTF-8, while UTF-8 bytes often decode as GBK into mojibake. GBK is read
    as GB 18030, its superset, which decodes every GBK byte sequence identically.
    """
    if body.startswith(codecs.BOM_UTF8):
        try:
            return body[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BodyError(f"body has a UTF-8 BOM but is not UTF-8: byte {exc.start}") from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BodyError("body is neither UTF-8 nor GBK text")


def _header(rows: Iterator[list[str]]) -> list[str]:
    for row in rows:
        if any(cell.strip() for cell in row):
            header = [cell.strip() for cell in row]
            # Spreadsheet exports often end every line with empty columns.
            while header and not header[-1]:
                header.pop()
            missing = [column for column in COLUMNS if column not in header]
            if missing:
                raise BodyError(f"CSV header lacks column(s) {', '.join(missing)}")
            return header
    raise BodyError("empty body")


def serialise(header: Sequence[str], row: Sequence[str]) -> str:
    """The row as a CSV document of its own, header first, so the raw text is self-describing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(row)
    return out.getvalue()


def _coordinate(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RecordError(f"{name} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise RecordError(f"{name} is not a finite number: {text!r}")
    return value


def _point(row: GridEventRow) -> tuple[float | None, float | None]:
    """The WGS84 point, or (None, None) when the engine must place it at the grid's centroid."""
    if not row.lon and not row.lat:
        lon = lat = 0.0
    elif not row.lon or not row.lat:
        raise RecordError("only one of 经度/纬度 is given")
    else:
        lon, lat = _coordinate("经度", row.lon), _coordinate("纬度", row.lat)
    # Exports write 0,0 for "not located"; that point lies in the Gulf of Guinea, not the town.
    if lon == 0.0 and lat == 0.0:
        if not row.grid:
            raise RecordError("经度/纬度 are empty and 所属网格 too: the event cannot be placed")
        return None, None
    return to_wgs84(lon, lat, CRS.WGS84)


def _category(name: str) -> tuple[str, bool]:
    code: str | None = mapping(FEED)["categories"].get(name)
    return (code, False) if code else ("other", True)


def _severity(urgency: str) -> tuple[int, bool]:
    """Severity, and whether the 紧急程度 was a word the table does not know."""
    if not urgency:
        return 1, False
    level: int | None = mapping(FEED)["severity"].get(urgency)
    return (level, False) if level else (1, True)


def _meaning(row: GridEventRow, located: bool) -> tuple[str, int, dict[str, Any]]:
    """Category, severity and attrs; what the tables do not know is flagged, not dropped."""
    category, unmapped = _category(row.category)
    severity, unknown_urgency = _severity(row.urgency)
    attrs: dict[str, Any] = {
        "grid_claimed": row.grid or None,
        "source_category": row.category,
        "subcategory": row.subcategory,
        "reporter": row.reporter,
        "urgency": row.urgency,
    }
    if not located:
        attrs["location_from_grid"] = True
    if unmapped:
        attrs["unmapped_category"] = True
    if unknown_urgency:
        attrs["unmapped_urgency"] = True
    return category, severity, attrs


def _reported_at(text: str) -> datetime:
    try:
        return parse_source_time(text)
    except ValueError as exc:
        raise RecordError(f"上报时间: {exc}") from None


def to_event(record: dict[str, str], raw: str, received_at: datetime) -> Event:
    row = GridEventRow.model_validate(record)
    lon, lat = _point(row)
    category, severity, attrs = _meaning(row, located=lon is not None)
    return Event(
        id=content_id(FEED, row.number, dict(record)),
        feed=FEED,
        kind="report",
        source_id=row.number,
        category=category,
        severity=severity,
        title=row.subcategory or row.category or "综治事件",
        description=row.description,
        occurred_at=_reported_at(row.reported_at),
        received_at=received_at,
        lon=lon,
        lat=lat,
        source_crs=CRS.WGS84.value if lon is not None else None,
        address=row.address,
        attrs=attrs,
        raw=raw,
    )


def _width(row: list[str], header: list[str]) -> None:
    if len(row) < len(header):
        raise RecordError(f"{len(row)} fields where the header has {len(header)}")
    if len(row) > len(header):
        raise RecordError(
            f"{len(row)} fields where the header has {len(header)} (an unquoted comma in a cell?)"
        )


def _row_result(header: list[str], row: list[str], line: int, received_at: datetime) -> Result:
    if not any(cell.strip() for cell in row[len(header) :]):
        row = row[: len(header)]
    raw = serialise(header, row)
    record = dict(zip(header, row, strict=False))
    try:
        _width(row, header)
        return to_event(record, raw, received_at)
    except ValidationError as exc:
        reason = describe(exc)
    except ValueError as exc:
        reason = str(exc)
    except Exception as exc:  # the last resort, logged: this row alone is lost to a bug
        return unexpected(FEED, exc, raw, received_at, source_id=record.get(KEY) or None)
    source_id = record.get(KEY, "").strip() or None
    return DeadLetter(
        feed=FEED,
        reason=f"line {line}: {reason}",
        raw=raw,
        received_at=received_at,
        source_id=source_id,
    )


class _Lines:
    """The body's lines, split once and only when a row cannot be read."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None

    def between(self, start: int, end: int) -> str:
        if self._lines is None:
            self._lines = io.StringIO(self.text, newline="").readlines()
        return "".join(self._lines[start:end])


def _unreadable(lines: _Lines, start: int, end: int, exc: csv.Error, at: datetime) -> DeadLetter:
    # A row the reader refuses (a cell over the csv module's field limit): that row alone is
    # dead-lettered, and the reader goes on at the next line.
    return DeadLetter(
        feed=FEED,
        reason=f"line {start + 1}: unreadable CSV: {exc}",
        raw=lines.between(start, max(end, start + 1)),
        received_at=at,
    )


class GovernanceAdapter:
    feed = FEED
    media_types = CSV_MEDIA

    @total
    def parse(self, body: bytes, received_at: datetime) -> Iterator[Result]:
        text: str | None = None
        try:
            text = decode(body)
            rows = csv.reader(io.StringIO(text, newline=""))
            header = _header(rows)
        except BodyError as exc:
            raw = text if text is not None else body.decode("utf-8", errors="replace")
            yield DeadLetter(
                feed=FEED, reason=str(exc), raw=raw, received_at=received_at, scope="body"
            )
            return
        lines = _Lines(text)
        start = rows.line_num
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                yield _unreadable(lines, start, rows.line_num, exc, received_at)
            else:
                if any(cell.strip() for cell in row):
                    yield _row_result(header, row, start + 1, received_at)
            start = rows.line_num


ADAPTER = GovernanceAdapter()
