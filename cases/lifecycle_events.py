"""Operator commands and the lifecycle events they become, with their JSON form.

A command is a request (it may be refused); an event is a fact (it is only ever applied).
Commands serialise with an ``action`` key, as ``POST /api/cases/<id>/actions`` receives them
and the ``commands`` stream carries them; events serialise with a ``type`` key, as
``case-events`` carries them. Malformed JSON raises ``ValueError`` (pydantic's
``ValidationError``); whether a well-formed command is allowed is ``decide``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import TypeAdapter


class Action(StrEnum):
    REGISTER = "register"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    HANDLE = "handle"
    VERIFY = "verify"
    RETURN = "return"
    EXTEND = "extend"
    PARK = "park"
    RESUME = "resume"
    CLOSE = "close"
    CANCEL = "cancel"
    MERGE = "merge"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Base:
    actor: str
    at: datetime


# ---- commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Register(_Base):
    action: ClassVar[Action] = Action.REGISTER


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispatch(_Base):
    """To a department (and optionally its team); ``due`` is the handling deadline, if known."""

    action: ClassVar[Action] = Action.DISPATCH
    department: str
    team: str | None = None
    due: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept(_Base):
    action: ClassVar[Action] = Action.ACCEPT


@dataclass(frozen=True, slots=True, kw_only=True)
class Handle(_Base):
    action: ClassVar[Action] = Action.HANDLE
    feedback: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Verify(_Base):
    """The inspector's verdict; a failed one must say why, since it sends the case back."""

    action: ClassVar[Action] = Action.VERIFY
    passed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Return(_Base):
    action: ClassVar[Action] = Action.RETURN
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Extend(_Base):
    action: ClassVar[Action] = Action.EXTEND
    new_deadline: datetime
    approver: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Park(_Base):
    action: ClassVar[Action] = Action.PARK
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume(_Base):
    action: ClassVar[Action] = Action.RESUME
    due: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Close(_Base):
    action: ClassVar[Action] = Action.CLOSE


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancel(_Base):
    action: ClassVar[Action] = Action.CANCEL
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Merge(_Base):
    action: ClassVar[Action] = Action.MERGE
    parent_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalate(_Base):
    """升级 by hand: one level up (grid → village → town), whatever the deadlines say."""

    action: ClassVar[Action] = Action.ESCALATE
    reason: str


Command = (
    Register | Dispatch | Accept | Handle | Verify | Return | Extend | Park | Resume | Close
    | Cancel | Merge | Escalate
)  # fmt: skip
_COMMAND_TYPES: tuple[type[Command], ...] = (
    Register, Dispatch, Accept, Handle, Verify, Return, Extend, Park, Resume, Close, Cancel, Merge,
    Escalate,
)  # fmt: skip
COMMANDS: dict[str, type[Command]] = {c.action.value: c for c in _COMMAND_TYPES}


# ---- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Registered(_Base):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispatched(_Base):
    department: str
    team: str | None = None
    due: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted(_Base):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Handled(_Base):
    feedback: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Verified(_Base):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationFailed(_Base):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Returned(_Base):
    """``department`` is the one that sent the case back (for its KPIs)."""

    reason: str
    department: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Extended(_Base):
    new_deadline: datetime
    approver: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parked(_Base):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed(_Base):
    due: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Closed(_Base):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancelled(_Base):
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Merged(_Base):
    parent_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalated(_Base):
    """The case moved up by hand to ``level``; its stage stays."""

    reason: str
    level: str


LifecycleEvent = (
    Registered | Dispatched | Accepted | Handled | Verified | VerificationFailed | Returned
    | Extended | Parked | Resumed | Closed | Cancelled | Merged | Escalated
)  # fmt: skip
_EVENT_TYPES: tuple[type[LifecycleEvent], ...] = (
    Registered, Dispatched, Accepted, Handled, Verified, VerificationFailed, Returned, Extended,
    Parked, Resumed, Closed, Cancelled, Merged, Escalated,
)  # fmt: skip
EVENTS: dict[str, type[LifecycleEvent]] = {e.__name__: e for e in _EVENT_TYPES}


# ---- JSON ------------------------------------------------------------------------------------


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    """Built on first use: a TypeAdapter per class costs milliseconds at import otherwise."""
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def command_to_dict(command: Command) -> dict[str, Any]:
    body: dict[str, Any] = _adapter(type(command)).dump_python(command, mode="json")
    return {"action": command.action.value, **body}


def command_from_dict(data: dict[str, Any]) -> Command:
    """The command a JSON body describes; ``ValueError`` when it is not one."""
    body = dict(data)
    cls = COMMANDS.get(str(body.pop("action", "")))
    if cls is None:
        raise ValueError(f"unknown action {data.get('action')!r}")
    command: Command = _adapter(cls).validate_python(body)
    return command


def event_to_dict(event: LifecycleEvent) -> dict[str, Any]:
    body: dict[str, Any] = _adapter(type(event)).dump_python(event, mode="json")
    return {"type": type(event).__name__, **body}


def event_from_dict(data: dict[str, Any]) -> LifecycleEvent:
    body = dict(data)
    cls = EVENTS.get(str(body.pop("type", "")))
    if cls is None:
        raise ValueError(f"unknown lifecycle event {data.get('type')!r}")
    event: LifecycleEvent = _adapter(cls).validate_python(body)
    return event
