"""The case lifecycle of digital urban management (数字城管, GB/T 30428): decide, then apply.

``decide(state, command)`` checks the guards and returns the events, or raises
``IllegalCommand`` before anything changes; ``apply(state, event)`` folds one event (a fact,
never refused). ``TRANSITIONS`` is the single source of truth for which command is allowed in
which stage and where it may lead (``ALLOWED`` is its view without targets)::

    reported    register → registered
    registered  dispatch → dispatched
    dispatched  accept → accepted · return → registered · extend → dispatched · park → parked
    accepted    handle → handled · return → registered · extend → accepted · park → parked
    handled     verify → accepted|verified · extend → handled
    verified    close → closed
    parked      resume → dispatched
    closed      (terminal)
    merged      (terminal)
    cancelled   (terminal)
    and from every stage that is not terminal: cancel → cancelled · merge → merged
    and in every stage that is not terminal: escalate (升级: one level up, the stage stays)

A failed verification is rework 返工 (back to accepted); a return 回退 clears the department
for re-dispatch. The handling deadline never moves earlier: an extension must be later than
the current one, and a (re-)dispatch or resume may not shorten it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from cases.lifecycle_events import (
    Accept,
    Accepted,
    Action,
    Cancel,
    Cancelled,
    Close,
    Closed,
    Command,
    Dispatch,
    Dispatched,
    Escalate,
    Escalated,
    Extend,
    Extended,
    Handle,
    Handled,
    LifecycleEvent,
    Merge,
    Merged,
    Park,
    Parked,
    Register,
    Registered,
    Resume,
    Resumed,
    Return,
    Returned,
    VerificationFailed,
    Verified,
    Verify,
)
from cases.model import LEVELS


class DomainError(Exception):
    """A rule of the domain refused something; nothing was changed."""


class IllegalCommand(DomainError):
    """A command not allowed in the case's stage, or with invalid arguments."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh


class Stage(StrEnum):
    REPORTED = "reported"
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    HANDLED = "handled"
    VERIFIED = "verified"
    CLOSED = "closed"
    PARKED = "parked"
    MERGED = "merged"
    CANCELLED = "cancelled"


S, A = Stage, Action
STAGE_ZH: Final[Mapping[Stage, str]] = {
    S.REPORTED: "上报", S.REGISTERED: "立案", S.DISPATCHED: "派遣", S.ACCEPTED: "签收",
    S.HANDLED: "处置反馈", S.VERIFIED: "核查", S.CLOSED: "结案", S.PARKED: "挂账",
    S.MERGED: "合并", S.CANCELLED: "作废",
}  # fmt: skip
STAGE_EN: Final[Mapping[Stage, str]] = {
    S.REPORTED: "Reported", S.REGISTERED: "Registered", S.DISPATCHED: "Dispatched",
    S.ACCEPTED: "Accepted", S.HANDLED: "Handled", S.VERIFIED: "Verified", S.CLOSED: "Closed",
    S.PARKED: "Parked", S.MERGED: "Merged", S.CANCELLED: "Cancelled",
}  # fmt: skip
ACTION_ZH: Final[Mapping[Action, str]] = {
    A.REGISTER: "立案", A.DISPATCH: "派遣", A.ACCEPT: "签收", A.HANDLE: "处置反馈",
    A.VERIFY: "核查", A.RETURN: "回退", A.EXTEND: "延期", A.PARK: "挂账", A.RESUME: "恢复",
    A.CLOSE: "结案", A.CANCEL: "作废", A.MERGE: "合并", A.ESCALATE: "升级",
}  # fmt: skip
_ENDS: Final = {A.CANCEL: frozenset({S.CANCELLED}), A.MERGE: frozenset({S.MERGED})}


def _to(**targets: Stage | frozenset[Stage]) -> dict[Action, frozenset[Stage]]:
    rows = {A(k): v if isinstance(v, frozenset) else frozenset({v}) for k, v in targets.items()}
    return {**rows, **_ENDS}


_TRANSITIONS: Final[Mapping[Stage, Mapping[Action, frozenset[Stage]]]] = {
    S.REPORTED: _to(register=S.REGISTERED),
    S.REGISTERED: _to(dispatch=S.DISPATCHED),
    S.DISPATCHED: _to(
        accept=S.ACCEPTED, extend=S.DISPATCHED, park=S.PARKED, **{"return": S.REGISTERED}
    ),
    S.ACCEPTED: _to(handle=S.HANDLED, extend=S.ACCEPTED, park=S.PARKED, **{"return": S.REGISTERED}),
    S.HANDLED: _to(verify=frozenset({S.VERIFIED, S.ACCEPTED}), extend=S.HANDLED),
    S.VERIFIED: _to(close=S.CLOSED),
    S.PARKED: _to(resume=S.DISPATCHED),
    S.CLOSED: {},
    S.MERGED: {},
    S.CANCELLED: {},
}
# 升级 moves a case up a level in any stage that is not terminal, and leaves the stage.
TRANSITIONS: Final[Mapping[Stage, Mapping[Action, frozenset[Stage]]]] = {
    stage: {**row, A.ESCALATE: frozenset({stage})} if row else row
    for stage, row in _TRANSITIONS.items()
}
ALLOWED: Final[Mapping[Stage, frozenset[Action]]] = {
    stage: frozenset(row) for stage, row in TRANSITIONS.items()
}
TERMINAL: Final = frozenset(stage for stage, row in TRANSITIONS.items() if not row)


