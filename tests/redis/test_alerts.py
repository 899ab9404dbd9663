"""CAP Update and Cancel applied by the engine to the alerts they reference."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis

from cases import store
from cases.engine import Engine
from core.keys import Keys
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from tests.support.fixtures import FIXTURES
from tests.support.pipeline import drain

pytestmark = pytest.mark.redis
GOOD = FIXTURES / "cap" / "good"
DURING = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)  # 13:00 Beijing: every message unexpired


def send(r: redis.Redis, keys: Keys, engine: Engine, *names: str) -> None:
    for name in names:
        body = (GOOD / f"{name}.xml").read_bytes()
        RedisSink(keys, 10_000).write(r, FEEDS["cap"].parse(body, datetime.now(UTC)))
    drain(engine)


def live(r: redis.Redis, keys: Keys) -> set[str]:
    return {a["attrs"]["identifier"] for a in store.live_alerts(r, keys, DURING)}


ORIGINAL = "32028141600000_20260715083000_0"
UPDATE = "32028141600000_20260715113000_0"


def test_an_update_supersedes_and_a_cancel_withdraws(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    send(r, keys, engine, "jiangyin_rainstorm")
    assert live(r, keys) == {ORIGINAL}
    send(r, keys, engine, "jiangyin_rainstorm_update")
    assert live(r, keys) == {UPDATE}
    retired = [a for a in map(orjson.loads, r.hvals(keys.latest("alert"))) if a["retired"]]
    assert {a["retired"]["as"] for a in retired} == {"superseded"}
    send(r, keys, engine, "jiangyin_rainstorm_cancel")
    assert live(r, keys) == set()
    assert store.all_case_ids(r, keys) == [], "alerts are not cases"


def test_a_cancel_before_its_alert_keeps_the_late_alert_withdrawn(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    send(
        r,
        keys,
        engine,
        "jiangyin_rainstorm_cancel",
        "jiangyin_rainstorm",
        "jiangyin_rainstorm_update",
    )
    assert live(r, keys) == set()
    send(r, keys, engine, "jiangyin_rainstorm")  # delivered again
    assert live(r, keys) == set()


def test_a_reference_to_another_message_retires_nothing(
    r: redis.Redis, keys: Keys, engine: Engine, tmp_path: Path
) -> None:
    send(r, keys, engine, "jiangyin_rainstorm")
    update = (GOOD / "jiangyin_rainstorm_update.xml").read_text("utf-8")
    wrong_sent = update.replace(
        f"{ORIGINAL},2026-07-15T08:30:00+08:00", f"{ORIGINAL},2026-07-14T08:30:00+08:00"
    )
    assert wrong_sent != update
    RedisSink(keys, 10_000).write(r, FEEDS["cap"].parse(wrong_sent.encode(), datetime.now(UTC)))
    drain(engine)
    assert live(r, keys) == {ORIGINAL, UPDATE}


def test_an_expired_alert_is_not_live(r: redis.Redis, keys: Keys, engine: Engine) -> None:
    send(r, keys, engine, "jiangyin_rainstorm")
    assert {
        a["attrs"]["identifier"]
        for a in store.live_alerts(r, keys, datetime(2026, 7, 16, tzinfo=UTC))
    } == set()
