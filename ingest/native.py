"""Native records of the JSON feeds: msgspec Structs decoded straight from each record's text.

Intake runs once per record, so the record's shape is checked in compiled code: field types
and bounds as msgspec ``Meta`` constraints, decoded with ``strict=False`` (a number sent as
text, ``"2650"``, is read as the number, as the departments' exports often write them). What
a type cannot say — blanks that mean "not given", codes sent as numbers, source times,
finite numbers, rules across fields — is checked in each Struct's ``__post_init__`` with the
helpers below, which raise ``ValueError`` naming the field. ``reason`` turns any of these
errors into the one line a dead letter carries.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from functools import cache
from typing import Annotated, Any, TypeVar

import msgspec

from core.times import parse_source_time
from ingest.coords import SourcePoint

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Address = Annotated[str, msgspec.Meta(max_length=500)]
Count = Annotated[int, msgspec.Meta(ge=0)]

N = TypeVar("N", bound=msgspec.Struct)

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_BOUND = re.compile(r"^Expected `(?P<type>[^`]+)` (?P<op>>=|<=|>|<) (?P<limit>\S+)$")
_LENGTH = re.compile(r"^Expected `(?:str|array|object)` of length (?P<op>>=|<=) (?P<limit>\d+)$")
_PATTERN = re.compile(r"^Expected `str` matching regex (?P<pattern>.+)$")
_TYPE = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")


class Record(msgspec.Struct, kw_only=True, gc=False):
    """A native record. Unknown fields are ignored here and kept in the event's raw text.

    Records hold no reference cycles: the cycle collector need not track them (``gc=False``).
    """

    def source_point(self) -> SourcePoint | None:
        """The record's point as the source gave it; None for a record without one."""
        return None


@cache
def decoder(kind: type[N]) -> msgspec.json.Decoder[N]:
    return msgspec.json.Decoder(kind, strict=False)


def decode(kind: type[N], raw: bytes) -> N:
    """The record of its JSON text; raises ``msgspec.ValidationError`` with the problem."""
    record: N = decoder(kind).decode(raw)
    return record


def reason(exc: msgspec.ValidationError) -> str:
    """A decoding error as one line a person can act on: which field, and what is wrong."""
    message = str(exc)
    match = _PATH.search(message)
    path = _field_path(match["path"]) if match else ""
    message = message[: match.start()] if match else message
    if missing := _MISSING.match(message):
        field = f"{path}.{missing['field']}" if path else missing["field"]
        return f"missing required field {field!r}"
    problem = _problem(message)
    if not path:
        if problem.startswith("expected object, not"):
            return f"a record must be a JSON object, not {problem.rsplit(' ', 1)[1]}"
        return problem
    return f"field {path!r}: {problem}"


def _field_path(path: str) -> str:
    """``$.values[...]`` → ``values``; ``$.a.b`` → ``a.b``."""
    return path.replace("[...]", "").lstrip(".")


def _problem(message: str) -> str:
    if bound := _BOUND.match(message):
        return f"must be {bound['op']} {bound['limit']}"
    if length := _LENGTH.match(message):
        if length["op"] == ">=" and length["limit"] == "1":
            return "must not be empty"
        word = "at least" if length["op"] == ">=" else "at most"
        return f"must be {word} {length['limit']} long"
    if pattern := _PATTERN.match(message):
        return f"does not match the pattern {pattern['pattern']}"
    if wrong := _TYPE.match(message):
        return f"expected {wrong['expected']}, not {wrong['got']}"
    return message[:1].lower() + message[1:]


def _json_word(value: Any) -> str:
    """A decoded value as the JSON that sent it would read: null, true, 3, "text"."""
    if value is None or type(value) is bool:
        return "null" if value is None else str(value).lower()
    return repr(value) if type(value) in (str, int, float) else f"a JSON {type(value).__name__}"


# Helpers for __post_init__: each takes the value as decoded and the field's name.


def is_blank(value: Any) -> bool:
    return value is None or (type(value) is str and not value.strip())


def code(value: Any, name: str, max_length: int = 64) -> str:
    """A code or name as text: some exports write an all-digit code as a JSON number."""
    if type(value) is str:
        text = value.strip()
    elif type(value) is int:
        text = str(value)
    else:
        word = "null" if value is None else type(value).__name__
        raise ValueError(f"field {name!r}: expected text, not {word}")
    if not text:
        raise ValueError(f"field {name!r}: must not be empty")
    if len(text) > max_length:
        raise ValueError(f"field {name!r}: must be at most {max_length} long")
    return text


def optional_code(value: Any, name: str, max_length: int = 64) -> str | None:
    return None if is_blank(value) else code(value, name, max_length)


def number(value: Any, name: str, *, ge: float | None = None) -> float:
    """A finite number, from a JSON number or a numeric text (never a boolean)."""
    if type(value) is float or type(value) is int:
        result = float(value)
    elif type(value) is str:
        try:
            result = float(value.strip())
        except ValueError:
            raise ValueError(f"field {name!r}: expected a number, not {value!r}") from None
    else:
        raise ValueError(f"field {name!r}: expected a number, not {_json_word(value)}")
    if not math.isfinite(result):
        raise ValueError(f"field {name!r}: must be a finite number, not {value!r}")
    if ge is not None and result < ge:
        raise ValueError(f"field {name!r}: must be >= {ge:g}, not {result:g}")
    return result


def optional_number(value: Any, name: str, *, ge: float | None = None) -> float | None:
    return None if is_blank(value) else number(value, name, ge=ge)


def finite(value: float | None, name: str) -> None:
    """Rejects NaN and infinities, which ``strict=False`` lets through from text ("nan")."""
    if value is not None and not math.isfinite(value):
        raise ValueError(f"field {name!r}: must be a finite number, not {value!r}")


def count(value: Any, name: str, *, gt: int = -1, le: int | None = None) -> int:
    """A whole number above ``gt`` (0 or more by default), from a JSON number or text."""
    if type(value) is int:
        result = value
    elif type(value) is str and value.strip().isdigit():
        result = int(value.strip())
    elif type(value) is float and value.is_integer():
        result = int(value)
    else:
        raise ValueError(f"field {name!r}: expected a whole number, not {_json_word(value)}")
    if result <= gt:
        bound = ">= 0" if gt == -1 else f"> {gt}"
        raise ValueError(f"field {name!r}: must be {bound}, not {result}")
    if le is not None and result > le:
        raise ValueError(f"field {name!r}: must be <= {le}, not {result}")
    return result


def optional_count(value: Any, name: str, *, gt: int = -1, le: int | None = None) -> int | None:
    return None if is_blank(value) else count(value, name, gt=gt, le=le)


def source_time(value: Any, name: str) -> datetime:
    """A source's time (naive: Beijing) as UTC."""
    if type(value) is not str:
        raise ValueError(f"field {name!r}: expected a time such as 2026-11-28 09:12:33")
    try:
        return parse_source_time(value)
    except ValueError as exc:
        raise ValueError(f"field {name!r}: {exc}") from None


def optional_time(value: Any, name: str) -> datetime | None:
    return None if is_blank(value) else source_time(value, name)
