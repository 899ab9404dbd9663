from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from pydantic import TypeAdapter

from cases import lifecycle
from cases.commands import admit, check, lifecycle_of
from cases.commands import run as run_on_case
from cases.lifecycle import (
    ALLOWED,
    TERMINAL,
    TRANSITIONS,
    IllegalCommand,
    Lifecycle,
    Stage,
    decide,
    fold,
)
from cases.lifecycle_events import (
    COMMANDS,
    EVENTS,
    Accept,
    Action,
    Cancel,
    Close,
    Closed,
    Command,
    Dispatch,
    Escalate,
    Extend,
    Extended,
    Handle,
    LifecycleEvent,
    Merge,
    Park,
    Register,
    Resume,
    Return,
    Returned,
    VerificationFailed,
    Verify,
    command_from_dict,
    command_to_dict,
    event_from_dict,
    event_to_dict,
)
from cases.model import Case, Place, Siting, apply
from cases.routing import DUTY_QUEUE
from core.event import Event
from dashboard.actions import ActionBody, to_command

CASE = "urban:A1"
T0 = datetime(2026, 11, 28, 1, 12, tzinfo=UTC)
CST = timezone(timedelta(hours=8))
NAIVE = T0.replace(tzinfo=None)
WITH_DEPARTMENT = {Stage.DISPATCHED, Stage.ACCEPTED, Stage.HANDLED, Stage.VERIFIED, Stage.PARKED}
WITH_DEPARTMENT |= {Stage.CLOSED}
ENDS = {Action.CANCEL, Action.MERGE}

# ---- strategies: mostly valid arguments, sometimes not ---------------------------------------

good_text = st.sampled_from(["城管执法中队", "环保所", "网格员王五"])
text = st.one_of(good_text, good_text, good_text, st.sampled_from(["", "  "]))
aware = st.integers(0, 2000).map(lambda h: T0 + timedelta(hours=h))
moment = st.one_of(aware, aware, aware, aware.map(lambda d: d.replace(tzinfo=None)))


def strategies(
    text: st.SearchStrategy[str], moment: st.SearchStrategy[datetime]
) -> dict[Action, st.SearchStrategy[Command]]:
    """A strategy per action, its arguments drawn from ``text`` and ``moment``."""
    common: dict[str, Any] = {"actor": text, "at": moment}
    due = st.none() | moment
    parents = st.sampled_from(["urban:B2", CASE])
    return {
        Action.REGISTER: st.builds(Register, **common),
        Action.DISPATCH: st.builds(Dispatch, department=text, team=text, due=due, **common),
        Action.ACCEPT: st.builds(Accept, **common),
        Action.HANDLE: st.builds(Handle, feedback=text, **common),
        Action.VERIFY: st.builds(Verify, passed=st.booleans(), reason=text, **common),
        Action.RETURN: st.builds(Return, reason=text, **common),
        Action.EXTEND: st.builds(Extend, new_deadline=moment, approver=text, reason=text, **common),
        Action.PARK: st.builds(Park, reason=text, **common),
        Action.RESUME: st.builds(Resume, due=due, **common),
        Action.CLOSE: st.builds(Close, **common),
        Action.CANCEL: st.builds(Cancel, reason=text, **common),
        Action.MERGE: st.builds(Merge, parent_id=parents | text, reason=text, **common),
        Action.ESCALATE: st.builds(Escalate, reason=text, **common),
    }


STRATEGIES = strategies(text, moment)
VALID = strategies(good_text, aware)  # may still be refused: a deadline earlier, a merge into self
any_command = st.sampled_from(list(Action)).flatmap(STRATEGIES.__getitem__)


def ok(value: str | None) -> bool:
    return bool(value and value.strip())


def is_aware(moment: datetime | None) -> bool:
    return moment is None or moment.utcoffset() is not None


def keeps_due(state: Lifecycle, due: datetime | None) -> bool:
    return is_aware(due) and not (due and state.handling_due and due < state.handling_due)


