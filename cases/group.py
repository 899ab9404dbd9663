"""The engine's consumer group on `events` and `commands`: joining, leaving, who is live,
and the rebuild lock an engine waits on."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

import redis

from cases.journal import begin
from towncc.keys import ENGINE_GROUP, Keys, glob_escape
from towncc.replies import text

log = logging.getLogger(__name__)
WAIT_S = 1.0
# A running engine refreshes its heartbeat every BEAT_S; one that crashed counts as live
# until its heartbeat expires (an idle consumer's XINFO idle time grows while it runs).
BEAT_S = 1.0
HEARTBEAT_MS = 10_000


def streams(keys: Keys) -> tuple[str, str]:
    return keys.events, keys.commands


def ensure(r: redis.Redis, keys: Keys) -> None:
    """The group on both streams (from their first entry), and the journal's first entry."""
    for stream in streams(keys):
        try:
            r.xgroup_create(stream, ENGINE_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
    begin(r, keys)


def beat(r: redis.Redis, keys: Keys, consumer: str) -> None:
    """Say where this engine runs (pid@host), for HEARTBEAT_MS."""
    r.set(keys.heartbeat(consumer), f"{os.getpid()}@{socket.gethostname()}", px=HEARTBEAT_MS)


def leave(r: redis.Redis, keys: Keys, consumer: str) -> None:
    """Stopped: no heartbeat any more, and with nothing pending, out of the group.

    A consumer with pending entries stays, so that its restart (or a peer) applies them.
    """
    try:
        r.delete(keys.heartbeat(consumer))
        for stream in streams(keys):
            if not r.xpending_range(stream, ENGINE_GROUP, "-", "+", 1, consumer):
                r.xgroup_delconsumer(stream, ENGINE_GROUP, consumer)
    except redis.RedisError as exc:
        log.warning("engine %s: could not leave the group (%s)", consumer, exc)


def live_engines(r: redis.Redis, keys: Keys, idle_ms: int) -> list[str]:
    """The engines that look alive: a heartbeat not yet expired, or a consumer that was
    handed entries within ``idle_ms`` (an engine of a version without heartbeats)."""
    beats = keys.heartbeat("")
    names = [text(n) for n in r.scan_iter(match=glob_escape(beats) + "*")]
    found = {
        f"{name[len(beats) :]} (process {text(where)}, heartbeat)"
        for name, where in zip(names, r.mget(names) if names else [], strict=True)
        if where
    }
    for stream in streams(keys):
        try:
            consumers: Any = r.xinfo_consumers(stream, ENGINE_GROUP)
        except redis.ResponseError:  # no such stream or group: nobody reads it
            continue
        for consumer in consumers:
            idle = int(consumer["idle"])
            if idle < idle_ms:
                found.add(f"{text(consumer['name'])} (read {idle / 1000:.1f} s ago)")
    return sorted(found)


def wait_for_rebuild(r: redis.Redis, keys: Keys, stop: threading.Event, consumer: str) -> None:
    """Start no work while `towncc engine --rebuild` holds its lock."""
    if r.exists(keys.rebuild_lock):
        log.warning("engine %s: a rebuild is running; waiting for it to finish", consumer)
    while not stop.is_set() and r.exists(keys.rebuild_lock):
        stop.wait(WAIT_S)
