"""The module feeds' history, through the real path (adapter → sink → stream → engine): the
engine keeps each source's newest record of every Beijing day, and the tablet's analysis
reads a day's figures from the sources as they stood at its end; the economy's months with
the change on the year before as the statistics station sent it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis

from cases import group
from cases.engine import Engine
from cases.rebuild import rebuild
from core.keys import Keys
from core.times import BEIJING
from dashboard.analysis import read_economy, read_histories
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from tests.support.pipeline import drain

pytestmark = pytest.mark.redis
A, B = "91320281739415261W", "91320281MA1N2B3C4D"


def send(r: redis.Redis, keys: Keys, feed: str, records: list[dict[str, Any]]) -> None:
    at = datetime.now(UTC)
    outcome = RedisSink(keys, 1_000_000).write(r, FEEDS[feed].parse(orjson.dumps(records), at))
    assert outcome.accepted == len(records) and not outcome.deadlettered, outcome.errors


def beijing_text(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def snapshot(uscc: str, at: datetime, headcount: int) -> dict[str, Any]:
    return {"sjlx": "用工快照", "tyshxydm": uscc, "qymc": f"企业{uscc[-4:]}",
            "jcrq": beijing_text(at), "zgrs": headcount, "qgrs": 10}  # fmt: skip


def spot(at: datetime, arrivals: int) -> dict[str, Any]:
    return {"jqbm": "JQ320281113001", "jqmc": "徐霞客故居景区", "tjsj": beijing_text(at),
            "zyrs": 100, "zdczl": 2000, "ljrys": arrivals}  # fmt: skip


def test_each_day_keeps_its_newest_records_and_the_analysis_carries_sources_forward(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    now = datetime.now(UTC)
    noon = datetime.combine(now.astimezone(BEIJING).date(), datetime.min.time(), BEIJING)
    noon += timedelta(hours=12)
    day = [noon - timedelta(days=k) for k in (3, 2, 1)]  # three days before today, at noon
    send(r, keys, "labour", [
        snapshot(A, day[0], 400), snapshot(B, day[0], 100),
        snapshot(A, day[1] + timedelta(hours=3), 420),  # the day's newest
        snapshot(A, day[1], 999),  # an older record of that day, arriving later
        snapshot(B, day[2], 90),
    ])  # fmt: skip
    send(r, keys, "tourism", [spot(day[0], 1500), spot(day[0] + timedelta(hours=4), 2600),
                              spot(day[2], 800)])  # fmt: skip
    drain(engine)

    def kept(feed: str, k: int) -> dict[str, Any]:
        stored = r.hgetall(keys.metric_day(feed, day[k].astimezone(BEIJING).date().isoformat()))
        return {source: orjson.loads(v)["attrs"] for source, v in stored.items()}

    assert {s: a["headcount"] for s, a in kept("labour", 0).items()} == {A: 400, B: 100}
    assert {s: a["headcount"] for s, a in kept("labour", 1).items()} == {A: 420}
    assert {s: a["arrivals_today"] for s, a in kept("tourism", 0).items()} == {
        "JQ320281113001": 2600
    }
    assert kept("tourism", 1) == {}
    # The newest of all stays the one source the wall reads.
    latest = orjson.loads(r.hget(keys.latest("metric"), f"labour:{A}") or "{}")
    assert latest["attrs"]["headcount"] == 420

    shown = {h.module.id: dict(h.days) for h in read_histories(r, keys, now, shown=5)}
    labour = {d: {f.label.zh: f.value for f in figures} for d, figures in shown["labour"].items()}
    dates = [d.astimezone(BEIJING).date() for d in day]
    # Each day: every enterprise as it stood at the day's end (B carried on day 2).
    assert labour[dates[0]]["在岗人数"] == "500"
    assert labour[dates[1]]["在岗人数"] == "520"
    assert labour[dates[2]]["在岗人数"] == "510"
    tourism = shown["tourism"]
    assert [f.value for f in tourism[dates[0]]] == ["2,600"]
    assert tourism[dates[1]] == ()  # no tally that day: no figure, never yesterday's
    assert [f.value for f in tourism[dates[2]]] == ["800"]
    first = min(shown["labour"])
    assert first == now.astimezone(BEIJING).date() - timedelta(days=4)

    # A rebuild recomputes the projections from the streams and leaves the days alone (they
    # hold what a trimmed stream no longer would).
    older = keys.metric_day("labour", dates[0].isoformat())
    r.hset(older, "source-no-longer-in-the-stream", orjson.dumps({"attrs": {"headcount": 7}}))
    held = {k: r.hgetall(k) for k in r.scan_iter(match=f"{keys.prefix}metric-day:*")}
    group.leave(r, keys, engine.consumer)  # stopped, as a rebuild wants
    rebuild(engine, out=lambda line: None, idle_ms=0)
    assert {k: r.hgetall(k) for k in r.scan_iter(match=f"{keys.prefix}metric-day:*")} == held
    assert not list(r.scan_iter(match=f"{keys.prefix}rebuild:*"))


def test_the_economy_reads_as_months_with_their_change_on_the_year_before(
    r: redis.Redis, keys: Keys, engine: Engine
) -> None:
    records = [
        {"tjyf": month, "zbdm": "GSGYZCZ", "zbmc": "规上工业总产值", "kj": scope, "sz": value,
         "jldw": "亿元", "tbzz": yoy}
        for month, scope, value, yoy in (
            ("2026-09", "当月", 58.1, 6.2), ("2026-09", "累计", 520.4, 5.9),
            ("2026-10", "当月", 61.7, 7.4), ("2026-10", "累计", 582.1, 6.1),
        )
    ]  # fmt: skip
    send(r, keys, "economy", records)
    drain(engine)
    (indicator,) = read_economy(r, keys)
    assert (indicator.code, indicator.name, indicator.unit) == ("GSGYZCZ", "规上工业总产值", "亿元")
    assert [(m.month, m.value, m.yoy, m.ytd, m.ytd_yoy) for m in indicator.months] == [
        ("2026-10", 61.7, 7.4, 582.1, 6.1),
        ("2026-09", 58.1, 6.2, 520.4, 5.9),
    ]