def legal(state: Lifecycle, c: Command, workers: frozenset[str], ups: int = 0) -> bool:
    """The rules restated independently of the module: the oracle the machine checks against.
    ``workers``: the actors of the accepts and handles applied so far; ``ups``: the escalations
    (grid → village → town: two at most)."""
    if c.action not in ALLOWED[state.stage] or not ok(c.actor) or not is_aware(c.at):
        return False
    match c:
        case Dispatch():
            return ok(c.department) and keeps_due(state, c.due)
        case Handle():
            return ok(c.feedback)
        case Verify():
            return c.actor not in workers and (c.passed or ok(c.reason))
        case Return() | Park() | Cancel():
            return ok(c.reason)
        case Extend():
            if not (ok(c.approver) and is_aware(c.new_deadline)) or c.new_deadline <= c.at:
                return False
            return state.handling_due is None or c.new_deadline > state.handling_due
        case Resume():
            return keeps_due(state, c.due)
        case Merge():
            return ok(c.parent_id) and c.parent_id != state.case_id
        case Escalate():
            return ok(c.reason) and ups < 2
    return True


def attempt(state: Lifecycle, command: Command) -> list[LifecycleEvent] | IllegalCommand:
    try:
        return decide(state, command)
    except IllegalCommand as refusal:
        return refusal


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = Lifecycle(CASE)
        self.counts = {VerificationFailed: 0, Extended: 0, Returned: 0}
        self.final: Lifecycle | None = None
        self.workers: frozenset[str] = frozenset()
        self.ups = 0

    def run(self, command: Command) -> None:
        before = self.state
        events = attempt(before, command)
        if isinstance(events, IllegalCommand):
            assert not legal(before, command, self.workers, self.ups), events.reason
            assert ok(events.reason)
            assert ok(events.reason_zh)
            assert self.state == before
            return
        assert legal(before, command, self.workers, self.ups), command
        if isinstance(command, Accept | Handle):
            self.workers |= {command.actor}
        after = fold(before, events)
        if isinstance(command, Escalate):
            self.ups += 1
        assert after.level == ("grid", "village", "town")[self.ups]
        assert after.stage in TRANSITIONS[before.stage][command.action]
        if after.stage is Stage.CLOSED:
            assert before.stage is Stage.VERIFIED
        if before.handling_due is not None:
            assert after.handling_due is not None
            assert after.handling_due >= before.handling_due
        for event in events:
            if type(event) in self.counts:
                self.counts[type(event)] += 1
        self.state = after

    @rule(command=any_command)
    def any_command(self, command: Command) -> None:
        self.run(command)

    @rule(data=st.data())
    def an_allowed_command(self, data: st.DataObject) -> None:
        actions = sorted(ALLOWED[self.state.stage]) or list(Action)
        self.run(data.draw(st.sampled_from(actions).flatmap(STRATEGIES.__getitem__)))

    @rule(data=st.data())
    def a_command_that_moves_on(self, data: st.DataObject) -> None:
        """Allowed, valid-looking, and neither cancel nor merge: so runs reach the late stages."""
        actions = sorted(ALLOWED[self.state.stage] - ENDS) or list(Action)
        self.run(data.draw(st.sampled_from(actions).flatmap(VALID.__getitem__)))

    @invariant()
    def terminal_stages_never_change(self) -> None:
        if self.final is not None:
            assert self.state == self.final
        elif self.state.stage in TERMINAL:
            self.final = self.state

    @invariant()
    def counters_match_the_events(self) -> None:
        assert self.state.rework_count == self.counts[VerificationFailed]
        assert self.state.extension_count == self.counts[Extended]
        assert self.state.returns == self.counts[Returned]

    @invariant()
    def fields_fit_the_stage(self) -> None:
        s = self.state
        if s.stage is Stage.MERGED:
            assert s.parent and s.parent != s.case_id
        else:
            assert s.parent is None
        if s.stage in WITH_DEPARTMENT:
            assert ok(s.department)
        if s.stage in {Stage.REPORTED, Stage.REGISTERED}:
            assert s.department is None
        assert is_aware(s.handling_due)


LifecycleMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestLifecycleMachine = LifecycleMachine.TestCase


# ---- examples --------------------------------------------------------------------------------


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def run(*commands: Command, state: Lifecycle | None = None) -> Lifecycle:
    state = state or Lifecycle(CASE)
    for command in commands:
        state = fold(state, decide(state, command))
    return state


