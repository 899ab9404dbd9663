"""What the simulated staff do next to a case, and when: a pure function of the case (as
`GET /api/cases` gives it) and the time.

Every draw comes from a generator seeded by the case's id and how far it has come (its stage,
reworks, returns, extensions), so a restarted responder decides exactly what it decided
before, and a case's next step is fixed the moment it enters its stage. The step is due at
the stage's start (the case's `updated_at`) plus a drawn delay; the runner acts once it is.

The shares are a working town's, so that the demo's assessment lands where published 数字城管
bulletins do (结案率 90–97 %, 按期结案率 70–90 %): most first responses within the 15 minutes
of 乱停乱放 and 占道经营 and a share late, the work done within its deadline most of the time,
a few returns 回退, extensions 延期 and failed verifications 返工. `Profile` holds them; a
test changes them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from responders.staff import VILLAGE_TEAM, Person, Staff

Case = Mapping[str, Any]
# The teams the routing table names for a case (category, village), most specific first.
Candidates = Callable[[str, str | None], list[str]]
MINUTE = timedelta(minutes=1)
MAX_RETURNS = 3  # a case nobody can take is taken back this often, then left to a person


@dataclass(frozen=True)
class Profile:
    """How a working town's staff act. Shares are probabilities; times in minutes."""

    response_in_time: float = 0.92  # first responses (签收) within a 15-minute clock
    accept_median: float = 12.0  # 签收 of a case without a first-response clock
    return_share: float = 0.03  # 回退: not this team's (once per case at most)
    extend_share: float = 0.05  # 延期 asked for and approved (once per case at most)
    handle_in_time: float = 0.82  # 处置 reported within the handling deadline
    rework_share: float = 0.06  # 核查 fails: 返工, back to the handler
    verify_within: tuple[float, float] = (3.0, 20.0)  # 核查 after 处置
    close_within: tuple[float, float] = (1.0, 6.0)  # 结案 after 核查
    dispatch_within: tuple[float, float] = (2.0, 10.0)  # 派遣 of a case in the duty queue
    register_within: tuple[float, float] = (1.0, 6.0)  # 立案 of a reported case
    no_deadline_hours: float = 24.0  # the work of a case without a handling deadline


@dataclass(frozen=True, slots=True)
class Step:
    """One action: due ``at``, by ``person``, with the action's body for the API."""

    at: datetime
    person: Person
    body: dict[str, Any]

    @property
    def action(self) -> str:
        return str(self.body["action"])


