"""UI text: one dict per language and `t(key, lang)`; Simplified Chinese unless `?lang=en`."""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import parse_qs, urlsplit

from dash import get_app
from dash.exceptions import AppNotFoundError

Lang = Literal["zh", "en"]
DEFAULT_LANG: Final[Lang] = "zh"

ZH: Final[dict[str, str]] = {
    "app.title": "{town}综合指挥调度中心",
    "wall.subtitle": "综合指挥调度中心",
    "link.connecting": "连接中",
    "link.ok": "链路正常",
    "link.down": "链路中断",
    "link.source_down": "数据源中断",
    "queue.title": "实时事件队列",
    "queue.empty": "暂无在办事件",
    "col.time": "上报",
    "col.category": "类别",
    "col.summary": "事件",
    "col.place": "村 / 网格",
    "col.age": "已用时",
    "col.countdown": "响应倒计时",
    "map.title": "网格态势",
    "map.open": "在办事件",
    "map.cases": "事件点位",
    "kpi.open": "在办事件",
    "kpi.today": "今日上报",
    "kpi.overdue": "超时未响应",
    "legend.title": "事件类别",
    "place.outside": "镇外",
    "unit.day": "天",
    "unit.hour": "时",
    "unit.minute": "分",
    "due.overdue": "超时",
    "due.none": "—",
    "due.responded": "已响应",
}

EN: Final[dict[str, str]] = {
    "app.title": "{town} Integrated Command Centre",
    "wall.subtitle": "Integrated Command Centre",
    "link.connecting": "Connecting",
    "link.ok": "Live",
    "link.down": "Link down",
    "link.source_down": "Data source down",
    "queue.title": "Live case queue",
    "queue.empty": "No open cases",
    "col.time": "Reported",
    "col.category": "Category",
    "col.summary": "Case",
    "col.place": "Village / grid",
    "col.age": "Age",
    "col.countdown": "Response due",
    "map.title": "Grid situation",
    "map.open": "Open cases",
    "map.cases": "Cases",
    "kpi.open": "Open cases",
    "kpi.today": "Reported today",
    "kpi.overdue": "Response overdue",
    "legend.title": "Categories",
    "place.outside": "Outside town",
    "unit.day": "d",
    "unit.hour": "h",
    "unit.minute": "m",
    "due.overdue": "Overdue",
    "due.none": "—",
    "due.responded": "Responded",
}

TEXTS: Final[dict[Lang, dict[str, str]]] = {"zh": ZH, "en": EN}


def lang_of(value: str | None) -> Lang:
    """The supported language a query value names; anything else is the default."""
    return "en" if value and value.lower().startswith("en") else DEFAULT_LANG


def t(key: str, lang: Lang = DEFAULT_LANG, **values: str) -> str:
    """The text of `key` in `lang`, formatted with `values`; KeyError names a missing key."""
    text = TEXTS[lang][key]
    return text.format(**values) if values else text


def words(prefix: str, lang: Lang) -> dict[str, str]:
    """Every text under `prefix.` in `lang`, keyed by the rest of the key (for browser code)."""
    start = f"{prefix}."
    return {k.removeprefix(start): v for k, v in TEXTS[lang].items() if k.startswith(start)}


def request_lang() -> Lang:
    """The language of the page being served, from its `?lang=`.

    A Dash layout function runs inside the `/_dash-layout` request, which carries no query;
    the page's own address (with its query) arrives as that request's Referer. Without one
    (a proxy that strips it, no request at all) the page is in the default language.
    """
    try:
        headers = get_app().backend.request_adapter().headers  # type: ignore[no-untyped-call]
    except (AppNotFoundError, RuntimeError, AttributeError):
        return DEFAULT_LANG
    query = parse_qs(urlsplit(headers.get("referer") or "").query)
    return lang_of(query.get("lang", [""])[0])
