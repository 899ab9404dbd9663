"""Operator commands on cases: how a command meets a Case, in the API and in the engine.

``check`` runs twice: in the API before a command is queued (an illegal one is answered 409
and never reaches the `commands` stream), and in the engine as it applies the command, since
the case may have moved in between; ``run`` is what the engine then writes. ``admit`` gives a
new case its handling deadline and routes it: automatic dispatch where 权责清单 is
unambiguous, the duty officer's queue otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from cases import dedup
from cases import lifecycle_events as ev
from cases.calendar import HolidayCalendar
from cases.clock import handling_deadline
from cases.lifecycle import ALLOWED, TERMINAL, IllegalCommand, Lifecycle, Stage, decide, fold
from cases.model import Case, ChangeType, entry_key
from cases.projections import Change, Reply
from cases.routing import DUTY_QUEUE, Routing, table

ENGINE = "engine"


# ---- a Case and its lifecycle --------------------------------------------------------------

CHANGE_TYPES: Mapping[type[ev.LifecycleEvent], ChangeType] = {
    ev.Registered: "registered", ev.Dispatched: "dispatched", ev.Accepted: "accepted",
    ev.Handled: "handled", ev.Verified: "verified", ev.VerificationFailed: "rework",
    ev.Returned: "returned", ev.Extended: "extended", ev.Parked: "parked", ev.Resumed: "resumed",
    ev.Closed: "closed", ev.Cancelled: "cancelled", ev.Merged: "merged",
    ev.Escalated: "escalated",
}  # fmt: skip


def _stage(case: Case) -> Stage:
    try:
        return Stage(case.stage)
    except ValueError:  # a projection no lifecycle wrote: refuse rather than guess
        raise IllegalCommand(f"unknown stage {case.stage!r}", "案件阶段无法识别") from None


def lifecycle_of(case: Case) -> Lifecycle:
    """The lifecycle state of a case; ``IllegalCommand`` if its stage is not one."""
    return Lifecycle(
        case_id=case.id,
        stage=_stage(case),
        department=case.department,
        team=case.team,
        handling_due=case.handling_due,
        rework_count=case.rework_count,
        extension_count=case.extension_count,
        returns=case.returns,
        parent=case.parent,
        workers=frozenset(case.workers),
        level=case.level,
    )


def allowed(case: Case) -> list[str]:
    """The actions the case's stage allows, for the caller of a refused one."""
    return allowed_in(case.stage)


def allowed_in(stage: str) -> list[str]:
    """The actions a stage allows (none for a stage no lifecycle knows)."""
    known = stage in {s.value for s in Stage}
    return sorted(ALLOWED[Stage(stage)]) if known else []


def check(case: Case, command: ev.Command, parent: Case | None = None) -> list[ev.LifecycleEvent]:
    """The events of a legal command on this case; ``IllegalCommand`` with the reason if not.

    ``parent`` is the case a merge names (None when there is no such case).
    """
    events = decide(lifecycle_of(case), command)
    if isinstance(command, ev.Merge):
        if parent is None:
            raise IllegalCommand(
                f"no case with id {command.parent_id!r} to merge into", "要合并到的主案件不存在"
            )
        if parent.stage in ("merged", "cancelled"):
            raise IllegalCommand(
                f"case {parent.id} is {parent.stage}: merge into a valid case instead",
                "主案件已合并或作废，不能作为主案件",
            )
    return events


def run(case: Case, events: Sequence[ev.LifecycleEvent], actor: str, at: datetime) -> Case:
    """The case after a legal command's events, one version later."""
    state = fold(lifecycle_of(case), events)
    closing = state.stage in TERMINAL and case.status == "open"
    queue = case.queue
    for event in events:
        if isinstance(event, ev.Dispatched | ev.Returned):
            queue = DUTY_QUEUE if isinstance(event, ev.Returned) else None
    accepted = any(isinstance(e, ev.Accepted) for e in events)
    by_hand = tuple(f"manual@{e.at.isoformat()}" for e in events if isinstance(e, ev.Escalated))
    return replace(
        case,
        **_fields_of(state),
        status="closed" if state.stage in TERMINAL else "open",
        queue=queue,
        responded_at=case.responded_at or (at if accepted else None),
        closed_at=at if closing else case.closed_at,
        closed_by=actor if closing else case.closed_by,
        escalations=(*case.escalations, *by_hand),
        updated_at=at,
        version=case.version + 1,
    )


def _fields_of(state: Lifecycle) -> dict[str, Any]:
    """The Case fields a lifecycle state sets (one ``replace`` per change: a Case is wide)."""
    return {
        "stage": state.stage.value,
        "department": state.department,
        "team": state.team,
        "handling_due": state.handling_due,
        "rework_count": state.rework_count,
        "extension_count": state.extension_count,
        "returns": state.returns,
        "parent": state.parent,
        "workers": tuple(sorted(state.workers)),
        "level": state.level,
    }


# ---- a new case ----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _route(code: str, village: str | None, kind: str | None) -> Routing:
    """The routing table's answer, kept: a town has a few hundred category × village pairs."""
    return table().route(code, village, kind)


