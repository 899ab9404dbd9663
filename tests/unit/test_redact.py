"""Secrets never reach a stored payload: JSON, form, XML, text, headers, configured tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from core.event import DeadLetter
from ingest.feeds import FEEDS
from ingest.guard import RAW_KEPT_BYTES, Guard
from ingest.redact import MAX_NAMES, Redactor
from tests.support.adapters import NOW

TOKEN = "s3cr3t-TOKEN/x"  # noqa: S105 - a test credential
REDACT = Redactor([TOKEN])


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            '{"api_key": "ab\\"c", "x": 1, "access_token":12345, "token_count": 3}',
            '{"api_key": "[redacted]", "x": 1, "access_token":"[redacted]", "token_count": 3}',
        ),
        (
            "service_code=x&api_key=K1&description=\ufffd&password=p%40ss",
            "service_code=x&api_key=[redacted]&description=\ufffd&password=[redacted]",
        ),
        (
            '<a><token>abc</token>kept</a><ns:Password n="1">zz</ns:Password>',
            '<a><token>[redacted]</token>kept</a><ns:Password n="1">[redacted]</ns:Password>',
        ),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"),
        ('{"Authorization":"Basic dXNlcjpwYXNz"}', '{"Authorization":"[redacted]"}'),
        (f"sent {TOKEN} and s3cr3t-TOKEN%2Fx", "sent [redacted] and [redacted]"),
        ("PASSWORD: hunter2, passwd = x1", "PASSWORD: [redacted], passwd = [redacted]"),
        ("client_secret=abc;tokens are fine", "client_secret=[redacted];tokens are fine"),
        ("璜塘路88号 机动车乱停放", "璜塘路88号 机动车乱停放"),
    ],
)
def test_secret_values_are_replaced_and_the_rest_kept(text: str, redacted: str) -> None:
    assert REDACT(text) == redacted


def test_a_payload_naming_too_many_secrets_is_replaced_whole() -> None:
    text = "token=x " * (MAX_NAMES + 1)
    assert REDACT(text).startswith("[redacted] (a payload of")


def test_a_large_payload_is_redacted_quickly() -> None:
    text = '{"api_key": "k", "pad": "' + "a" * 4_900_000 + " password: hunter2"
    started = time.perf_counter()
    out = REDACT(text)
    assert "hunter2" not in out and '"api_key": "[redacted]"' in out
    assert time.perf_counter() - started < 2.0, "linear in the payload, not quadratic"


def test_an_open311_body_with_an_invalid_byte_keeps_no_api_key() -> None:
    body = (
        b"service_code=pothole&api_key=" + TOKEN.encode() + b"&description=\xff&lat=31.7&long=120.4"
    )
    [dead] = FEEDS["open311"].parse(body, NOW)
    assert isinstance(dead, DeadLetter) and TOKEN in dead.raw, "the adapter keeps what it read"
    fields = Guard(redact=REDACT).dead_fields(dead)
    assert not [v for v in fields.values() if TOKEN in str(v)]
    assert "api_key=[redacted]" in str(fields["raw"])


def test_a_secret_in_an_events_raw_text_is_redacted() -> None:
    form = b"service_code=001&description=x&lat=31.7&long=120.4&access_token=abc123"
    [event] = FEEDS["open311"].parse(form, NOW)
    stored = Guard(redact=REDACT).event(event)
    assert "abc123" in event.raw and "abc123" not in stored.raw
    assert stored.id == event.id, "the id is the record's, whatever is stored"


def test_a_large_dead_letter_keeps_its_head_length_and_hash() -> None:
    raw = "长" * 10_000  # 30,000 bytes of UTF-8
    dead = DeadLetter(feed="urban", reason="r", raw=raw, received_at=datetime.now(UTC))
    fields = Guard().dead_fields(dead)
    head = str(fields["raw"])
    assert len(head.encode()) <= RAW_KEPT_BYTES and raw.startswith(head), "whole characters only"
    assert (fields["raw_bytes"], fields["truncated"]) == (30_000, 1)