def refused(state: Lifecycle, command: Command) -> IllegalCommand:
    with pytest.raises(IllegalCommand) as caught:
        decide(state, command)
    return caught.value


REGISTER = Register(actor="坐席", at=at(0))
DISPATCH = Dispatch(actor="坐席", at=at(1), department="城管执法中队", team="一组", due=at(25))
ACCEPT = Accept(actor="中队", at=at(2))
HANDLE = Handle(actor="中队", at=at(3), feedback="车辆已移走")
PASS = Verify(actor="监督员", at=at(4), passed=True)
FAIL = Verify(actor="监督员", at=at(4), passed=False, reason="仍有占道")
CLOSE = Close(actor="坐席", at=at(5))


def test_the_happy_path_ends_closed() -> None:
    state = run(REGISTER, DISPATCH, ACCEPT, HANDLE, PASS)
    assert state.stage is Stage.VERIFIED
    assert decide(state, CLOSE) == [Closed(actor="坐席", at=at(5))]
    closed = run(CLOSE, state=state)
    assert (closed.stage, closed.department, closed.team) == (Stage.CLOSED, "城管执法中队", "一组")
    assert closed.handling_due == at(25)


def test_a_return_goes_back_to_registered_for_re_dispatch() -> None:
    returned = run(REGISTER, DISPATCH, Return(actor="中队", at=at(2), reason="不属本部门"))
    assert (returned.stage, returned.department, returned.returns) == (Stage.REGISTERED, None, 1)
    again = run(Dispatch(actor="坐席", at=at(3), department="环保所"), state=returned)
    assert (again.stage, again.department, again.handling_due) == (
        Stage.DISPATCHED,
        "环保所",
        at(25),
    )


def extend(deadline: datetime, approver: str = "分管领导") -> Extend:
    return Extend(actor="中队", at=at(4), new_deadline=deadline, approver=approver)


def test_an_extension_needs_a_later_deadline_and_an_approver() -> None:
    accepted = run(REGISTER, DISPATCH, ACCEPT)
    extended = run(extend(at(49)), state=accepted)
    assert (extended.stage, extended.handling_due, extended.extension_count) == (
        Stage.ACCEPTED,
        at(49),
        1,
    )
    assert "later than the current" in refused(extended, extend(at(49))).reason
    undated = run(REGISTER, Dispatch(actor="坐席", at=at(1), department="环保所"))
    assert "later than the command" in refused(undated, extend(at(3))).reason
    assert run(extend(at(5)), state=undated).handling_due == at(5)
    assert "approver" in refused(extended, extend(at(60), approver=" ")).reason
    assert "aware" in refused(extended, extend(NAIVE)).reason
    assert "cannot extend" in refused(run(REGISTER), extend(at(60))).reason
    assert refused(run(HANDLE, PASS, state=extended), extend(at(60)))


def test_a_parked_case_resumes_as_dispatched_to_its_department() -> None:
    accepted = run(REGISTER, DISPATCH, ACCEPT)
    assert "reason" in refused(accepted, Park(actor="中队", at=at(3), reason="")).reason
    parked = run(Park(actor="中队", at=at(3), reason="需专项整治"), state=accepted)
    assert parked.stage is Stage.PARKED
    resumed = run(Resume(actor="坐席", at=at(100), due=at(200)), state=parked)
    assert (resumed.stage, resumed.department, resumed.handling_due) == (
        Stage.DISPATCHED,
        "城管执法中队",
        at(200),
    )
    assert "earlier" in refused(parked, Resume(actor="坐席", at=at(9), due=at(10))).reason


def test_a_failed_verification_is_rework_back_to_accepted() -> None:
    handled = run(REGISTER, DISPATCH, ACCEPT, HANDLE)
    reworked = run(FAIL, state=handled)
    assert (reworked.stage, reworked.rework_count) == (Stage.ACCEPTED, 1)
    assert run(HANDLE, FAIL, HANDLE, PASS, CLOSE, state=reworked).rework_count == 2
    assert refused(handled, Verify(actor="监督员", at=at(4), passed=False)).reason_zh


