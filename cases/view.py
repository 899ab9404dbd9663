"""The one case view: from a case and `now`, everything a reader shows of its state.

Overdue (超时未响应: the first response is late), handling-overdue (处置超时: the work is not
reported done by its deadline), the deadlines a screen counts down, the level and the stage
with its label. The API, the wall (page load, push and resync), the module panels, the header
and the KPIs read a case's state here and nowhere else; a browser only counts down the
deadlines it is given, it never decides what is late.

A case's lateness only changes when the case does or when `now` passes one of its countdowns,
so `late_at` (the first moment it is late) is what the engine indexes by (cases/counts.py):
"late now" is then a range count in Redis, over every open case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cases.lifecycle import STAGE_EN, STAGE_ZH, Stage
from cases.model import HANDLING_STAGES, LEVELS, Case, Level

CaseLike = Case | Mapping[str, Any]


def _field(case: CaseLike, name: str) -> Any:
    if type(case) is Case:  # the engine's counters read every case it writes: no ABC check
        return getattr(case, name)
    return case.get(name) if isinstance(case, Mapping) else getattr(case, name, None)


def _time(case: CaseLike, name: str) -> datetime | None:
    """A time of a case as a value (projections' JSON holds ISO 8601 text)."""
    value = _field(case, name)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True, slots=True)
class Countdowns:
    """The deadlines running on a case now; None where that clock does not run."""

    response_due: datetime | None  # open and not yet responded to
    handling_due: datetime | None  # open and the work not yet reported done

    @property
    def late_at(self) -> datetime | None:
        """The first moment the case is late on either clock; None: it cannot be late."""
        found = [d for d in (self.response_due, self.handling_due) if d is not None]
        return min(found) if found else None


def countdowns(case: CaseLike) -> Countdowns:
    """Which deadlines run on this case (a pure function of the case, not of the time)."""
    if _field(case, "status") != "open":
        return Countdowns(None, None)
    responded = _field(case, "responded_at") not in (None, "")
    response = None if responded else _time(case, "response_due")
    handling = _time(case, "handling_due") if _field(case, "stage") in HANDLING_STAGES else None
    return Countdowns(response, handling)


def level_of(case: CaseLike) -> Level:
    """Where the case is handled now: grid, village or town (小事不出格、大事不出村、难事不出镇)."""
    level = _field(case, "level")
    return level if level in LEVELS else "grid"


@dataclass(frozen=True, slots=True)
class CaseView:
    """What every reader shows of a case's state at one moment."""

    overdue: bool  # 超时未响应: the first response is late
    handling_overdue: bool  # 处置超时: the work is late
    response_due: datetime | None  # the deadlines to count down (None: that clock is off)
    handling_due: datetime | None
    level: Level
    stage: str
    stage_zh: str
    stage_en: str

    @property
    def late(self) -> bool:
        """Late on either clock: such a case is shown red and first."""
        return self.overdue or self.handling_overdue

    def fields(self) -> dict[str, Any]:
        """The view as the JSON fields a case carries to a reader (times ISO 8601 UTC)."""
        return {
            "overdue": self.overdue,
            "handling_overdue": self.handling_overdue,
            "late": self.late,
            "response_countdown": _iso(self.response_due),
            "handling_countdown": _iso(self.handling_due),
            "level": self.level,
            "stage_zh": self.stage_zh,
            "stage_en": self.stage_en,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def stage_labels(stage: str) -> tuple[str, str]:
    try:
        known = Stage(stage)
    except ValueError:
        return stage, stage
    return STAGE_ZH[known], STAGE_EN[known]


def case_view(case: CaseLike, now: datetime) -> CaseView:
    """The case's state at `now` (aware)."""
    clocks = countdowns(case)
    stage = str(_field(case, "stage") or "")
    zh, en = stage_labels(stage)
    return CaseView(
        overdue=clocks.response_due is not None and clocks.response_due < now,
        handling_overdue=clocks.handling_due is not None and clocks.handling_due < now,
        response_due=clocks.response_due,
        handling_due=clocks.handling_due,
        level=level_of(case),
        stage=stage,
        stage_zh=zh,
        stage_en=en,
    )


def with_view(case: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A projected case as JSON with its view's fields added (what the readers send)."""
    return {**case, **case_view(case, now).fields()}
