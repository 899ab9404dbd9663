"""党建 party organisations and activities, JSON: see docs/feeds/modules.md#party.

Two record types share the feed, told apart by ``sjlx``. Their source ids carry the type
(``org/…``, ``activity/…``) because organisation codes and activity numbers are separate
numberings that may collide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from ingest.event import Event
from ingest.feeds._module_common import (
    Blank,
    Code,
    Count,
    Draft,
    Flags,
    ModuleAdapter,
    ModuleRecord,
    Name,
    SourceTime,
    as_object,
    build,
    ratio,
    record_type,
)
from ingest.payload import RawRecord

FEED = "party"
CATEGORY = "party_activity"


class Organisation(ModuleRecord):
    """党组织: one committee, general branch, branch or alliance."""

    zzbm: Code = Field(description="组织编码 organisation code")
    zzmc: Name = Field(description="组织名称")
    zzlx: Name = Field(description="组织类型 党委 | 党总支 | 党支部 | 联合党委 …")
    sjzzbm: str = Field(default="", description="上级组织编码 parent organisation")
    dyrs: Count = Field(description="党员数 members, probationary included")
    ybdys: Annotated[Count | None, Blank] = Field(default=None, description="预备党员数")
    gxsj: SourceTime = Field(description="更新时间")

    @model_validator(mode="after")
    def _probationary_are_members(self) -> Organisation:
        if self.ybdys is not None and self.ybdys > self.dyrs:
            raise ValueError(f"ybdys ({self.ybdys}) exceeds dyrs ({self.dyrs}), which counts them")
        return self


class Activity(ModuleRecord):
    """党建活动: one meeting, lesson or theme day held by an organisation."""

    hdbh: Code = Field(description="活动编号 activity number")
    zzbm: Code = Field(description="组织编码 the organisation holding it")
    zzmc: str = Field(default="", description="组织名称")
    hdlx: Name = Field(description="活动类型 三会一课 | 主题党日 | …")
    hdzt: str = Field(default="", max_length=200, description="活动主题 theme")
    hdsj: SourceTime = Field(description="活动时间")
    hddd: str = Field(default="", max_length=500, description="活动地点 venue")
    cjrs: Count = Field(description="参加人数 attended")
    ydrs: Annotated[Count | None, Blank] = Field(default=None, description="应到人数 expected")


def _organisation(value: dict[str, Any], flags: Flags) -> Draft:
    rec = Organisation.model_validate(value)
    attrs = {
        "record": "organisation",
        "org": rec.zzbm,
        "org_name": rec.zzmc,
        "org_type": flags.lookup("organisation_types", rec.zzlx, "unmapped_org_type"),
        "parent": rec.sjzzbm or None,
        "members": rec.dyrs,
        "probationary": rec.ybdys,
    }
    return Draft(
        kind="metric",
        source_id=f"org/{rec.zzbm}",
        category=CATEGORY,
        title=rec.zzmc,
        occurred_at=rec.gxsj,
        attrs=attrs,
    )


def _activity(value: dict[str, Any], flags: Flags) -> Draft:
    rec = Activity.model_validate(value)
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


def to_event(record: RawRecord, received_at: datetime) -> Event:
    value = as_object(record)
    flags = Flags(FEED)
    read = _organisation if record_type(FEED, value) == "organisation" else _activity
    return build(read(value, flags), record, received_at, flags)


ADAPTER = ModuleAdapter(FEED, to_event, keys=("hdbh", "zzbm"))
