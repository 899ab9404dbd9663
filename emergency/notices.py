"""Notices to phones at an incident: one to each of the affected grids' staff, acknowledged by a
reply code or a link, sent again and escalated to the village when no one answers in time.

A notice is a record of its own (`notice:<id>`): whom, which number, the text, its reply code
and link token, when it is due, how often it was sent, and whether it was acknowledged. Each
sending is an entry of the `notifications` stream (the one the escalations of cases use), which
the gateway loop reads and hands to the town's SMS gateway (emergency/gateway.py). Every step is
an entry of the incident's timeline.

Times come from the caller: a test moves its clock past the minutes a notice is given.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
import redis

from cases.escalation import Handover
from core.keys import Keys
from core.replies import text
from emergency import store

RESEND_TIMES = 1  # sent once more, together with the escalation to the village
MAX_DUE = 10_000  # notices handled per tick


def _text(incident: dict[str, Any], grid_name: str, code: str, link: str) -> str:
    where = f"您所在的{grid_name}" if grid_name else "您的辖区"
    return (
        f"【应急】{incident['title']}：{where}在影响范围内，请立即核实处置，"
        f"回复{code}确认收到{('，或打开 ' + link) if link else ''}。"
    )


def issue(
    r: redis.Redis,
    keys: Keys,
    incident: dict[str, Any],
    *,
    now: datetime,
    minutes: float,
    link_base: str = "",
) -> list[str]:
    """A notice to every person of the incident's staff (the affected grids' 一长五员), each
    due for its acknowledgement `minutes` from now; returns their ids."""
    grids = {g["code"]: g for g in incident["footprint"]["grids"]}
    due = now + timedelta(minutes=minutes)
    notices = []
    for n, person in enumerate(incident["footprint"]["staff"], start=1):
        token = secrets.token_urlsafe(16)
        code = f"{secrets.randbelow(10_000):04d}"
        grid = grids.get(person["grid"], {})
        link = f"{link_base}/ack/{token}" if link_base else ""
        notices.append({
            "id": f"{incident['id']}-N{n:03d}",
            "incident": incident["id"],
            "title": incident["title"],
            "grid": person["grid"],
            "grid_name": grid.get("name", ""),
            "village": grid.get("village", ""),
            "to": person["name"],
            "role_name": person["role_name"],
            "phone": person["phone"],
            "code": code,
            "token": token,
            "text": _text(incident, grid.get("name", ""), code, link),
            "sent_at": now.isoformat(),
            "due_at": due.isoformat(),
            "sends": 1,
            "state": "sent",
            "acked_at": None,
            "acked_via": None,
            "escalated_to": None,
        })  # fmt: skip
    if not notices:
        return []
    pipe = r.pipeline(transaction=True)
    for notice in notices:
        _save(pipe, keys, notice)
        pipe.hset(keys.notice_tokens, notice["token"], notice["id"])
        pipe.hset(keys.notice_tokens, _reply(notice["phone"], notice["code"]), notice["id"])
        pipe.rpush(keys.incident_notices(incident["id"]), notice["id"])
        _send(pipe, keys, notice, notice["to"], notice["phone"], notice["text"], now)
    pipe.execute()
    entry = store.entry(
        "notices_sent", now, "centre", count=len(notices),
        grids=sorted({n["grid"] for n in notices}), due_at=due.isoformat(),
    )  # fmt: skip
    store.log(r, keys, incident["id"], entry)
    return [n["id"] for n in notices]


def _save(pipe: Any, keys: Keys, notice: dict[str, Any]) -> None:
    pipe.set(keys.notice(notice["id"]), orjson.dumps(notice))
    if notice["state"] == "sent" and notice["sends"] <= RESEND_TIMES:
        due = int(datetime.fromisoformat(notice["due_at"]).timestamp() * 1000)
        pipe.zadd(keys.notices_due, {notice["id"]: due})
    else:
        pipe.zrem(keys.notices_due, notice["id"])


def _send(
    pipe: Any,
    keys: Keys,
    notice: dict[str, Any],
    to: str,
    phone: str,
    body: str,
    at: datetime,
    kind: str = "incident",
) -> None:
    """A `notifications` entry: `kind` incident (to the notice's person) or incident-village
    (to the village's leader, about those who did not answer)."""
    pipe.xadd(
        keys.notifications,
        {"kind": kind, "notice": notice["id"], "incident": notice["incident"],
         "village": notice["village"], "to": to, "phone": phone, "text": body,
         "at": at.isoformat()},
        maxlen=100_000, approximate=True,
    )  # fmt: skip


def get(r: redis.Redis, keys: Keys, notice_id: str) -> dict[str, Any] | None:
    raw = r.get(keys.notice(notice_id))
    return orjson.loads(raw) if raw else None


def of_incident(r: redis.Redis, keys: Keys, incident_id: str) -> list[dict[str, Any]]:
    ids = [text(i) for i in r.lrange(keys.incident_notices(incident_id), 0, -1)]
    raw = r.mget([keys.notice(i) for i in ids]) if ids else []
    return [orjson.loads(v) for v in raw if v]


def ack(
    r: redis.Redis, keys: Keys, notice_id: str, *, now: datetime, via: str
) -> dict[str, Any] | None:
    """Acknowledge a notice (`via`: `reply`, `link`, …); None: no such notice. A second
    acknowledgement changes nothing and logs nothing."""
    with r.pipeline(transaction=True) as pipe:
        pipe.watch(keys.notice(notice_id))  # type: ignore[no-untyped-call]
        raw = pipe.get(keys.notice(notice_id))
        if raw is None:
            return None
        notice: dict[str, Any] = orjson.loads(raw)
        if notice["acked_at"] is not None:
            return notice
        notice.update(acked_at=now.isoformat(), acked_via=via)
        pipe.multi()
        pipe.set(keys.notice(notice_id), orjson.dumps(notice))
        pipe.zrem(keys.notices_due, notice_id)
        pipe.execute()
    entry = store.entry(
        "notice_acked", now, notice["to"], notice=notice_id, grid=notice["grid"],
        role_name=notice["role_name"], via=via,
    )  # fmt: skip
    store.log(r, keys, notice["incident"], entry)
    return notice


def by_token(r: redis.Redis, keys: Keys, token: str) -> dict[str, Any] | None:
    found = r.hget(keys.notice_tokens, token) if not token.startswith("reply:") else None
    return get(r, keys, text(found)) if found else None


def ack_by_token(r: redis.Redis, keys: Keys, token: str, now: datetime) -> dict[str, Any] | None:
    found = r.hget(keys.notice_tokens, token) if not token.startswith("reply:") else None
    return ack(r, keys, text(found), now=now, via="link") if found else None


def ack_by_reply(
    r: redis.Redis, keys: Keys, phone: str, code: str, now: datetime
) -> dict[str, Any] | None:
    """A reply from `phone` with `code` (an SMS gateway's uplink): the notice to that number
    with that code; None when none matches."""
    found = r.hget(keys.notice_tokens, _reply(phone, code))
    return ack(r, keys, text(found), now=now, via="reply") if found else None


def _reply(phone: str, code: str) -> str:
    return f"reply:{phone.strip()}:{code.strip()}"


def tick(
    r: redis.Redis, keys: Keys, now: datetime, *, minutes: float, handover: Handover
) -> list[str]:
    """Every notice past its due time without an acknowledgement: sent once more, and its
    village's leader told (once per village and incident). Returns the ids handled."""
    until = int(now.timestamp() * 1000)
    due_ids = [text(i) for i in r.zrangebyscore(keys.notices_due, "-inf", until, 0, MAX_DUE)]
    handled = []
    for notice_id in due_ids:
        notice = get(r, keys, notice_id)
        if notice is None or notice["acked_at"] is not None:
            r.zrem(keys.notices_due, notice_id)
            continue
        handled.append(notice)
    if not handled:
        return []
    told: dict[tuple[str, str], list[dict[str, Any]]] = {}
    pipe = r.pipeline(transaction=True)
    for notice in handled:
        notice.update(
            sends=notice["sends"] + 1,
            due_at=(now + timedelta(minutes=minutes)).isoformat(),
            state="escalated",
        )
        leader = handover.leader("village", notice["village"], notice["grid"], now)
        if leader is not None:
            notice["escalated_to"] = {"name": leader.name, "role_name": leader.role_name}
            told.setdefault((notice["incident"], notice["village"]), []).append(notice)
        _save(pipe, keys, notice)
        _send(pipe, keys, notice, notice["to"], notice["phone"], notice["text"], now)
    for (_, village), notices in told.items():
        leader = handover.leader("village", village, notices[0]["grid"], now)
        if leader is not None:
            names = "、".join(f"{n['grid_name']}{n['role_name']}{n['to']}" for n in notices)
            body = f"【应急】{notices[0]['title']}：{names}未确认收到通知，请督促。"
            _send(pipe, keys, notices[0], leader.name, leader.phone, body, now, "incident-village")
    pipe.execute()
    for incident_id in {n["incident"] for n in handled}:
        mine = [n for n in handled if n["incident"] == incident_id]
        villages = sorted({n["village"] for n in mine})
        store.log(
            r, keys, incident_id,
            store.entry("notices_resent", now, "centre", count=len(mine),
                        notices=[n["id"] for n in mine]),
            store.entry("notices_escalated", now, "centre", villages=villages,
                        to=sorted({n["escalated_to"]["name"] for n in mine if n["escalated_to"]})),
        )  # fmt: skip
    return [n["id"] for n in handled]


def summary(notices: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many notices were sent, acknowledged, and escalated unanswered."""
    return {
        "sent": len(notices),
        "acked": sum(1 for n in notices if n["acked_at"]),
        "escalated": sum(1 for n in notices if n["state"] == "escalated" and not n["acked_at"]),
    }
