"""UI text: one dict per language and `t(key, lang)`; Simplified Chinese unless `?lang=en`."""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import parse_qs

from dashboard.routing import page_address

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
    "col.level": "层级",
    "level.grid": "网格",
    "level.village": "村级",
    "level.town": "镇级",
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
    "feed.urban": "数字城管",
    "feed.governance": "综治",
    "feed.environment": "生态环境",
    "feed.water": "水利",
    "feed.safety": "安监",
    "feed.cap": "预警",
    "feed.open311": "市民诉求",
    "feed.service_hall": "政务服务",
    "feed.economy": "经济运行",
    "feed.enterprise": "企业",
    "feed.labour": "用工",
    "feed.tourism": "文旅",
    "feed.party": "党建",
    "age.seconds": "{n}秒前",
    "age.minutes": "{n}分钟前",
    "age.hours": "{n}小时前",
    "age.days": "{n}天前",
    "age.never": "从未",
    "age.unknown": "—",
    "status.live": "正常",
    "status.silent": "静默",
    "status.never": "从未接收",
    "admin.title": "{town}数据接入管理",
    "admin.updated": "更新于 {time}",
    "admin.redis_down": "Redis 无响应，显示的是 {time} 的数据",
    "admin.to_wall": "返回大屏",
    "admin.other_lang": "English",
    "admin.feeds": "各数据源接入状态",
    "admin.dead": "最近的死信",
    "admin.counts": "死信统计（按数据源和原因）",
    "admin.detail": "死信详情",
    "admin.detail_hint": "点击一条死信查看完整原始报文",
    "admin.detail_gone": "该死信已不存在（已重放或已清理）",
    "admin.truncated": "（报文过长，只显示前 {n} 个字符）",
    "admin.no_dead": "暂无死信",
    "admin.no_feeds": "暂无数据源",
    "col.feed": "数据源",
    "col.status": "状态",
    "col.last_at": "最后数据时间",
    "col.last_age": "距今",
    "col.rate": "每分钟条数",
    "col.records": "累计条数",
    "col.dead_letters": "死信数",
    "col.last_error": "最近错误",
    "col.received_at": "接收时间",
    "col.reason": "原因",
    "col.source_id": "来源编号",
    "col.raw": "原始报文",
    "col.count": "条数",
    "col.entry": "条目",
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
    "col.level": "Level",
    "level.grid": "Grid",
    "level.village": "Village",
    "level.town": "Town",
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
    "feed.urban": "Urban mgmt",
    "feed.governance": "Governance",
    "feed.environment": "Environment",
    "feed.water": "Water",
    "feed.safety": "Work safety",
    "feed.cap": "Alerts",
    "feed.open311": "311 requests",
    "feed.service_hall": "Service hall",
    "feed.economy": "Economy",
    "feed.enterprise": "Enterprises",
    "feed.labour": "Labour",
    "feed.tourism": "Tourism",
    "feed.party": "Party",
    "age.seconds": "{n} s ago",
    "age.minutes": "{n} min ago",
    "age.hours": "{n} h ago",
    "age.days": "{n} d ago",
    "age.never": "never",
    "age.unknown": "—",
    "status.live": "Live",
    "status.silent": "Silent",
    "status.never": "Never",
    "admin.title": "{town} Data Intake",
    "admin.updated": "Updated {time}",
    "admin.redis_down": "Redis does not answer: showing data as of {time}",
    "admin.to_wall": "Video wall",
    "admin.other_lang": "中文",
    "admin.feeds": "Feeds",
    "admin.dead": "Recent dead letters",
    "admin.counts": "Dead letters by feed and reason",
    "admin.detail": "Dead letter",
    "admin.detail_hint": "Click a dead letter to see its whole raw payload",
    "admin.detail_gone": "This dead letter is gone (replayed or trimmed)",
    "admin.truncated": "(payload too long: the first {n} characters)",
    "admin.no_dead": "No dead letters",
    "admin.no_feeds": "No feeds",
    "col.feed": "Feed",
    "col.status": "Status",
    "col.last_at": "Last data",
    "col.last_age": "Age",
    "col.rate": "Per minute",
    "col.records": "Records",
    "col.dead_letters": "Dead letters",
    "col.last_error": "Last error",
    "col.received_at": "Received",
    "col.reason": "Reason",
    "col.source_id": "Source id",
    "col.raw": "Raw payload",
    "col.count": "Count",
    "col.entry": "Entry",
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
    """The language of the page being served, from its `?lang=` (see dashboard.routing).

    Without a page address (a proxy that strips the Referer, no request at all) the page is
    in the default language.
    """
    query = parse_qs(page_address().query)
    return lang_of(query.get("lang", [""])[0])
