"""景区客流 scenic-spot visitor counts, JSON: see docs/feeds/modules.md#tourism."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from ingest.event import Event
from ingest.feeds._module_common import (
    Blank,
    Code,
    Count,
    Draft,
    Flags,
    Located,
    ModuleAdapter,
    Name,
    Positive,
    SourceTime,
    as_object,
    build,
    locate,
    ratio,
)
from ingest.mapping import mapping
from ingest.payload import RawRecord

FEED = "tourism"
Period = Annotated[str, Field(pattern=r"^\d{1,2}:\d{2}\s*[-~–至]\s*\d{1,2}:\d{2}$")]


class VisitorCount(Located):
    """One count of one scenic spot: how many are inside now, against what it can hold."""

    jqbm: Code = Field(description="景区编码 spot code")
    jqmc: Name = Field(description="景区名称 spot name")
    jqdj: str = Field(default="", description="景区等级 A-grade, e.g. AAAA")
    tjsj: SourceTime = Field(description="统计时间 the moment counted")
    sd: Annotated[Period | None, Blank] = Field(default=None, description="时段 09:00-09:15")
    zyrs: Count = Field(description="在园人数 visitors inside")
    zdczl: Positive = Field(description="最大承载量 instantaneous capacity")
    rys: Annotated[Count | None, Blank] = Field(default=None, description="时段入园人数")
    ljrys: Annotated[Count | None, Blank] = Field(default=None, description="当日累计入园")


def comfort(load: float) -> dict[str, Any]:
    """The comfort row of the table for a load ratio; over capacity is data, not an error."""
    rows: list[dict[str, Any]] = mapping(FEED)["levels"]
    return next(row for row in rows if row["below"] is None or load < row["below"])


def to_event(record: RawRecord, received_at: datetime) -> Event:
    rec = VisitorCount.model_validate(as_object(record))
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
        point=locate(rec),
    )
    return build(draft, record, received_at, flags)


ADAPTER = ModuleAdapter(FEED, to_event, keys=("jqbm",))
