"""The admin page's tables (pure): per-feed freshness, recent dead letters, their counts, and
what the engine quarantined.

Everything a dead letter carries came from outside: it is only ever shown as text. The grids
use ag-grid's default text cells and tooltips (no HTML renderer, no markdown), the detail
panel a `<pre>` with a string child. Times are shown on Beijing's clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import dash_ag_grid as dag
from dash import html

from core.times import beijing
from dashboard.i18n import Lang, t
from dashboard.lights import age_text, feed_label
from dashboard.theme import FONT_VAR

PREVIEW_MAX: Final = 500  # characters of a raw payload sent per row (cell and tooltip)
ROW_PX: Final = 32  # a desk page: dense rows
DETAIL_MAX: Final = 100_000  # characters of a raw payload shown in the detail panel
THEME: Final = f"themeQuartz.withParams({{fontFamily: '{FONT_VAR}', fontSize: 14}})"
Row = dict[str, Any]


def beijing_text(value: str | None) -> str:
    """An ISO time as "2026-11-28 09:12:33" in Beijing; "" when there is none."""
    if not value:
        return ""
    try:
        return f"{beijing(datetime.fromisoformat(value)):%Y-%m-%d %H:%M:%S}"
    except ValueError:
        return value  # not a time after all: show what is there


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def feed_rows(rows: Iterable[Mapping[str, Any]], lang: Lang) -> list[Row]:
    """`freshness.feeds_status` rows as the freshness table shows them."""
    return [
        {
            "id": row["feed"],
            "feed": feed_label(row["feed"], lang),
            "status": row["status"],
            "status_text": t(f"status.{row['status']}", lang),
            "last_at": beijing_text(row.get("last_at")),
            "age": age_text(row.get("age_s"), lang),
            "rate_per_min": row.get("rate_per_min", 0),
            "records": row.get("records", 0),
            "dead_letters": row.get("dead_letters", 0),
            "last_error": row.get("last_error") or "",
        }
        for row in rows
    ]


def dead_letter_rows(letters: Iterable[Mapping[str, str]], lang: Lang) -> list[Row]:
    """Recent dead letters, newest first; the raw payload clipped (the detail shows it all)."""
    return [
        {
            "id": letter["entry"],
            "received_at": beijing_text(letter.get("received_at")),
            "feed": feed_label(letter.get("feed", ""), lang),
            "reason": letter.get("reason", ""),
            "source_id": letter.get("source_id", ""),
            "raw": clip(letter.get("raw", ""), PREVIEW_MAX),
        }
        for letter in letters
    ]


def count_rows(counts: Iterable[Mapping[str, Any]], lang: Lang) -> list[Row]:
    return [
        {
            "id": f"{row['feed']}\t{row['reason']}",
            "feed": feed_label(row["feed"], lang),
            "reason": row["reason"],
            "count": row["count"],
        }
        for row in counts
    ]


def _col(field: str, key: str, lang: Lang, **more: Any) -> dict[str, Any]:
    return {"field": field, "headerName": t(key, lang), **more}


def feed_columns(lang: Lang) -> list[dict[str, Any]]:
    statuses = ("live", "silent", "never")
    status_rules = {f"admin-status-{s}": f"params.data.status === '{s}'" for s in statuses}
    return [
        _col("feed", "col.feed", lang, width=130),
        _col("status_text", "col.status", lang, width=110, cellClassRules=status_rules),
        _col("last_at", "col.last_at", lang, width=180),
        _col("age", "col.last_age", lang, width=120),
        _col("rate_per_min", "col.rate", lang, width=120, type="numericColumn"),
        _col("records", "col.records", lang, width=120, type="numericColumn"),
        _col("dead_letters", "col.dead_letters", lang, width=110, type="numericColumn"),
        _col("last_error", "col.last_error", lang, flex=1, minWidth=240, tooltipField="last_error"),
    ]


def dead_letter_columns(lang: Lang) -> list[dict[str, Any]]:
    return [
        _col("received_at", "col.received_at", lang, width=180),
        _col("feed", "col.feed", lang, width=110),
        _col("reason", "col.reason", lang, flex=1, minWidth=220, tooltipField="reason"),
        _col("source_id", "col.source_id", lang, width=150, tooltipField="source_id"),
        _col(
            "raw", "col.raw", lang, flex=2, minWidth=260, tooltipField="raw", cellClass="admin-raw"
        ),
    ]


def count_columns(lang: Lang) -> list[dict[str, Any]]:
    return [
        _col("feed", "col.feed", lang, width=110),
        _col("reason", "col.reason", lang, flex=1, minWidth=160, tooltipField="reason"),
        _col("count", "col.count", lang, width=90, type="numericColumn"),
    ]


def admin_grid(
    grid_id: str,
    columns: list[dict[str, Any]],
    empty: str,
    height: int | None = None,
    **options: Any,
) -> dag.AgGrid:
    """A read-only grid of text cells, as tall as its rows unless `height` (px) is given;
    `empty` is what it says without rows, `options` go to ag-grid (e.g. rowSelection)."""
    layout = {"domLayout": "autoHeight"} if height is None else {}
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=columns,
        getRowId="params.data.id",
        defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True},
        dashGridOptions={
            "theme": {"function": THEME},
            "tooltipShowDelay": 300,
            "rowHeight": ROW_PX,
            "headerHeight": ROW_PX,
            "localeText": {"noRowsToShow": empty},
            **layout,
            **options,
        },
        className="admin-grid",
        style={"height": height, "width": "100%"},
    )


def readable(raw: str) -> str:
    """The raw payload for reading: JSON indented (still text), anything else as it came."""
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
    except ValueError:
        return raw


def dead_letter_detail(letter: Mapping[str, str] | None, lang: Lang) -> list[Any]:
    """The detail panel's children for one dead letter (None: it is gone)."""
    if letter is None:
        return [html.P(t("admin.detail_gone", lang), className="admin-hint")]
    fields = [
        ("col.received_at", beijing_text(letter.get("received_at"))),
        ("col.feed", feed_label(letter.get("feed", ""), lang)),
        ("col.reason", letter.get("reason", "")),
        ("col.source_id", letter.get("source_id", "")),
        ("col.entry", letter.get("entry", "")),
    ]
    terms = [part for key, value in fields for part in (html.Dt(t(key, lang)), html.Dd(value))]
    raw = readable(letter.get("raw", ""))
    note = [html.P(t("admin.truncated", lang, n=str(DETAIL_MAX)), className="admin-hint")]
    size, sha = letter.get("raw_bytes", ""), letter.get("raw_sha256", "")
    head = [html.P(t("admin.stored_head", lang, n=size, sha=sha), className="admin-hint")]
    return [
        html.H3(t("admin.detail", lang), className="admin-detail-title"),
        html.Dl(terms, className="admin-detail-fields"),
        *(head if letter.get("truncated") == "1" else []),
        *(note if len(raw) > DETAIL_MAX else []),
        html.Pre(raw[:DETAIL_MAX], className="admin-raw-full"),
    ]