def transition_table() -> str:
    """The table as the module docstring shows it (a test keeps the two identical)."""
    lines = []
    for stage, row in TRANSITIONS.items():
        cells = [
            f"{a} → {'|'.join(sorted(row[a]))}"
            for a in Action
            if a in row and a not in _ENDS and a != A.ESCALATE
        ]
        lines.append(f"{stage:<11} {' · '.join(cells) or '(terminal)'}")
    ends = " · ".join(f"{a} → {'|'.join(sorted(t))}" for a, t in _ENDS.items())
    stays = "escalate (升级: one level up, the stage stays)"
    return "\n".join(
        [
            *lines,
            f"and from every stage that is not terminal: {ends}",
            f"and in every stage that is not terminal: {stays}",
        ]
    )


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Where one case stands in its lifecycle; history lives in the event stream."""

    case_id: str
    stage: Stage = Stage.REPORTED
    department: str | None = None
    team: str | None = None
    handling_due: datetime | None = None
    rework_count: int = 0
    extension_count: int = 0
    returns: int = 0
    parent: str | None = None
    workers: frozenset[str] = frozenset()  # who accepted or handled it: never its inspector
    level: str = "grid"  # 小事不出格、大事不出村、难事不出镇 (cases.model.LEVELS)


# ---- apply: one function per event type --------------------------------------------------------


def _dispatched(s: Lifecycle, e: Dispatched) -> Lifecycle:
    due = e.due if e.due is not None else s.handling_due
    return replace(s, stage=S.DISPATCHED, department=e.department, team=e.team, handling_due=due)


def _returned(s: Lifecycle, e: Returned) -> Lifecycle:
    return replace(s, stage=S.REGISTERED, department=None, team=None, returns=s.returns + 1)


def _extended(s: Lifecycle, e: Extended) -> Lifecycle:
    return replace(s, handling_due=e.new_deadline, extension_count=s.extension_count + 1)


def _resumed(s: Lifecycle, e: Resumed) -> Lifecycle:
    due = e.due if e.due is not None else s.handling_due
    return replace(s, stage=S.DISPATCHED, handling_due=due)


def _failed(s: Lifecycle, e: VerificationFailed) -> Lifecycle:
    return replace(s, stage=S.ACCEPTED, rework_count=s.rework_count + 1)


def _worked(stage: Stage) -> Callable[[Lifecycle, Any], Lifecycle]:
    """签收 and 处置反馈: the stage, and the actor among those who may not verify the case."""
    return lambda s, e: replace(s, stage=stage, workers=s.workers | {e.actor})


def _stage(stage: Stage) -> Callable[[Lifecycle, Any], Lifecycle]:
    return lambda s, e: replace(s, stage=stage)


APPLY: Final[Mapping[type[LifecycleEvent], Callable[[Lifecycle, Any], Lifecycle]]] = {
    Registered: _stage(S.REGISTERED),
    Dispatched: _dispatched,
    Accepted: _worked(S.ACCEPTED),
    Handled: _worked(S.HANDLED),
    Verified: _stage(S.VERIFIED),
    VerificationFailed: _failed,
    Returned: _returned,
    Extended: _extended,
    Parked: _stage(S.PARKED),
    Resumed: _resumed,
    Closed: _stage(S.CLOSED),
    Cancelled: _stage(S.CANCELLED),
    Merged: lambda s, e: replace(s, stage=S.MERGED, parent=e.parent_id),
    Escalated: lambda s, e: replace(s, level=e.level),
}


def apply(state: Lifecycle, event: LifecycleEvent) -> Lifecycle:
    return APPLY[type(event)](state, event)


def fold(state: Lifecycle, events: Iterable[LifecycleEvent]) -> Lifecycle:
    for event in events:
        state = apply(state, event)
    return state


# ---- decide: guards first, then the events ----------------------------------------------------


def _require(text: str | None, what: str, what_zh: str) -> None:
    if not text or not text.strip():
        raise IllegalCommand(f"{what} is required", f"必须填写{what_zh}")


def _aware(moment: datetime | None, what: str, what_zh: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise IllegalCommand(f"{what} must be timezone-aware", f"{what_zh}必须带时区")


def _not_earlier(state: Lifecycle, due: datetime | None) -> None:
    _aware(due, "the handling deadline", "处置时限")
    if due is not None and state.handling_due is not None and due < state.handling_due:
        raise IllegalCommand(
            f"the handling deadline may not move earlier than {state.handling_due.isoformat()}",
            "处置时限不能提前",
        )


def _extend(s: Lifecycle, c: Extend) -> list[LifecycleEvent]:
    _require(c.approver, "the approver", "审批人")
    _aware(c.new_deadline, "the new deadline", "延期时限")
    if s.handling_due is not None and c.new_deadline <= s.handling_due:
        raise IllegalCommand(
            f"the new deadline must be later than the current one ({s.handling_due.isoformat()})",
            "延期后的处置时限必须晚于当前时限",
        )
    if c.new_deadline <= c.at:
        raise IllegalCommand(
            "the new deadline must be later than the command", "延期后的处置时限必须晚于操作时间"
        )
    return [
        Extended(
            actor=c.actor,
            at=c.at,
            new_deadline=c.new_deadline,
            approver=c.approver,
            reason=c.reason,
        )
    ]


def _dispatch(s: Lifecycle, c: Dispatch) -> list[LifecycleEvent]:
    _require(c.department, "the department", "处置部门")
    _not_earlier(s, c.due)
    return [Dispatched(actor=c.actor, at=c.at, department=c.department, team=c.team, due=c.due)]


def _verify(s: Lifecycle, c: Verify) -> list[LifecycleEvent]:
    if c.actor in s.workers:  # 核查 is independent: never by one who took or did the work
        raise IllegalCommand(
            f"{c.actor} accepted or handled this case: another inspector must verify it",
            "核查须由未签收、未处置本案件的督查员进行",
        )
    if c.passed:
        return [Verified(actor=c.actor, at=c.at)]
    _require(c.reason, "a reason for the failed verification", "核查不通过的原因")
    return [VerificationFailed(actor=c.actor, at=c.at, reason=c.reason)]


def _merge(s: Lifecycle, c: Merge) -> list[LifecycleEvent]:
    _require(c.parent_id, "the parent case id", "主案件编号")
    if c.parent_id == s.case_id:
        raise IllegalCommand("a case cannot be merged into itself", "案件不能合并到自身")
    return [Merged(actor=c.actor, at=c.at, parent_id=c.parent_id, reason=c.reason)]


def _reasoned(
    make: Callable[..., LifecycleEvent], **extra: Callable[[Lifecycle], Any]
) -> Callable[[Lifecycle, Any], list[LifecycleEvent]]:
    """A command whose only argument is a required reason."""

    def decide_one(s: Lifecycle, c: Any) -> list[LifecycleEvent]:
        _require(c.reason, "a reason", "原因")
        values = {k: f(s) for k, f in extra.items()}
        return [make(actor=c.actor, at=c.at, reason=c.reason, **values)]

    return decide_one


def _escalate(s: Lifecycle, c: Escalate) -> list[LifecycleEvent]:
    _require(c.reason, "a reason", "升级原因")
    if s.level == LEVELS[-1]:
        raise IllegalCommand(
            "the case is at the town already: no level above", "案件已在镇级，不能再升级"
        )
    level = LEVELS[LEVELS.index(s.level) + 1]
    return [Escalated(actor=c.actor, at=c.at, reason=c.reason, level=level)]


def _handle(s: Lifecycle, c: Handle) -> list[LifecycleEvent]:
    _require(c.feedback, "the handling feedback", "处置反馈")
    return [Handled(actor=c.actor, at=c.at, feedback=c.feedback)]


def _resume(s: Lifecycle, c: Resume) -> list[LifecycleEvent]:
    _not_earlier(s, c.due)
    return [Resumed(actor=c.actor, at=c.at, due=c.due)]


def _plain(make: Callable[..., LifecycleEvent]) -> Callable[[Lifecycle, Any], list[LifecycleEvent]]:
    return lambda s, c: [make(actor=c.actor, at=c.at)]


DECIDE: Final[Mapping[type[Command], Callable[[Lifecycle, Any], list[LifecycleEvent]]]] = {
    Register: _plain(Registered),
    Dispatch: _dispatch,
    Accept: _plain(Accepted),
    Handle: _handle,
    Verify: _verify,
    Return: _reasoned(Returned, department=lambda s: s.department),
    Extend: _extend,
    Park: _reasoned(Parked),
    Resume: _resume,
    Close: _plain(Closed),
    Cancel: _reasoned(Cancelled),
    Merge: _merge,
    Escalate: _escalate,
}


def decide(state: Lifecycle, command: Command) -> list[LifecycleEvent]:
    """The events of a legal command; ``IllegalCommand`` (and no change) otherwise."""
    if command.action not in ALLOWED[state.stage]:
        raise IllegalCommand(
            f"cannot {command.action} a case in stage {state.stage}",
            f"案件处于{STAGE_ZH[state.stage]}阶段，不能{ACTION_ZH[command.action]}",
        )
    _require(command.actor, "the actor", "操作人")
    _aware(command.at, "the time of the command", "操作时间")
    return DECIDE[type(command)](state, command)