def test_the_one_who_accepted_or_handled_a_case_never_verifies_it() -> None:
    """核查 is independent: whoever took or did the work (even a rework's) is refused."""
    took = Accept(actor="张三", at=at(2))
    did = Handle(actor="李四", at=at(3), feedback="已清理")
    handled = run(REGISTER, DISPATCH, took, did)
    assert handled.workers == {"张三", "李四"}
    for worker in ("张三", "李四"):
        for passed in (True, False):
            why = refused(handled, Verify(actor=worker, at=at(4), passed=passed, reason="x"))
            assert worker in why.reason
            assert why.reason_zh == "核查须由未签收、未处置本案件的督查员进行"
    reworked = run(FAIL, state=handled)
    redone = run(Handle(actor="王五", at=at(5), feedback="再次清理"), state=reworked)
    assert "王五" in refused(redone, Verify(actor="王五", at=at(6), passed=True)).reason
    assert "李四" in refused(redone, Verify(actor="李四", at=at(6), passed=True)).reason
    assert run(PASS, state=redone).stage is Stage.VERIFIED


def test_a_merged_case_is_terminal_and_records_its_parent() -> None:
    dispatched = run(REGISTER, DISPATCH)
    merged = run(Merge(actor="坐席", at=at(2), parent_id="urban:B2"), state=dispatched)
    assert (merged.stage, merged.parent) == (Stage.MERGED, "urban:B2")
    into_self = refused(dispatched, Merge(actor="坐席", at=at(2), parent_id=CASE))
    assert into_self.reason_zh == "案件不能合并到自身"
    assert refused(merged, CLOSE)
    assert refused(merged, Cancel(actor="坐席", at=at(3), reason="重复"))


def test_cancel_is_allowed_before_closure_only() -> None:
    cancelled = run(Cancel(actor="坐席", at=at(0), reason="无效上报"))
    assert cancelled.stage is Stage.CANCELLED
    closed = run(REGISTER, DISPATCH, ACCEPT, HANDLE, PASS, CLOSE)
    refusal = refused(closed, Cancel(actor="坐席", at=at(6), reason="无效上报"))
    assert refusal.reason == "cannot cancel a case in stage closed"
    assert refusal.reason_zh == "案件处于结案阶段，不能作废"
    assert "reason" in refused(Lifecycle(CASE), Cancel(actor="坐席", at=at(0), reason=" ")).reason


def test_close_needs_a_passed_verification_and_dispatch_a_department() -> None:
    assert refused(run(REGISTER, DISPATCH, ACCEPT, HANDLE), CLOSE)
    nobody = Dispatch(actor="坐席", at=at(1), department="")
    assert "department" in refused(run(REGISTER), nobody).reason
    assert "actor" in refused(Lifecycle(CASE), Register(actor="", at=at(0))).reason
    assert "aware" in refused(Lifecycle(CASE), Register(actor="坐席", at=NAIVE)).reason


def test_the_docstring_shows_the_transition_table() -> None:
    assert lifecycle.__doc__ is not None
    doc = "\n".join(line.removeprefix("    ") for line in lifecycle.__doc__.splitlines())
    assert lifecycle.transition_table() in doc
    assert set(TRANSITIONS) == set(Stage)
    assert {Stage.CLOSED, Stage.MERGED, Stage.CANCELLED} == TERMINAL


# ---- JSON ------------------------------------------------------------------------------------

zoned = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([None, UTC, CST]),
)


