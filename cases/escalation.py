"""Escalation that acts (小事不出格、大事不出村、难事不出镇): a case that moves up to its village or
the town is handed to a person there, and a notification says so.

Who: at the village, its leader from the routing table's `escalation` section (the 一级网格长),
or, for a village without one, the 网格长 of the case's grid from layers' roster; at the town,
the 带班领导 on duty that day (the routing table's rota). The notification is an entry of the
`notifications` stream, which a phone gateway reads (SMS or the work app): whom to tell, at
which number, about which case and why. The engine writes it with the escalation, in the
same transaction, and never on a rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import redis
from redis.typing import EncodableT, FieldT

from cases.facets import matching
from cases.model import Case, Responsible
from cases.routing import Escalation
from cases.store import get_cases
from core.keys import Keys
from core.times import beijing_day
from layers.town import Person

CHIEF = "chief"  # the roster's 网格长
QUEUE_MAX = 1_000_000  # a level's queue is every case escalated to it


@dataclass(frozen=True, slots=True)
class Handover:
    """Who each level above the grid hands a case to."""

    escalation: Escalation
    roster: Mapping[str, Sequence[Person]]  # level-2 grid code → its 一长五员 (layers' roster)

    def responsible(self, case: Case, at: datetime) -> Responsible | None:
        """The person ``case`` is handed to at its level (``at``: when it moved up)."""
        return self.leader(case.level, case.village, case.grid, at)

    def leader(
        self, level: str, village: str | None, grid: str | None, at: datetime
    ) -> Responsible | None:
        """Who leads ``level`` at ``at``: a village's leader (else the 网格长 of ``grid``), the
        town's leader on duty; None for a grid, or when no one is named."""
        if level == "village":
            found = self.escalation.villages.get(village or "")
            if found is not None:
                return Responsible("village", found.name, self.escalation.village_role, found.phone)
            people = self.roster.get(grid or "", ())
            chief = next((p for p in people if p.role == CHIEF), None)
            if chief is None:
                return None
            return Responsible("village", chief.name, chief.role_name, chief.phone)
        if level == "town":
            on_duty = self.escalation.on_duty(beijing_day(at))
            if on_duty is None:
                return None
            return Responsible("town", on_duty.name, self.escalation.town_role, on_duty.phone)
        return None

    def hand_up(self, case: Case, at: datetime) -> Case:
        """The case with the person its new level hands it to."""
        return replace(case, responsible=self.responsible(case, at))


LEVEL_ZH = {"village": "村（社区）", "town": "镇"}


def notification(case: Case, reason: str, at: datetime) -> dict[FieldT, EncodableT]:
    """The `notifications` entry for a case handed to ``case.responsible`` (none: the duty
    officer's): what a phone gateway sends (`to`, `phone`, `text`) and what the centre keeps."""
    who = case.responsible
    where = case.address or case.grid_name or ""
    text = (
        f"{case.title}（{where}，案件 {case.id}）已升级至{LEVEL_ZH.get(case.level, case.level)}，"
        "请督办。"
    )
    return {
        "case_id": case.id,
        "level": case.level,
        "village": case.village or "",
        "to": who.name if who else "",
        "role_name": who.role_name if who else "",
        "phone": who.phone if who else "",
        "reason": reason,
        "text": text,
        "at": at.astimezone(UTC).isoformat(),
    }


def level_page(
    r: redis.Redis, keys: Keys, level: str, village: str | None, now: datetime, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many open cases are escalated to ``level`` (of ``village`` for a village), and the
    newest ``limit`` of them, each with its view at ``now`` and the person it was handed to:
    the open cases of that level's facet set (and the village's), cases/facets.py."""
    filters = {"level": level, **({"village": village or ""} if level == "village" else {})}
    page = matching(r, keys, filters, now=now, limit=limit)
    return page.total, get_cases(r, keys, page.ids, now)


def level_queue(
    r: redis.Redis, keys: Keys, level: str, village: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Every open case escalated to ``level`` (of ``village``), newest report first."""
    return level_page(r, keys, level, village, now, QUEUE_MAX)[1]
