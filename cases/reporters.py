"""Who reported a case: the contacts its source records carried, read where they are kept.

A case keeps the report, not the reporter: the contact (and the photos' addresses) stays in
the raw record in the `events` stream (as long as the stream keeps it, `stream_maxlen`), and
is read from there for the one case asked for. The case's history names the stream entry of
every record of its source; its merged duplicates' histories name theirs. Who may see a
contact whole is access/personal.py's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import orjson
import redis

from core.event import Event
from core.keys import Keys
from core.replies import text

MAX_RECORDS = 50  # source records read per case (the newest): a case updated every minute


def contact_of(attrs: Mapping[str, Any]) -> dict[str, str]:
    """The name, phone and e-mail a record's ``reporter`` gives (Open311's fields, or the
    governance export's 上报人 name); empty when it names no one."""
    reporter = attrs.get("reporter")
    if isinstance(reporter, str):
        return {"name": reporter.strip()} if reporter.strip() else {}
    if not isinstance(reporter, Mapping):
        return {}
    first = str(reporter.get("first_name") or "").strip()
    last = str(reporter.get("last_name") or "").strip()
    name = last + first if _chinese(last + first) else " ".join(p for p in (first, last) if p)
    found = {"name": name, "phone": reporter.get("phone"), "email": reporter.get("email")}
    return {k: str(v).strip() for k, v in found.items() if v and str(v).strip()}


def _chinese(name: str) -> bool:
    return any(unicodedata.name(c, "").startswith("CJK UNIFIED") for c in name)


def _source_entries(r: redis.Redis, keys: Keys, case_ids: list[str]) -> list[tuple[str, str]]:
    """(case id, events entry) of every source record of these cases, newest last."""
    pipe = r.pipeline(transaction=False)
    for case_id in case_ids:
        pipe.lrange(keys.history(case_id), 0, -1)
    found: list[tuple[str, str]] = []
    for case_id, history in zip(case_ids, pipe.execute(), strict=True):
        for raw in history:
            entry = orjson.loads(raw)
            if str(entry.get("actor", "")).startswith("feed:") and entry.get("entry"):
                found.append((case_id, entry["entry"]))
    return found[-MAX_RECORDS:]


def source_records(r: redis.Redis, keys: Keys, case_id: str) -> list[tuple[str, Event]]:
    """(case id, record) of the case's source records and of the reports merged into it, in
    the order they came; those the stream no longer holds left out."""
    merged = [text(i) for i in r.lrange(keys.duplicates(case_id), 0, -1)]
    sources = _source_entries(r, keys, [case_id, *merged])
    pipe = r.pipeline(transaction=False)
    for _, entry in sources:
        pipe.xrange(keys.events, entry, entry)
    return [
        (of_case, Event.from_json(read[0][1]["e"]))
        for (of_case, _), read in zip(sources, pipe.execute(), strict=True)
        if read
    ]


def reporters(records: list[tuple[str, Event]]) -> list[dict[str, str]]:
    """Each distinct reporter of the records (``source_records``), in the order they
    reported: ``case_id`` (the report's case), ``feed``, and what of name, phone and e-mail
    the record gave."""
    out: list[dict[str, str]] = []
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for of_case, event in records:
        contact = contact_of(event.attrs)
        key = (of_case, tuple(sorted(contact.items())))
        if contact and key not in seen:
            seen.add(key)
            out.append({"case_id": of_case, "feed": event.feed, **contact})
    return out


def photos(records: list[tuple[str, Event]]) -> list[str]:
    """The photos' addresses the records gave (数字城管's 图片 list, Open311's media_url), each
    once, in the order they came; only http(s) addresses (a screen links them, never more)."""
    found: list[str] = []
    for _, event in records:
        given = event.attrs.get("photos") or event.attrs.get("media_url") or []
        for url in [given] if isinstance(given, str) else list(given):
            if isinstance(url, str) and url.strip().lower().startswith(("https://", "http://")):
                found.append(url.strip())
    return list(dict.fromkeys(found))
