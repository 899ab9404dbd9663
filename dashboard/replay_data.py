"""After-action review: a past period played back from the audit streams, read only.

`/wall?replay=<from>/<to>&speed=N` (times on Beijing's clock, `2026-12-07T10:00`, or with an
offset) reads, once, what the streams hold for the period: every change of a case
(`case-events`, the engine's audit log, in the order it was written), the CAP alerts that
arrived (`events`), and the incidents' entries (`incident-events`); with each case's title,
category and grid from its projection. The page then shows the state at a moving moment —
`from` plus the time since the page opened, times the speed — computed by `state_at` from
that one read: playing never writes anything, and never reads again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import redis

from cases.categories import category
from cases.view import stage_labels
from core.keys import Keys
from core.replies import text
from core.times import BEIJING

MAX_SPAN = timedelta(days=1)
MAX_ENTRIES = 50_000  # case changes read for one replay; more and it says it stopped there
MAX_SPEED = 3600.0
PAGE = 5_000
ALERT_FEED = "cap"


class ReplayError(ValueError):
    """The address does not name a period to replay: the message says why."""


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    speed: float


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ReplayError(f"not a time: {value!r} (e.g. 2026-12-07T10:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def parse_window(replay: str, speed: str | None) -> Window:
    """`<from>/<to>` and a speed (default 1) as a Window; ReplayError with the reason."""
    parts = replay.split("/")
    if len(parts) != 2:
        raise ReplayError("replay needs <from>/<to>")
    start, end = _moment(parts[0]), _moment(parts[1])
    if end <= start:
        raise ReplayError("the period ends before it starts")
    if end - start > MAX_SPAN:
        raise ReplayError("a replay covers one day at most")
    try:
        factor = float(speed) if speed else 1.0
    except ValueError:
        raise ReplayError(f"not a speed: {speed!r}") from None
    if not 0 < factor <= MAX_SPEED:
        raise ReplayError(f"the speed is between 0 and {MAX_SPEED:g}")
    return Window(start, end, factor)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _range(r: redis.Redis, stream: str, start: int, end: int, limit: int) -> list[Any]:
    """The entries of `stream` written between two epoch-ms moments, oldest first."""
    found: list[Any] = []
    low = f"{start}-0"
    while len(found) < limit:
        page = r.xrange(stream, low, f"{end}-{2**64 - 1}", count=min(PAGE, limit - len(found)))
        if not page:
            break
        found += page
        last = text(page[-1][0])
        millis, seq = (int(x) for x in last.split("-"))
        low = f"{millis}-{seq + 1}"
    return found


def _at(entry_id: Any) -> int:
    return int(text(entry_id).split("-")[0])


def read_window(r: redis.Redis, keys: Keys, window: Window) -> dict[str, Any]:
    """Everything the period's replay shows, read once (JSON-ready)."""
    start, end = _ms(window.start), _ms(window.end)
    raw = _range(r, keys.case_events, start, end, MAX_ENTRIES + 1)
    changes: list[list[Any]] = []
    for entry_id, fields in raw[:MAX_ENTRIES]:
        f = {text(k): text(v) for k, v in fields.items()}
        changes.append([_at(entry_id), f.get("case_id", ""), f.get("type", ""),
                        f.get("stage", ""), f.get("status", ""), f.get("level", "")])  # fmt: skip
    ids = list(dict.fromkeys(str(c[1]) for c in changes))
    cases: dict[str, dict[str, Any]] = {}
    for chunk in range(0, len(ids), PAGE):
        part = ids[chunk : chunk + PAGE]
        for case_id, value in zip(part, r.mget([keys.case(i) for i in part]), strict=True):
            if value:
                case = orjson.loads(value)
                cases[case_id] = {
                    "title": case.get("title", ""),
                    "category": case.get("category", ""),
                    "grid_name": case.get("grid_name") or "",
                    "village_name": case.get("village_name") or "",
                }
    alerts = []
    for entry_id, fields in _range(r, keys.events, start, end, MAX_ENTRIES):
        f = {text(k): v for k, v in fields.items()}
        if text(f.get("feed", "")) == ALERT_FEED:
            event = orjson.loads(f["e"])
            alerts.append([_at(entry_id), event.get("title", ""), event.get("severity", 1)])
    incidents = []
    for entry_id, fields in _range(r, keys.incident_events, start, end, MAX_ENTRIES):
        f = {text(k): v for k, v in fields.items()}
        body = orjson.loads(f["e"])
        incidents.append([_at(entry_id), text(f.get("incident", "")), body.get("kind", ""),
                          body.get("title", "")])  # fmt: skip
    return {"start": start, "end": end, "changes": changes, "cases": cases, "alerts": alerts,
            "incidents": incidents, "truncated": len(raw) > MAX_ENTRIES}  # fmt: skip


def state_at(data: dict[str, Any], moment: int) -> dict[str, Any]:
    """The period's state at `moment` (epoch ms): the cases seen so far with their latest
    stage (newest first by when each first appeared), the alerts and incident entries so far,
    and the counts."""
    seen: dict[str, dict[str, Any]] = {}
    for at, case_id, kind, stage, status, level in data["changes"]:
        if at > moment:
            break
        row = seen.get(case_id)
        if row is None:
            row = seen[case_id] = {"id": case_id, "first": at, "new": kind == "created"}
        row.update(at=at, stage=stage, status=status, level=level)
    rows = sorted(seen.values(), key=lambda row: (-row["first"], row["id"]))
    return {
        "rows": rows,
        "new": sum(1 for row in rows if row["new"]),
        "open": sum(1 for row in rows if row["status"] == "open"),
        "closed": sum(1 for row in rows if row["status"] == "closed"),
        "alerts": [a for a in data["alerts"] if a[0] <= moment],
        "incidents": [i for i in data["incidents"] if i[0] <= moment],
    }


def row_text(row: dict[str, Any], case: dict[str, Any] | None, lang: str) -> list[str]:
    """A queue row's cells: first seen (Beijing), title, category, place, stage."""
    first = datetime.fromtimestamp(row["first"] / 1000, BEIJING).strftime("%H:%M:%S")
    zh, en = stage_labels(row["stage"])
    known = case or {}
    kind = category(str(known.get("category", "other")))
    place = " ".join(x for x in (known.get("village_name"), known.get("grid_name")) if x)
    return [first, str(known.get("title") or row["id"]), kind.zh if lang == "zh" else kind.en,
            place, zh if lang == "zh" else en]  # fmt: skip