def built(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Every field from the strategy its type suggests, with datetimes kept in range."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for field in dataclasses.fields(cls):
        if hints[field.name] is datetime:
            kwargs[field.name] = zoned
        elif hints[field.name] == datetime | None:
            kwargs[field.name] = st.none() | zoned
    return st.builds(cls, **kwargs)


def through_json(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(orjson.dumps(data))
    return result


@settings(max_examples=150)
@given(st.sampled_from(list(COMMANDS.values())).flatmap(built))
def test_commands_round_trip_through_json(command: Command) -> None:
    assert command_from_dict(through_json(command_to_dict(command))) == command


@settings(max_examples=150)
@given(st.sampled_from(list(EVENTS.values())).flatmap(built))
def test_events_round_trip_through_json(event: Any) -> None:
    assert event_from_dict(through_json(event_to_dict(event))) == event


def test_an_api_body_becomes_a_command() -> None:
    body = {
        "action": "return",
        "actor": "中队",
        "at": "2026-11-28T09:12:00+08:00",
        "reason": "非本部门",
    }
    assert command_from_dict(body) == Return(actor="中队", at=at(0), reason="非本部门")
    with pytest.raises(ValueError, match="unknown action"):
        command_from_dict({**body, "action": "promote"})
    with pytest.raises(ValueError, match="reason"):
        command_from_dict({k: v for k, v in body.items() if k != "reason"})


# ---- the lifecycle on a Case (cases.commands) ------------------------------------------------


def new_case() -> Case:
    event = Event(
        id="urban:A1:1", feed="urban", kind="report", source_id="A1", category="parking",
        title="机动车乱停放", description="", occurred_at=T0, received_at=T0, raw="{}",
    )  # fmt: skip
    place = Siting(Place("XXK-01-01", "一网格", "XXK-01", "甲村"), 120.4, 31.78)
    result = apply(None, event, place, "1-0")
    assert result is not None
    return result[0]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(any_command, any_command.filter(lambda c: c.action not in ENDS))))
def test_a_case_follows_its_lifecycle_and_a_refusal_changes_nothing(
    commands: list[Command],
) -> None:
    case, workers, ups = new_case(), frozenset[str](), 0
    for command in commands:
        try:
            events = check(case, command, parent=case if isinstance(command, Merge) else None)
        except IllegalCommand:
            refused = not legal(lifecycle_of(case), command, workers, ups)
            assert refused or isinstance(command, Merge)
            continue
        if isinstance(command, Accept | Handle):
            workers |= {command.actor}
        ups += isinstance(command, Escalate)
        after = run_on_case(case, events, command.actor, command.at)
        assert lifecycle_of(after) == fold(lifecycle_of(case), events)
        assert after.version == case.version + 1
        assert (after.status == "closed") == (after.stage in TERMINAL)
        if after.status == "closed" and case.status == "open":
            assert (after.closed_at, after.closed_by) == (command.at, command.actor)
        if isinstance(command, Accept):
            assert after.responded_at is not None
        if after.department is not None:
            assert after.queue is None
        case = after


def test_a_new_case_is_dispatched_where_the_table_is_unambiguous() -> None:
    dispatched, reason, events = admit(new_case(), {"XXK-01": "community"})
    assert (dispatched.stage, dispatched.department, dispatched.queue) == (
        "dispatched",
        "enforce-central",
        None,
    )
    # Reported on Saturday 28 Nov 2026: two working hours from Monday 08:30.
    assert dispatched.handling_due == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
    assert "enforce-central" in reason and [type(e).__name__ for e in events] == [
        "Registered",
        "Dispatched",
    ]
    queued, reason, events = admit(new_case(), {})  # the village's kind unknown
    assert (queued.stage, queued.queue, events) == ("reported", DUTY_QUEUE, [])
    assert "duty officer" in reason


def test_every_action_has_a_request_body() -> None:
    bodies = TypeAdapter(ActionBody)
    extra = {
        "dispatch": {"department": "water"}, "handle": {"feedback": "已处理"},
        "verify": {"passed": True}, "return": {"reason": "非本部门"},
        "extend": {"new_deadline": "2026-12-01T09:00:00+08:00", "approver": "副镇长"},
        "park": {"reason": "长期"}, "cancel": {"reason": "无效"}, "merge": {"parent": "urban:B2"},
        "escalate": {"reason": "跨村纠纷"},
    }  # fmt: skip
    for action in Action:
        body = bodies.validate_python(
            {"action": action.value, "actor": "坐席", **extra.get(action, {})}
        )
        command = to_command(body, T0)
        assert (command.action, command.actor, command.at) == (action, "坐席", T0)
    merge = to_command(
        bodies.validate_python({"action": "merge", "actor": "坐席", "parent": "B"}), T0
    )
    assert isinstance(merge, Merge) and merge.parent_id == "B"
    handle = bodies.validate_python({"action": "handle", "actor": "坐席", "reason": "已劝离"})
    assert to_command(handle, T0) == Handle(actor="坐席", at=T0, feedback="已劝离")
