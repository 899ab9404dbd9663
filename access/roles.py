"""The roles of the centre, and who an authenticated request is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Every role and its Chinese name. `feed` is for tokens only: one per upstream system.
ROLES: dict[str, str] = {
    "duty": "值班员",
    "handler": "处置人员",
    "inspector": "督查员",
    "leader": "领导",
    "admin": "管理员",
    "wall": "大屏",
    "feed": "数据接入",
}
USER_ROLES = tuple(r for r in ROLES if r != "feed")


class AccessError(ValueError):
    """A request about users or tokens that cannot be done, with the reason."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is: a user (`kind` "user") or a machine's token ("token").

    ``name`` is the user name or the token's name, ``display`` what a history shows beside it.
    A handler belongs to a ``team``; a feed token names its ``feed``."""

    kind: Literal["user", "token"]
    name: str
    display: str
    role: str
    team: str | None = None
    feed: str | None = None


def check_role(role: str, *, for_token: bool = False) -> str:
    allowed = tuple(ROLES) if for_token else USER_ROLES
    if role not in allowed:
        raise AccessError(f"unknown role {role!r}; one of {', '.join(allowed)}")
    return role
