"""Feed records whose every text field carries markup: a link, a `<script>` and an `<img
onerror>`, for the tests that every screen shows them as text.

A record comes from the feed's simulator (today's, in its native format). Each text leaf
(a JSON string, an XML element's text, a CSV cell, a form value) gets the feed's `payload`
appended. A leaf whose change alone makes the adapter refuse the record (an id's format, a
code, a time, a number) is structural: the *accepted* record carries the payload in every
other leaf, and the *refused* one in the structural leaves (it becomes a dead letter, which
the admin page shows).
"""

from __future__ import annotations

import copy
import csv
import io
import xml.etree.ElementTree as ET  # writing: defusedxml parses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from defusedxml.ElementTree import fromstring

from core.event import Event
from ingest.adapter import CSV_MEDIA, FORM_MEDIA, JSON_MEDIA, XML_MEDIA, media_types
from ingest.feeds import FEEDS
from ingest.sim.common import Episode
from ingest.sim.environment import EnvironmentFeed
from ingest.sim.fleet import Options, build
from ingest.sim.water import RAIN
from layers.town import Town

Path = tuple[Any, ...]
ATTACKER = "evil.example"


def payload(feed: str) -> str:
    """Markup that would run or link if any screen read it as HTML (and names its feed)."""
    return (
        f'<a href="https://{ATTACKER}/{feed}">链接{feed}</a>'
        f"<script>window.__owned.push('{feed}')</script>"
        f"<img src=x onerror=\"window.__owned.push('{feed}')\">"
    )


@dataclass(frozen=True)
class Hostile:
    feed: str
    media: str
    accepted: bytes  # payload in every text leaf the adapter takes as text
    refused: bytes | None  # payload in the structural leaves (None: the feed has none)
    text_leaves: int


# ---- a native record's text leaves, by format ----------------------------------------------


class _Json:
    def __init__(self, body: bytes) -> None:
        data = orjson.loads(body)
        self.record = data[0] if isinstance(data, list) else data

    def leaves(self) -> list[Path]:
        found: list[Path] = []

        def walk(node: Any, at: Path) -> None:
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(value, str):
                    found.append((*at, key))
                elif isinstance(value, dict | list):
                    walk(value, (*at, key))

        walk(self.record, ())
        return found

    def with_text(self, paths: list[Path], add: str) -> bytes:
        record = copy.deepcopy(self.record)
        for path in paths:
            node = record
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] += add
        return orjson.dumps(record)


class _Xml:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def leaves(self) -> list[Path]:
        root = fromstring(self.body)
        return [(n,) for n, el in enumerate(root.iter()) if el.text and el.text.strip()]

    def with_text(self, paths: list[Path], add: str) -> bytes:
        root = fromstring(self.body)
        chosen = {p[0] for p in paths}
        for n, el in enumerate(root.iter()):
            if n in chosen and el.text:
                el.text += add
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


class _Csv:
    def __init__(self, body: bytes) -> None:
        try:
            self.encoding, text = "utf-8", body.decode("utf-8-sig")
        except UnicodeDecodeError:  # 综治 exports are often GB18030: written back so
            self.encoding, text = "gb18030", body.decode("gb18030")
        self.rows = list(csv.reader(io.StringIO(text)))[:2]  # the header and one record

    def leaves(self) -> list[Path]:
        return [(n,) for n, cell in enumerate(self.rows[1]) if cell.strip()]

    def with_text(self, paths: list[Path], add: str) -> bytes:
        record = list(self.rows[1])
        for (n,) in paths:
            record[n] += add
        out = io.StringIO()
        csv.writer(out).writerows([self.rows[0], record])
        return out.getvalue().encode(self.encoding)


class _Form:
    def __init__(self, body: bytes) -> None:
        self.pairs = parse_qsl(body.decode())

    def leaves(self) -> list[Path]:
        return [(n,) for n, (key, value) in enumerate(self.pairs) if value and key != "api_key"]

    def with_text(self, paths: list[Path], add: str) -> bytes:
        chosen = {p[0] for p in paths}
        pairs = [(k, v + add if n in chosen else v) for n, (k, v) in enumerate(self.pairs)]
        return urlencode(pairs).encode()


FORMATS: dict[str, Callable[[bytes], _Json | _Xml | _Csv | _Form]] = {
    **{m: _Json for m in JSON_MEDIA},
    **{m: _Xml for m in XML_MEDIA},
    **{m: _Csv for m in CSV_MEDIA},
    **{m: _Form for m in FORM_MEDIA},
}


def _records(media: str, body: bytes) -> list[bytes]:
    """A body's records, each as a body of its own (JSON: an array's items, or its lines)."""
    if media not in JSON_MEDIA:
        return [body]
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [line for line in body.splitlines() if line.strip()]
    return [orjson.dumps(item) for item in data] if isinstance(data, list) else [body]


def _takes(feed: str, body: bytes, now: datetime) -> bool:
    results = list(FEEDS[feed].parse(body, now))
    return bool(results) and all(isinstance(r, Event) for r in results)


def hostile(feed: str, body: bytes, now: datetime) -> Hostile:
    """``body``'s first record with the payload in its text leaves (see the module)."""
    media = media_types(FEEDS[feed])[0]
    form = FORMATS[media](body)
    add = payload(feed)
    leaves = form.leaves()
    text = [p for p in leaves if _takes(feed, form.with_text([p], add), now)]
    # Together they may still trip a rule one alone does not: keep the ones that hold.
    kept: list[Path] = []
    for path in text:
        if _takes(feed, form.with_text([*kept, path], add), now):
            kept.append(path)
    structural = [p for p in leaves if p not in kept]
    refused = form.with_text(structural, add) if structural else None
    return Hostile(feed, media, form.with_text(kept, add), refused, len(kept))


def hostile_records(town: Town, now: datetime, seed: int = 7) -> list[Hostile]:
    """One accepted and one refused record per feed, from today's simulated sources: the
    last day's, so that a source with opening hours (the service hall) has sent something
    whatever the hour the test runs at."""
    found = []
    rain = Episode(after=timedelta(0), length=RAIN.length)  # raining now: CAP sends its first
    for sim in build(town, Options(seed=seed, backfill=timedelta(hours=24), rain=rain), FEEDS):
        bodies = sim.backfill(now) + sim.tick(now, 4 * 3600)
        media = media_types(FEEDS[sim.feed])[0]
        records = [r for body in bodies for r in _records(media, body)][:500]
        if isinstance(sim, EnvironmentFeed):  # its text is in the 12369 complaints, which
            records.append(orjson.dumps(sim.complaint(now)))  # come a few a day
        assert records, f"the {sim.feed} simulator sent nothing"
        richest = max(records, key=lambda body: len(FORMATS[media](body).leaves()))
        found.append(hostile(sim.feed, richest, now))
    return found
