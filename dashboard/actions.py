"""The request bodies of POST /api/cases/<id>/actions: one pydantic model per action, and
the lifecycle command each one asks for."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from cases.lifecycle_events import COMMANDS, Command, Handle
from cases.routing import table

NOT_BLANK = r"\S"  # text is stripped: blanks alone are no text
SAID: JsonDict = {"type": "string", "pattern": NOT_BLANK}


def _one_of_said(*names: str) -> JsonDict:
    """The body's schema says one of ``names`` holds text (its validator's rule)."""
    return {"anyOf": [{"required": [n], "properties": {n: SAID}} for n in names]}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    actor: str = Field(
        default="",
        description="Who acts, when no one is signed in; ignored for a signed-in caller, who "
        "acts as themself.",
    )
    reason: str = Field(default="", description="Why; kept in the audit log with the change.")


class _Reasoned(_Body):
    reason: str = Field(pattern=NOT_BLANK, description="Why; required for this action.")


class RegisterBody(_Body):
    """立案: accept a reported case as a case to handle."""

    action: Literal["register"]


class DispatchBody(_Body):
    """派遣: to a department (a team code of the routing table), with an optional deadline."""

    action: Literal["dispatch"]
    department: str = Field(json_schema_extra={"enum": list[JsonValue](sorted(table().teams))})
    team: str | None = None
    due: AwareDatetime | None = None

    @field_validator("department")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in table().teams:
            raise ValueError(f"unknown department {value!r}; one of {sorted(table().teams)}")
        return value


class AcceptBody(_Body):
    """签收: the department takes the case on (its first response)."""

    action: Literal["accept"]


class HandleBody(_Body):
    """处置反馈: the work is done; ``feedback`` defaults to the reason."""

    model_config = ConfigDict(json_schema_extra=_one_of_said("feedback", "reason"))
    action: Literal["handle"]
    feedback: str = ""

    @model_validator(mode="after")
    def _said(self) -> Self:
        if not (self.feedback or self.reason):
            raise ValueError("handle needs feedback (or a reason): what was done")
        return self


class VerifyBody(_Body):
    """核查: passed closes the loop's check; failed (with a reason) is rework 返工."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [{"properties": {"passed": {"const": True}}}, _one_of_said("reason")]
        }
    )
    action: Literal["verify"]
    passed: bool

    @model_validator(mode="after")
    def _why(self) -> Self:
        if not self.passed and not self.reason:
            raise ValueError("a failed verification needs a reason: it sends the case back")
        return self


class ReturnBody(_Reasoned):
    """回退: wrong department; the case goes back to the duty officer for re-dispatch."""

    action: Literal["return"]


class ExtendBody(_Body):
    """延期: an approved new handling deadline, later than the current one."""

    action: Literal["extend"]
    new_deadline: AwareDatetime
    approver: str = Field(pattern=NOT_BLANK)


class ParkBody(_Reasoned):
    """挂账: a long-term case, set aside with a reason."""

    action: Literal["park"]


class ResumeBody(_Body):
    """Back from 挂账 to its department, with an optional later deadline."""

    action: Literal["resume"]
    due: AwareDatetime | None = None


class CloseBody(_Body):
    """结案: after a passed verification."""

    action: Literal["close"]


class CancelBody(_Reasoned):
    """作废: not a valid report."""

    action: Literal["cancel"]


class MergeBody(_Body):
    """合并: a duplicate of ``parent``, which carries on."""

    action: Literal["merge"]
    parent: str = Field(pattern=NOT_BLANK)


class EscalateBody(_Reasoned):
    """升级: one level up (grid → village → town), handed to that level's person."""

    action: Literal["escalate"]


ActionBody = Annotated[
    RegisterBody | DispatchBody | AcceptBody | HandleBody | VerifyBody | ReturnBody
    | ExtendBody | ParkBody | ResumeBody | CloseBody | CancelBody | MergeBody | EscalateBody,
    Field(discriminator="action"),
]  # fmt: skip


def to_command(body: _Body, at: datetime) -> Command:
    """The lifecycle command a request body asks for, stamped with the server's time."""
    data = body.model_dump(exclude_none=True)
    cls = COMMANDS[data.pop("action")]
    if "parent" in data:
        data["parent_id"] = data.pop("parent")
    if cls is Handle:
        data["feedback"] = data.get("feedback") or data["reason"]
    names = {f.name for f in dataclass_fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names}, at=at)