# ---- the engine's quarantine ---------------------------------------------------------------


def _source(source: str, lang: Lang) -> str:
    return t(f"quarantine.{source}", lang) if source in ("events", "commands", "sweep") else source


def quarantine_rows(records: Iterable[Mapping[str, str]], lang: Lang) -> list[Row]:
    """Quarantine records, newest first; the raw fields clipped (the detail shows them)."""
    return [
        {
            "id": record["id"],
            "at": beijing_text(record.get("at")),
            "source": _source(record.get("source", ""), lang),
            "entry": record.get("entry", ""),
            "error": record.get("error", ""),
            "deliveries": int(record.get("deliveries") or 0),
            "raw": clip(record.get("raw", ""), PREVIEW_MAX),
        }
        for record in records
    ]


def quarantine_columns(lang: Lang) -> list[dict[str, Any]]:
    return [
        _col("at", "col.quarantined_at", lang, width=180),
        _col("source", "col.source", lang, width=110),
        _col("entry", "col.entry", lang, width=170, tooltipField="entry"),
        _col("error", "col.error", lang, flex=1, minWidth=240, tooltipField="error"),
        _col("deliveries", "col.deliveries", lang, width=100, type="numericColumn"),
        _col(
            "raw", "col.raw", lang, flex=1, minWidth=220, tooltipField="raw", cellClass="admin-raw"
        ),
    ]


def quarantine_detail(record: Mapping[str, str] | None, lang: Lang) -> list[Any]:
    """The detail panel's children for one quarantine record (None: it is gone)."""
    if record is None:
        return [html.P(t("admin.quarantine_gone", lang), className="admin-hint")]
    fields = [
        ("col.quarantined_at", beijing_text(record.get("at"))),
        ("col.source", _source(record.get("source", ""), lang)),
        ("col.entry", record.get("entry", "")),
        ("col.deliveries", record.get("deliveries", "")),
        ("col.error", record.get("error", "")),
        ("col.raw_bytes", record.get("raw_bytes", "")),
        ("col.sha256", record.get("raw_sha256", "")),
    ]
    terms = [part for key, value in fields for part in (html.Dt(t(key, lang)), html.Dd(value))]
    cut = record.get("truncated") == "1"
    note = t("admin.quarantine_cut", lang, n=record.get("raw_bytes", "?"))
    return [
        html.H3(t("admin.quarantine_detail", lang), className="admin-detail-title"),
        html.Dl(terms, className="admin-detail-fields"),
        *([html.P(note, className="admin-hint")] if cut else []),
        html.Pre(readable(record.get("raw", ""))[:DETAIL_MAX], className="admin-raw-full"),
    ]