def _time(case: Case, name: str) -> datetime | None:
    value = case.get(name)
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _rng(case: Case, seed: int) -> random.Random:
    """The draws of the case's current step: the same every time it is asked."""
    key = "|".join(
        str(case.get(k, "")) for k in ("id", "stage", "rework_count", "returns", "extension_count")
    )
    digest = hashlib.sha256(f"{seed}|{key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311  # a simulation


def _within(rng: random.Random, span: tuple[float, float]) -> timedelta:
    return rng.uniform(*span) * MINUTE


def next_step(
    case: Case, staff: Staff, candidates: Candidates, profile: Profile = Profile(), seed: int = 0
) -> Step | None:
    """The case's next action and when it is due; None: nobody simulated acts on it (it is
    closed, parked or merged, or waits for something else)."""
    since = _time(case, "updated_at")
    if case.get("status") != "open" or since is None:
        return None
    rng = _rng(case, seed)
    stage = case.get("stage")
    if stage == "reported":
        return _register(case, since, rng, staff, profile)
    if stage == "registered":
        return _dispatch(case, since, rng, staff, candidates, profile)
    if stage == "dispatched":
        return _accept(case, since, rng, staff, profile)
    if stage == "accepted":
        return _handle(case, since, rng, staff, profile)
    if stage == "handled":
        return _verify(case, since, rng, staff, profile)
    if stage == "verified":
        at = since + _within(rng, profile.close_within)
        return Step(at, staff.duty_officer(rng.randrange(1 << 16)), {"action": "close"})
    return None


def _register(
    case: Case, since: datetime, rng: random.Random, staff: Staff, profile: Profile
) -> Step:
    at = since + _within(rng, profile.register_within)
    officer = staff.duty_officer(rng.randrange(1 << 16))
    if case.get("outside_town"):
        return Step(at, officer, {"action": "cancel", "reason": "不属本镇辖区，不予立案"})
    return Step(at, officer, {"action": "register"})


def _dispatch(
    case: Case, since: datetime, rng: random.Random, staff: Staff, candidates: Candidates,
    profile: Profile,
) -> Step:  # fmt: skip
    teams = [
        t
        for t in candidates(str(case.get("category")), case.get("village"))
        if _staffed(staff, t, case.get("grid"))
    ]
    team = teams[rng.randrange(len(teams))] if teams else _unplaced(case)
    body = {"action": "dispatch", "department": team, "reason": "值班员派遣"}
    return Step(
        since + _within(rng, profile.dispatch_within),
        staff.duty_officer(rng.randrange(1 << 16)),
        body,
    )


def _staffed(staff: Staff, team: str, grid: str | None) -> bool:
    """Whether someone of ``team`` can take the case: the village team's people are the
    grid's, so a case on no grid has none there."""
    if team == VILLAGE_TEAM:
        return grid in staff.grid_handlers
    return bool(staff.teams.get(team))


# Where the duty officer sends what the routing table does not place: a case on a grid to
# its village committee; street order and building sites on no grid to the town centre's
# squad, the rest to the 综治中心, who call the reporter back for the place.
UNPLACED = {"order": "enforce-central", "construction": "enforce-central"}


def _unplaced(case: Case) -> str:
    if case.get("grid"):
        return VILLAGE_TEAM
    return UNPLACED.get(str(case.get("group")), "stability")


def _handler(case: Case, staff: Staff) -> Person | None:
    """The team member who has the case: the same one from 签收 to 处置."""
    pick = int.from_bytes(hashlib.sha256(str(case.get("id")).encode()).digest()[:4], "big")
    return staff.handler(str(case.get("department") or ""), case.get("grid"), pick)


def _accept(
    case: Case, since: datetime, rng: random.Random, staff: Staff, profile: Profile
) -> Step | None:
    person = _handler(case, staff)
    if person is None:
        # Nobody of that team can take it (a village team's case on no grid): the duty
        # officer takes it back to send it where someone can.
        if int(case.get("returns") or 0) >= MAX_RETURNS:
            return None
        at = since + _within(rng, profile.dispatch_within)
        body = {"action": "return", "reason": "无网格定位，所在村（社区）无法签收，退回重新派遣"}
        return Step(at, staff.duty_officer(rng.randrange(1 << 16)), body)
    if not case.get("returns") and rng.random() < profile.return_share:
        # The team says it is not theirs; the duty officer takes it back (回退) to re-dispatch.
        at = since + rng.uniform(3, 12) * MINUTE
        body = {"action": "return", "reason": f"{person.post}反馈非本单位职责，退回重新派遣"}
        return Step(at, staff.duty_officer(rng.randrange(1 << 16)), body)
    due = _time(case, "response_due") if not case.get("responded_at") else None
    if due is not None and due - since > 2 * MINUTE:
        room = (due - since) / MINUTE
        if rng.random() < profile.response_in_time:
            at = since + rng.uniform(1.0, room - 0.5) * MINUTE
        else:
            at = due + rng.uniform(0.5, 20.0) * MINUTE
    elif due is not None:  # the deadline passed before the team had the case: at once
        at = since + rng.uniform(1.0, 6.0) * MINUTE
    else:
        at = since + rng.lognormvariate(0, 0.6) * profile.accept_median * MINUTE
    return Step(at, person, {"action": "accept", "reason": "已签收，前往现场"})


def _handle(
    case: Case, since: datetime, rng: random.Random, staff: Staff, profile: Profile
) -> Step | None:
    person = _handler(case, staff)
    if person is None:
        return None
    due = _time(case, "handling_due")
    room = due - since if due is not None and due > since else None
    if (
        due is not None
        and room is not None
        and not case.get("extension_count")
        and rng.random() < profile.extend_share
    ):
        # Asked for early by the team, granted by the leader on duty (who records it): the
        # deadline moves by half to one and a half times the time there was.
        at = since + rng.uniform(3, 15) * MINUTE
        later = due + max(room * rng.uniform(0.5, 1.5), 30 * MINUTE)
        leader = staff.leader(rng.randrange(1 << 16))
        body = {
            "action": "extend", "new_deadline": later.isoformat(), "approver": leader.name,
            "reason": f"{person.display}申请：需协调当事人，延期处置",
        }  # fmt: skip
        return Step(at, leader, body)
    if due is None:
        took = (profile.no_deadline_hours * 60 * rng.betavariate(1.3, 3.5)) * MINUTE
    elif room is None:  # late already (escalated at its deadline, which moved `since`)
        took = rng.uniform(15, 75) * MINUTE
    elif rng.random() < profile.handle_in_time:
        took = room * rng.betavariate(1.3, 3.5)
    else:
        took = room + room * rng.expovariate(8.0) + rng.uniform(10, 40) * MINUTE
    reworked = bool(case.get("rework_count"))
    feedback = "已按核查意见整改完毕" if reworked else "已现场处置完毕，附处置后照片"
    return Step(since + max(took, 2 * MINUTE), person, {"action": "handle", "feedback": feedback})


def _verify(
    case: Case, since: datetime, rng: random.Random, staff: Staff, profile: Profile
) -> Step:
    person = staff.inspector(case.get("grid"), rng.randrange(1 << 16))
    at = since + _within(rng, profile.verify_within)
    if rng.random() < profile.rework_share and not case.get("rework_count"):
        return Step(
            at,
            person,
            {"action": "verify", "passed": False, "reason": "现场复核仍有遗留，退回返工"},
        )
    return Step(at, person, {"action": "verify", "passed": True, "reason": "现场核查已处置到位"})
