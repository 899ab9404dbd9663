"""Pure views of a case: the queue row and the map point the wall shows for it (from a case
that carries its view, `cases.view.with_view`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from cases.categories import category
from cases.routing import table
from cases.view import level_of
from core.times import epoch_ms
from dashboard.i18n import Lang, t
from dashboard.theme import group_colour

SUMMARY_MAX = 120  # characters of title + description sent per row: bounds a row's bytes


class Point(NamedTuple):
    id: str
    lon: float
    lat: float
    colour: str


def group_of(case: dict[str, Any]) -> str:
    group = case.get("group")
    return group if isinstance(group, str) and group else category(case.get("category", "")).group


def category_label(case: dict[str, Any], lang: Lang) -> str:
    cat = category(case.get("category", ""))
    return cat.zh if lang == "zh" else cat.en


def summary(case: dict[str, Any]) -> str:
    """Title and description as one plain-text line (never HTML: the grid renders text)."""
    title = str(case.get("title") or "").strip()
    text = str(case.get("description") or "").strip()
    joined = f"{title}：{text}" if title and text and text != title else title or text
    return joined if len(joined) <= SUMMARY_MAX else joined[: SUMMARY_MAX - 1] + "…"


def place(case: dict[str, Any], lang: Lang) -> str:
    if case.get("outside_town"):
        return t("place.outside", lang)
    village, grid = str(case.get("village_name") or ""), str(case.get("grid_name") or "")
    if village and grid.startswith(village) and grid != village:
        grid = grid.removeprefix(village)  # 璜塘社区 · 第一网格, not the village twice
    found = [n for n in (village, grid) if n]
    return " · ".join(found) if found else str(case.get("address") or "")


def is_open(case: dict[str, Any]) -> bool:
    return case.get("status") == "open"


def reported_ms(case: dict[str, Any]) -> int:
    """Report time in epoch milliseconds (the score of the case sorted sets)."""
    value = case.get("reported_at")
    return epoch_ms(datetime.fromisoformat(value)) if value else 0


def case_row(case: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """The queue row: only what the wall shows; times stay ISO UTC, the browser ticks them."""
    return {
        "id": case["id"],
        "category": category_label(case, lang),
        "group": group_of(case),
        "summary": summary(case),
        "place": place(case, lang),
        "reported_at": case.get("reported_at"),
        "responded_at": case.get("responded_at"),
        "severity": case.get("severity", 1),
        "level_label": t(f"level.{level_of(case)}", lang),
        "stage_label": case.get("stage_zh" if lang == "zh" else "stage_en") or "",
        # The case view (cases/view.py) as read: the browser counts the deadlines down.
        **{key: case.get(key) for key in VIEW_FIELDS},
        "level": level_of(case),
    }


VIEW_FIELDS = ("overdue", "handling_overdue", "late", "response_countdown", "handling_countdown")


def case_point(case: dict[str, Any]) -> Point | None:
    """The map point of an open case with coordinates; None when it has no place to show."""
    lon, lat = case.get("lon"), case.get("lat")
    if not is_open(case) or not isinstance(lon, int | float) or not isinstance(lat, int | float):
        return None
    return Point(case["id"], float(lon), float(lat), group_colour(group_of(case)))


def team_names(lang: Lang) -> dict[str, str]:
    """Every team of the routing table, code → its name in ``lang``."""
    return {code: (team.zh if lang == "zh" else team.en) for code, team in table().teams.items()}


def team_name(code: str | None, lang: Lang) -> str:
    """A team's name in ``lang``; the code itself when the table has no such team ("" none)."""
    return team_names(lang).get(code or "", code or "")