def admit(
    case: Case, kinds: Mapping[str, str], calendar: HolidayCalendar | None = None
) -> tuple[Case, str, list[ev.LifecycleEvent]]:
    """A new case with its handling deadline, registered and dispatched by the engine where
    the routing table names one team, else in the duty officer's queue; and the reason.

    Still version 1: the case is created dispatched, in one audit entry that says why.
    ``calendar``: the town's holiday calendar (None: the shipped one).
    """
    if case.status != "open":
        return case, "", []
    due, fallback = handling_deadline(case.category, case.reported_at, calendar)
    flags = (*case.flags, "calendar_fallback") if fallback else case.flags
    routing = _route(case.category, case.village, kinds.get(case.village or ""))
    queued: dict[str, Any] = {"handling_due": due, "flags": flags, "queue": DUTY_QUEUE}
    if not routing.automatic:
        return replace(case, **queued), f"duty officer's queue: {routing.reason}", []
    at = case.updated_at
    state = replace(lifecycle_of(case), handling_due=due)
    events: list[ev.LifecycleEvent] = []
    try:
        if state.stage == Stage.REPORTED:
            events += decide(state, ev.Register(actor=ENGINE, at=at))
        events += decide(
            fold(state, events), ev.Dispatch(actor=ENGINE, at=at, department=routing.team)
        )
    except IllegalCommand as exc:  # a stage the table cannot dispatch from: leave it to a person
        return replace(case, **queued), f"duty officer's queue: {exc.reason}", []
    dispatched = replace(case, **_fields_of(fold(state, events)), flags=flags, queue=None)
    return dispatched, f"dispatched to {routing.team} by the routing table", events


def merge_duplicate(case: Case, parent: Case) -> tuple[Case, str, list[ev.LifecycleEvent]]:
    """A new case that duplicates an open one, merged into it by the engine as it is created
    (合并: never registered nor dispatched on its own); still version 1, like ``admit``."""
    why = dedup.reason(case, parent)
    at = case.updated_at
    events = check(case, ev.Merge(actor=ENGINE, at=at, parent_id=parent.id, reason=why), parent)
    return replace(run(case, events, ENGINE, at), version=case.version), why, events


# ---- outcomes ------------------------------------------------------------------------------


def applied_body(command_id: str, action: str, before: Case, after: Case, at: datetime) -> bytes:
    """What the API answers once the engine has applied a command."""
    return orjson.dumps(
        {
            "command_id": command_id, "case_id": after.id, "action": action,
            "outcome": "applied", "stage": after.stage, "version": after.version,
            "level": after.level, "from_stage": before.stage, "at": at.isoformat(),
        }
    )  # fmt: skip


def refused_body(
    command_id: str | None, action: str, case_id: str, case: Case | None, why: IllegalCommand
) -> dict[str, Any]:
    """Why a command was refused (409), by the API's check or at application."""
    return {
        "command_id": command_id,
        "case_id": case_id,
        "action": action,
        "outcome": "refused",
        "reason": why.reason,
        "reason_zh": why.reason_zh,
        "stage": case.stage if case else None,
        "allowed": allowed(case) if case else [],
    }


# ---- the engine's side ---------------------------------------------------------------------


def wanted_cases(entries: Sequence[tuple[str, Mapping[str, str]]]) -> list[str]:
    """The cases a batch of `commands` entries reads: those they act on, and merge parents."""
    wanted = {fields.get("case_id", "") for _, fields in entries}
    for _, fields in entries:
        try:
            command = orjson.loads(fields.get("c", "{}"))
        except orjson.JSONDecodeError:
            continue
        if isinstance(command, dict) and isinstance(command.get("parent_id"), str):
            wanted.add(command["parent_id"])
    return sorted(w for w in wanted if w)


def apply_commands(
    entries: Sequence[tuple[str, Mapping[str, str]]],
    first: Mapping[str, Case | None],
    hand_up: Callable[[Case, datetime], Case] = lambda case, _at: case,
) -> tuple[list[Change], list[Reply]]:
    """The changes and replies of a batch of `commands` entries, each checked against the
    case as the batch has left it; a refused one changes nothing but the audit log.
    ``hand_up``: the case escalated by hand, with the person its new level hands it to."""
    current = dict(first)
    changes: list[Change] = []
    replies: list[Reply] = []
    for entry, data in entries:
        cid = data.get("case_id", "")
        case = current.get(cid)
        if not data or (
            case and case.last_command and entry_key(entry) <= entry_key(case.last_command)
        ):
            continue  # trimmed before it was read, or applied before a crash: only ack it
        try:
            command = ev.command_from_dict(orjson.loads(data.get("c", "")))
        except ValueError as exc:  # only a writer bug puts one there
            why = IllegalCommand(f"not a command: {exc}", "命令格式错误")
            replies.append(Reply(entry, orjson.dumps(refused_body(entry, "", cid, case, why))))
            continue
        action, reason = command.action.value, data.get("reason", "")
        name = data.get("actor_name", "")  # a signed-in actor's display name
        try:
            if case is None:
                raise IllegalCommand(f"no case with id {cid!r}", "案件不存在")
            parent = current.get(command.parent_id) if isinstance(command, ev.Merge) else None
            events = check(case, command, parent)
        except IllegalCommand as why:
            replies.append(Reply(entry, orjson.dumps(refused_body(entry, action, cid, case, why))))
            if case is not None:
                note = Change(case, case, "refused", "", "", command.actor, why.reason, command.at)
                changes.append(replace(note, command_id=entry, actor_name=name))
            continue
        after = replace(run(case, events, command.actor, command.at), last_command=entry)
        if after.level != case.level:
            after = hand_up(after, command.at)
        kind = CHANGE_TYPES[type(events[-1])]
        changes.append(
            Change(
                case,
                after,
                kind,
                "",
                "",
                command.actor,
                reason,
                command.at,
                entry,
                tuple(events),
                actor_name=name,
            )
        )
        replies.append(Reply(entry, applied_body(entry, action, case, after, command.at)))
        current[cid] = after
    return changes, replies
