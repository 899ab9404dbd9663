"""Secrets out of every stored payload: one function, applied by the sink to what it writes.

A payload is redacted as text, whether it was parsed or not (a body with an invalid byte is
stored decoded with replacement characters, and its secrets are still found): the values of
the configured feed tokens wherever they appear (also URL-encoded), and the value of any
field whose name says it is a secret (``password``, ``passwd``, ``secret``, ``token``,
``api_key``, ``authorization`` and names ending so, e.g. ``access_token``) in JSON, form,
XML and ``name: value`` text, and the credentials after ``Bearer``/``Basic``/``Digest``.

The names are found with ``str.find`` on a lower-cased copy and each is examined by an
anchored pattern: a regular expression scanning a 5 MB body for them takes half a second,
this takes milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import quote

MASK = "[redacted]"
Span = tuple[int, int, str]  # start, end, replacement
NAMES = ("password", "passwd", "secret", "token", "api_key", "api-key", "apikey", "authorization")
SCHEMES = ("bearer", "basic", "digest")
_NOT_A_VALUE = r"(?![\s\"'<]|\[redacted\]|(?:bearer|basic|token|digest)\s)"
# Each applies right after a secret's name; group 1 is the value to replace.
# Every scan is bounded, so a body full of names costs at most MAX_NAMES short scans; a
# value is masked up to 16 KiB (a dead letter keeps no more of its payload than that).
_JSON = re.compile(r'"\s{0,64}:\s{0,64}("(?:[^"\\]|\\.){0,16384}"|-?[0-9][0-9.eE+-]{0,64})')
# JSON inside a JSON string (an Event's raw record in a stream entry, quoted again): the
# quotes come escaped, `\"token\": \"value\"`; group 1 is the value, up to its escaped quote.
_JSON_ESCAPED = re.compile(
    r'(\\{1,8})"\s{0,64}:\s{0,64}(?:\1"([^"\\]{0,16384})\1"|(-?[0-9][0-9.eE+-]{0,64}))'
)
_XML = re.compile(r"(?:\s[^<>]{0,256})?>([^<]{1,16384})</")  # <name …>value</name>
_TEXT = re.compile(rf"[ \t]{{0,64}}[:=][ \t]{{0,64}}{_NOT_A_VALUE}([^&\s,;\"'<>]{{1,16384}})", re.I)
_AFTER_SCHEME = re.compile(
    r"\s{1,64}([A-Za-z0-9._~+/=:-]{4,16384})"
)  # Authorization: Bearer <value>
# What any name or scheme needs, in any letter case: one search, far cheaper than lower-casing
# the text (this runs once per record on the intake's hot path).
_HINT = re.compile(r"[pPsStTaAbBdD](?i:ass|ecret|oken|pi.?key|uthori|earer|asic|igest)")
# More names than this in one payload: it is not a record but noise or an attack; it is
# replaced whole rather than scanned name by name.
MAX_NAMES = 1000
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class Redactor:
    """Removes the configured secret values and every secret-named field's value from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        variants = {v for s in secrets if len(s) >= 4 for v in (s, quote(s, safe=""))}
        self._secrets = tuple(sorted(variants, key=len, reverse=True))

    def might_hold(self, text: str) -> bool:
        """A cheap test first: most records name no secret and hold no token."""
        return _HINT.search(text) is not None or any(s in text for s in self._secrets)

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by ``[redacted]``."""
        if not self.might_hold(text):
            return text
        try:
            spans = sorted({*self._values(text), *_named(text)})
        except _TooManyError:
            return f"{MASK} (a payload of {len(text)} characters naming over {MAX_NAMES} secrets)"
        out: list[str] = []
        end = 0
        for start, stop, mask in spans:
            if start >= end:  # else inside a span already replaced
                out += [text[end:start], mask]
                end = stop
        out.append(text[end:])
        return "".join(out)

    def _values(self, text: str) -> Iterator[Span]:
        for secret in self._secrets:
            yield from ((i, i + len(secret), MASK) for i in _find_all(text, secret))


class _TooManyError(Exception):
    pass


def _named(text: str) -> Iterator[Span]:
    """The spans of values after a secret's name or an authorization scheme."""
    lower = text.lower()
    if len(lower) != len(text):  # a character whose lower case is longer (rare): ASCII only
        lower = text.translate(_ASCII_LOWER)
    seen = 0
    for word in (*NAMES, *SCHEMES):
        for i in _find_all(lower, word):
            seen += 1
            if seen > MAX_NAMES:
                raise _TooManyError
            if word in NAMES:
                yield from _value_after(text, i, i + len(word))
            elif (i == 0 or not text[i - 1].isalnum()) and (
                found := _AFTER_SCHEME.match(text, i + len(word))
            ):
                yield (*found.span(1), MASK)


def _value_after(text: str, start: int, end: int) -> Iterator[Span]:
    """The value of the name at text[start:end], if a value follows it."""
    if found := _JSON.match(text, end):
        yield (*found.span(1), f'"{MASK}"')
    elif text.startswith("\\", end) and (found := _JSON_ESCAPED.match(text, end)):
        group = 2 if found.group(2) is not None else 3
        yield (*found.span(group), MASK)
    else:
        xml = _XML.match(text, end)
        found = xml if xml and _opening_tag(text, start) else _TEXT.match(text, end)
        if found:
            yield (*found.span(1), MASK)


def _opening_tag(text: str, start: int) -> bool:
    """Whether the name at ``start`` is in an opening tag (``<ns:access_token``)."""
    left = text.rfind("<", max(0, start - 100), start)
    return left >= 0 and text[left + 1 : left + 2] != "/" and ">" not in text[left:start]


def _find_all(text: str, word: str) -> Iterator[int]:
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + len(word))
