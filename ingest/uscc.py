"""The unified social credit code (统一社会信用代码, GB 32100): 18 characters, the last a check.

python-stdnum (``stdnum.cn.uscc``) knows the code, but its ``validate`` wants digits in
positions 1–8, while GB 32100 draws the registering authority and entity type (positions 1–2)
from the same 31-character set as the rest (``N2…`` rural collectives, ``Y1…``); and each of
its calls cleans the text of Unicode look-alikes again, which costs more than the rest of a
record's intake. So the format is checked here and the check character is computed here with
the standard's weights (3^i mod 31) over a code already compacted once; tests/unit/test_uscc.py
holds it to stdnum's ``calc_check_digit`` on random codes.
"""

from __future__ import annotations

import re
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

__all__ = ["check_character", "compact", "uscc_attrs", "uscc_problem"]

# GB 32100's code set: digits and capitals without I, O, S, V, Z.
_FORMAT = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_PLAIN = re.compile(r"[0-9A-Z]*")
_SIMPLE = re.compile(r"[0-9A-Za-z -]*")  # stdnum drops the spaces and dashes, upper-cases
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: n for n, ch in enumerate(_ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, …
# Per position, each character's value times the position's weight: one look-up a character.
_WEIGHED = tuple({ch: n * w for ch, n in _VALUE.items()} for w in _WEIGHTS)


def check_character(first17: str) -> str:
    """GB 32100's check character of the first 17 characters (of its code set)."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError(f"expected {len(_WEIGHTS)} characters, not {len(first17)}")
    total = sum(map(dict.__getitem__, _WEIGHED, first17))
    return _ALPHABET[(31 - total % 31) % 31]


def compact(code: str) -> str:
    """The code without separators, upper case (stdnum's ``compact``).

    A code of plain ASCII capitals and digits is compact already, and one of ASCII letters,
    digits, spaces and dashes needs only its spaces and dashes dropped; only the others go
    through stdnum's Unicode clean-up, which costs more than the rest of a record's intake.
    """
    if _PLAIN.fullmatch(code):
        return code
    if _SIMPLE.fullmatch(code):
        return code.replace(" ", "").replace("-", "").upper()
    return str(stdnum_uscc.compact(code))


def uscc_problem(code: str) -> str | None:
    """What is wrong with a code (already compacted), or None if it is well-formed and checks."""
    if not code:
        return "missing"
    if len(code) != 18:
        return f"wrong length: {len(code)} characters, expected 18"
    if not _FORMAT.fullmatch(code):
        return "characters outside GB 32100's set (digits and capitals except I, O, S, V, Z)"
    expected = check_character(code[:17])
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
