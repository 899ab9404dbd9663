"""党建 party organisations and activities, JSON: see docs/feeds/modules.md#party.

Two record types share the feed, told apart by ``sjlx``. Their source ids carry the type
(``org/…``, ``activity/…``) because organisation codes and activity numbers are separate
numberings that may collide.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from ingest.coords import Point
from ingest.feeds._module_common import Draft, Flags, ratio, typed_feed
from ingest.native import (
    Address,
    Name,
    Record,
    code,
    count,
    optional_code,
    optional_count,
    source_time,
)

FEED = "party"
CATEGORY = "party_activity"


class Organisation(Record):
    """党组织: one committee, general branch, branch or alliance."""

    zzbm: Any  # 组织编码 organisation code
    zzmc: Name  # 组织名称
    zzlx: Name  # 组织类型 党委 | 党总支 | 党支部 | 联合党委 …
    dyrs: Any  # 党员数 members, probationary included
    gxsj: Any  # 更新时间
    sjzzbm: Any = ""  # 上级组织编码 parent organisation
    ybdys: Any = None  # 预备党员数
    wgbm: Any = ""  # 所属网格 the level-2 grid a branch or 党员中心户 works in (支部建在网格上)

    def __post_init__(self) -> None:
        self.zzbm = code(self.zzbm, "zzbm")
        self.zzmc = code(self.zzmc, "zzmc", 200)
        self.zzlx = code(self.zzlx, "zzlx", 200)
        self.dyrs = count(self.dyrs, "dyrs")
        self.gxsj = source_time(self.gxsj, "gxsj")
        self.sjzzbm = str(self.sjzzbm).strip() if self.sjzzbm is not None else ""
        self.ybdys = optional_count(self.ybdys, "ybdys")
        self.wgbm = optional_code(self.wgbm, "wgbm") or ""
        if self.ybdys is not None and self.ybdys > self.dyrs:
            raise ValueError(f"ybdys ({self.ybdys}) exceeds dyrs ({self.dyrs}), which counts them")


class Activity(Record):
    """党建活动: one meeting, lesson or theme day held by an organisation."""

    hdbh: Any  # 活动编号 activity number
    zzbm: Any  # 组织编码 the organisation holding it
    hdlx: Name  # 活动类型 三会一课 | 主题党日 | …
    hdsj: Any  # 活动时间
    cjrs: Any  # 参加人数 attended
    zzmc: str = ""  # 组织名称
    hdzt: Annotated[str, msgspec.Meta(max_length=200)] = ""  # 活动主题 theme
    hddd: Address = ""  # 活动地点 venue
    ydrs: Any = None  # 应到人数 expected

    def __post_init__(self) -> None:
        self.hdbh = code(self.hdbh, "hdbh")
        self.zzbm = code(self.zzbm, "zzbm")
        self.hdlx = code(self.hdlx, "hdlx", 200)
        self.hdsj = source_time(self.hdsj, "hdsj")
        self.cjrs = count(self.cjrs, "cjrs")
        self.ydrs = optional_count(self.ydrs, "ydrs")


def _organisation(rec: Organisation, flags: Flags, point: Point | None) -> Draft:
    attrs = {
        "record": "organisation",
        "org": rec.zzbm,
        "org_name": rec.zzmc,
        "org_type": flags.lookup("organisation_types", rec.zzlx, "unmapped_org_type"),
        "parent": rec.sjzzbm or None,
        "members": rec.dyrs,
        "probationary": rec.ybdys,
        "grid": rec.wgbm or None,
    }
    return Draft(
        kind="metric",
        source_id=f"org/{rec.zzbm}",
        category=CATEGORY,
        title=rec.zzmc,
        occurred_at=rec.gxsj,
        attrs=attrs,
    )


def _activity(rec: Activity, flags: Flags, point: Point | None) -> Draft:
    kind: dict[str, Any] = flags.lookup("activity_types", rec.hdlx, "unmapped_activity_type") or {}
    # 列席 guests may push attendance above the roll: kept, but flagged for a second look.
    flags.raise_if(rec.ydrs is not None and rec.cjrs > rec.ydrs, "attendance_above_expected")
    attrs = {
        "record": "activity",
        "activity_type": kind.get("type"),
        "three_meetings_one_lesson": kind.get("three_meetings_one_lesson"),
        "theme": rec.hdzt,
        "org": rec.zzbm,
        "org_name": rec.zzmc,
        "participants": rec.cjrs,
        "expected": rec.ydrs,
        "attendance_rate": ratio(rec.cjrs, rec.ydrs),
    }
    return Draft(
        kind="metric",
        source_id=f"activity/{rec.hdbh}",
        category=CATEGORY,
        title=rec.hdzt or rec.hdlx,
        occurred_at=rec.hdsj,
        attrs=attrs,
        address=rec.hddd,
    )


ADAPTER = typed_feed(
    FEED,
    {"organisation": (Organisation, _organisation), "activity": (Activity, _activity)},
    keys=("hdbh", "zzbm"),
)
