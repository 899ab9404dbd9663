"""The unified social credit code (统一社会信用代码, GB 32100): 18 characters, the last a check.

The check arithmetic is python-stdnum's (``stdnum.cn.uscc``). Its ``validate`` wants digits in
positions 1–8, but GB 32100 draws the registering authority and entity type (positions 1–2)
from the same 31-character set as the rest (``N2…`` rural collectives, ``Y1…``), so the format
is checked here and only the check character is left to the library.
"""

from __future__ import annotations

import re
from typing import Any

from stdnum.cn.uscc import calc_check_digit, compact

__all__ = ["compact", "uscc_attrs", "uscc_problem"]

# GB 32100's code set: digits and capitals without I, O, S, V, Z.
_FORMAT = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_problem(code: str) -> str | None:
    """What is wrong with a code (already compacted), or None if it is well-formed and checks."""
    if not code:
        return "missing"
    if len(code) != 18:
        return f"wrong length: {len(code)} characters, expected 18"
    if not _FORMAT.fullmatch(code):
        return "characters outside GB 32100's set (digits and capitals except I, O, S, V, Z)"
    expected = calc_check_digit(code[:17])
    if code[17] != expected:
        return f"wrong check character {code[17]!r} (expected {expected!r})"
    return None


def uscc_attrs(code: str | None, *, required: bool) -> dict[str, Any]:
    """The compacted code and its verdict as Event attrs: flagged, never a reason to drop.

    A feed where the code is optional gives ``uscc_valid`` None when it is absent.
    """
    if not code and not required:
        return {"uscc": None, "uscc_valid": None}
    compacted = compact(code or "")
    problem = uscc_problem(compacted)
    verdict: dict[str, Any] = {"uscc": compacted, "uscc_valid": problem is None}
    if problem is not None:
        verdict["uscc_error"] = problem
    return verdict
