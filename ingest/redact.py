"""Secrets out of every stored payload: one function, applied by the sink to what it writes.

A payload is redacted as text, whether it was parsed or not (a body with an invalid byte is
stored decoded with replacement characters, and its secrets are still found): the values of
the configured feed tokens wherever they appear (also URL-encoded), and the value of any
field whose name says it is a secret (``password``, ``passwd``, ``secret``, ``token``,
``api_key``, ``authorization`` and names ending so, e.g. ``access_token``) in JSON, form,
XML and ``name: value`` text, and the credentials after ``Bearer``/``Basic``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[redacted]"
# A name that says its value is a secret; a longer name must end so (client_secret), so a
# field such as token_count is not taken for one.
_NAME = r"[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|apikey|authorization)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JSON: "name": "value" (escapes included) or "name": 123
    (
        re.compile(rf'("{_NAME}"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)', re.I),
        rf'\1"{MASK}"',
    ),
    # XML: <name …>value</name>, with or without a namespace prefix
    (re.compile(rf"(<((?:[\w.-]+:)?{_NAME})\b[^>]*>)[^<]*(</\2\s*>)", re.I), rf"\1{MASK}\3"),
    # Credentials after an HTTP authorization scheme, wherever they are quoted
    (
        re.compile(r"\b(Bearer|Basic|Token|Digest)(\s+)[A-Za-z0-9._~+/=:-]{4,}", re.I),
        rf"\1\2{MASK}",
    ),
    # Form and query strings (name=value&…) and text (name: value, name = value)
    (
        re.compile(rf"(\b{_NAME}\s*[:=]\s*)(?![\s\"'<]|\[redacted\])[^&\s,;\"'<>]+", re.I),
        rf"\1{MASK}",
    ),
)
# What any of the patterns needs to find, in any letter case: one search, far cheaper than
# lower-casing the text (this runs once per record on the intake's hot path).
_HINT = re.compile(r"[pPsStTkKaAbBdD](?i:ass|ecret|oken|ey|uthori|earer|asic|igest)")


class Redactor:
    """Removes the configured secret values and every secret-named field's value from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {v for s in secrets if len(s) >= 4 for v in (s, quote(s, safe=""))}
        ordered = sorted(variants, key=len, reverse=True)  # a longer secret before its prefix
        self._values = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._secrets = tuple(ordered)

    def might_hold(self, text: str) -> bool:
        """A cheap test first: most records name no secret and hold no token."""
        return _HINT.search(text) is not None or any(s in text for s in self._secrets)

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by ``[redacted]``."""
        if not self.might_hold(text):
            return text
        if self._values is not None:
            text = self._values.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text
