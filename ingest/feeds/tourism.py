"""景区客流 scenic-spot visitor counts, JSON: see docs/feeds/modules.md#tourism."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from core.event import Event
from ingest.adapter import JsonFeed
from ingest.coords import Point
from ingest.feeds._module_common import Draft, Flags, Located, build, ratio
from ingest.mapping import mapping
from ingest.native import Name, code, count, decode, is_blank, optional_count, source_time

FEED = "tourism"
PERIOD = re.compile(r"\d{1,2}:\d{2}\s*[-~–至]\s*\d{1,2}:\d{2}")


class VisitorCount(Located, kw_only=True):
    """One count of one scenic spot: how many are inside now, against what it can hold."""

    jqbm: Any  # 景区编码 spot code
    jqmc: Name  # 景区名称 spot name
    tjsj: Any  # 统计时间 the moment counted
    zyrs: Any  # 在园人数 visitors inside
    zdczl: Any  # 最大承载量 instantaneous capacity
    jqdj: str = ""  # 景区等级 A-grade, e.g. AAAA
    sd: Any = None  # 时段 09:00-09:15
    rys: Any = None  # 时段入园人数
    ljrys: Any = None  # 当日累计入园

    def __post_init__(self) -> None:
        super().__post_init__()
        self.jqbm = code(self.jqbm, "jqbm")
        self.jqmc = code(self.jqmc, "jqmc", 200)
        self.tjsj = source_time(self.tjsj, "tjsj")
        self.zyrs = count(self.zyrs, "zyrs")
        self.zdczl = count(self.zdczl, "zdczl", gt=0)
        self.sd = _period(self.sd)
        self.rys = optional_count(self.rys, "rys")
        self.ljrys = optional_count(self.ljrys, "ljrys")


def _period(value: Any) -> str | None:
    if is_blank(value):
        return None
    if type(value) is not str or not PERIOD.fullmatch(value.strip()):
        raise ValueError(
            f"field 'sd': does not match the pattern of a period (09:00-09:15): {value!r}"
        )
    return value.strip()


def comfort(load: float) -> dict[str, Any]:
    """The comfort row of the table for a load ratio; over capacity is data, not an error."""
    rows: list[dict[str, Any]] = mapping(FEED)["levels"]
    return next(row for row in rows if row["below"] is None or load < row["below"])


def read(raw: bytes) -> VisitorCount:
    return decode(VisitorCount, raw)


def to_event(rec: VisitorCount, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    flags = Flags(FEED)
    load = ratio(rec.zyrs, rec.zdczl) or 0.0
    level = comfort(load)
    # Everyone inside entered today unless the spot lets people stay overnight.
    flags.raise_if(rec.ljrys is not None and rec.zyrs > rec.ljrys, "in_park_above_arrivals")
    attrs = {
        "spot": rec.jqbm,
        "spot_name": rec.jqmc,
        "grade": rec.jqdj,
        "period": rec.sd,
        "in_park": rec.zyrs,
        "capacity": rec.zdczl,
        "load_ratio": load,
        "comfort": level["level"],
        "comfort_zh": level["zh"],
        "arrivals": rec.rys,
        "arrivals_today": rec.ljrys,
    }
    draft = Draft(
        kind="metric",
        # The spot is the source: the engine keeps its newest count, each count its own id.
        source_id=rec.jqbm,
        category="visitor_count",
        title=rec.jqmc,
        occurred_at=rec.tjsj,
        attrs=attrs,
        severity=level["severity"],
        point=point,
    )
    return build(draft, raw, received_at, flags)


ADAPTER = JsonFeed(FEED, read, to_event, keys=("jqbm",))
