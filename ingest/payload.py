"""Splitting an HTTP body or a file into records, keeping each record's own JSON text."""

from __future__ import annotations

import msgspec

_RECORDS = msgspec.json.Decoder(list[msgspec.Raw])
_RECORD = msgspec.json.Decoder(msgspec.Raw)
_BOM = b"\xef\xbb\xbf"


class BodyError(ValueError):
    """The payload as a whole cannot be read."""


def decode_text(body: bytes, encoding: str = "utf-8") -> str:
    try:
        return body.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise BodyError(f"body is not valid {encoding}: {exc.reason} at byte {exc.start}") from exc


def json_raws(body: bytes) -> list[bytes]:
    """Each record's JSON text of a JSON object, a JSON array, or JSON lines (one a line).

    A record's text is the source's own, with only the whitespace between tokens made
    uniform: the same record sent pretty-printed, in an array or on a line of its own is the
    same text, so its content id is the same. Nothing is decoded into Python objects here,
    and the text is not checked for UTF-8 here: each record is when it is read, so a record
    with broken bytes is dead-lettered alone, not with its whole body.
    """
    data = body.removeprefix(_BOM).strip()
    if not data:
        raise BodyError("empty body")
    try:
        try:
            raws = _RECORDS.decode(data) if data[:1] == b"[" else [_RECORD.decode(data)]
        except msgspec.DecodeError as exc:
            if b"\n" not in data:
                decode_text(data)  # say so if the body is not text at all
                raise BodyError(f"malformed JSON: {exc}") from exc
            raws = _json_lines(data)
        return [msgspec.json.format(raw, indent=0) for raw in raws]
    except RecursionError:  # msgspec's depth limit: a record never nests so deep
        raise BodyError("JSON nested too deeply to read") from None


def _json_lines(data: bytes) -> list[msgspec.Raw]:
    try:
        return [_RECORD.decode(line) for line in data.splitlines() if line.strip()]
    except msgspec.DecodeError as exc:
        raise BodyError(f"malformed JSON (neither a document nor JSON lines): {exc}") from exc
