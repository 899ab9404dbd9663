"""Splitting an HTTP body or a file into records, keeping each record's raw text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as decoded JSON plus the exact text it came from."""

    raw: str
    value: Any


class BodyError(ValueError):
    """The payload as a whole cannot be read."""


def decode_text(body: bytes, encoding: str = "utf-8") -> str:
    try:
        return body.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise BodyError(f"body is not valid {encoding}: {exc.reason} at byte {exc.start}") from exc


def json_records(body: bytes) -> Iterator[RawRecord]:
    """Records of a JSON object, a JSON array of objects, or JSON lines (one object a line)."""
    text = decode_text(body).strip()
    if not text:
        raise BodyError("empty body")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "\n" not in text:
            raise BodyError(f"malformed JSON: {exc}") from exc
        yield from _json_lines(text)
        return
    if isinstance(value, list):
        for item in value:
            yield RawRecord(orjson.dumps(item).decode(), item)
    else:
        yield RawRecord(text, value)


def _json_lines(text: str) -> Iterator[RawRecord]:
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        values = [orjson.loads(line) for line in lines]
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"malformed JSON (neither a document nor JSON lines): {exc}") from exc
    for line, value in zip(lines, values, strict=True):
        yield RawRecord(line, value)
