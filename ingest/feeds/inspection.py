"""综合执法 执法检查 (inspections, 双随机一公开 random checks among them), JSON: see
docs/feeds/inspection.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.event import Event
from ingest.adapter import JsonFeed
from ingest.coords import Point
from ingest.feeds._module_common import Draft, Flags, Located, build, iso, uscc
from ingest.native import (
    Address,
    Name,
    code,
    decode,
    optional_code,
    optional_count,
    optional_time,
    source_time,
)
from ingest.uscc import uscc_attrs

FEED = "inspection"
CATEGORY = "enforcement_check"
MIN_INSPECTORS = 2  # 行政处罚法 第42条: 执法人员不得少于两人


class Check(Located, kw_only=True):
    """One check by a squad of the town's enforcement team; times are Beijing time."""

    jcbh: Any  # 检查编号 check number
    jclx: Name  # 检查类型 双随机抽查 | 日常巡查 | 专项检查 | 投诉举报核查
    zfly: Name  # 执法领域 one of the ten domains
    jcdx: Name  # 检查对象 who or what was checked
    zfdw: Name  # 执法单位 the squad
    jcsj: Any  # 检查时间
    jcjg: Name  # 检查结果 未发现问题 | 责令整改 | 立案查处
    rwbh: Any = None  # 抽查任务编号 the random-check task (双随机)
    tyshxydm: Any = None  # 统一社会信用代码 of the object, when it has one
    jcrs: Any = None  # 检查人数 inspectors
    gssj: Any = None  # 公示时间 when the result was published (一公开)
    dz: Address = ""  # 地址

    def __post_init__(self) -> None:
        super().__post_init__()
        self.jcbh = code(self.jcbh, "jcbh")
        self.jclx = code(self.jclx, "jclx", 200)
        self.zfly = code(self.zfly, "zfly", 200)
        self.jcdx = code(self.jcdx, "jcdx", 200)
        self.zfdw = code(self.zfdw, "zfdw", 200)
        self.jcsj = source_time(self.jcsj, "jcsj")
        self.jcjg = code(self.jcjg, "jcjg", 200)
        self.rwbh = optional_code(self.rwbh, "rwbh")
        code_given = optional_code(self.tyshxydm, "tyshxydm")
        self.tyshxydm = uscc(code_given) if code_given else None
        self.jcrs = optional_count(self.jcrs, "jcrs", le=100)
        self.gssj = optional_time(self.gssj, "gssj")
        if self.gssj is not None and self.gssj < self.jcsj:
            raise ValueError("gssj (published) is before jcsj (the check)")


def _attrs(rec: Check, flags: Flags) -> dict[str, Any]:
    kind: dict[str, Any] = flags.lookup("check_types", rec.jclx, "unmapped_check_type") or {}
    domain: dict[str, Any] = flags.lookup("domains", rec.zfly, "unmapped_domain") or {}
    random = kind.get("random")
    flags.raise_if(random is True and rec.rwbh is None, "random_without_task")
    flags.raise_if(rec.jcrs is not None and rec.jcrs < MIN_INSPECTORS, "fewer_than_two_inspectors")
    return {
        **uscc_attrs(rec.tyshxydm, required=False),
        "check_type": kind.get("type"),
        "random": random,
        "task": rec.rwbh,
        "domain": domain.get("key"),
        "domain_name": rec.zfly,
        "target": rec.jcdx,
        "squad": flags.lookup("squads", rec.zfdw, "unmapped_squad"),
        "squad_name": rec.zfdw,
        "inspectors": rec.jcrs,
        "result": flags.lookup("results", rec.jcjg, "unmapped_result"),
        "published": rec.gssj is not None,
        "published_at": iso(rec.gssj),
    }


def read(raw: bytes) -> Check:
    return decode(Check, raw)


def to_event(rec: Check, raw: bytes, received_at: datetime, point: Point | None) -> Event:
    flags = Flags(FEED)
    draft = Draft(
        kind="metric",
        source_id=rec.jcbh,
        category=CATEGORY,
        title=f"{rec.jclx}：{rec.jcdx}",
        occurred_at=rec.jcsj,
        attrs=_attrs(rec, flags),
        source_status=rec.jcjg,
        address=rec.dz,
        point=point,
    )
    return build(draft, raw, received_at, flags)


ADAPTER = JsonFeed(FEED, read, to_event, keys=("jcbh",))
