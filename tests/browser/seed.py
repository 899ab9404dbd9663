"""Cases written into Redis the way the engine writes them (projections + `case-events`)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import redis
from shapely.geometry import Point

from cases.categories import category
from cases.engine import Engine
from cases.model import Case
from cases.places import Geography
from cases.projections import LATE_INDEXES, index
from cases.tally import keep_counts
from core.keys import Keys
from core.times import BEIJING
from ingest.feeds import FEEDS
from ingest.sim.fleet import Options, build
from ingest.sink import RedisSink
from layers.town import default_town

GRID = ("XXK-01-01", "璜塘社区第一网格", "XXK-01", "璜塘社区")
LON, LAT = 120.3985, 31.7805  # inside XXK-01-01
CATEGORIES = ("parking", "street_vending", "exposed_garbage", "manhole_cover", "road_collapse",
              "construction_noise", "streetlight", "waterlogging", "greenery", "other")  # fmt: skip
TITLES = ("机动车乱停放", "店外占道经营", "垃圾未清运", "井盖破损", "路面塌陷", "夜间施工扰民")


def make_case(case_id: str, **fields: Any) -> dict[str, Any]:
    """An open parking case reported now, with a 15-minute first-response clock."""
    now = datetime.now(UTC)
    grid, grid_name, village, village_name = GRID
    case: dict[str, Any] = {
        "id": case_id, "feed": "urban", "source_id": case_id.rsplit(":", 1)[-1],
        "category": "parking", "group": "order", "title": "机动车乱停放",
        "description": "璜塘路口有车辆占用消防通道", "address": "璜塘路88号",
        "status": "open", "stage": "reported", "source_status": "待受理",
        "grid": grid, "grid_name": grid_name, "village": village, "village_name": village_name,
        "lon": LON, "lat": LAT, "outside_town": False,
        "reported_at": now.isoformat(), "received_at": now.isoformat(),
        "response_due": (now + timedelta(minutes=15)).isoformat(), "responded_at": None,
        "severity": 1, "level": "grid", "updated_at": now.isoformat(), "version": 1,
        "flags": [], "event_ids": [], "last_entry": "0-0",
    }  # fmt: skip
    case |= fields
    return {**case, "group": fields.get("group") or category(case["category"]).group}


def write_case(r: redis.Redis, keys: Keys, case: dict[str, Any], change: str = "created") -> None:
    """SET the case, ZADD the sorted sets, HINCRBY the count, move the engine's counters and
    late indexes (with its own code, cases/tally.py and cases/projections.py), RPUSH history,
    XADD the entry."""
    score = int(datetime.fromisoformat(case["reported_at"]).timestamp() * 1000)
    held: Any = r.get(keys.case(case["id"]))
    before = Case.from_json(held) if held else None
    pipe = r.pipeline(transaction=True)
    after = Case.from_json(orjson.dumps(case))
    keep_counts(pipe, keys, {case["id"]: before}, {case["id"]: after})
    index(pipe, keys, [after], {}, LATE_INDEXES)
    pipe.set(keys.case(case["id"]), orjson.dumps(case))
    pipe.zadd(keys.all_cases, {case["id"]: score})
    if case["status"] == "open":
        pipe.zadd(keys.open_cases, {case["id"]: score})
        if change == "created" and case.get("grid"):
            pipe.hincrby(keys.grid_open, case["grid"], 1)
    else:
        pipe.zrem(keys.open_cases, case["id"])
        if case.get("grid"):
            pipe.hincrby(keys.grid_open, case["grid"], -1)
    entry = {"case_id": case["id"], "type": change, "at": datetime.now(UTC).isoformat()}
    pipe.rpush(keys.history(case["id"]), orjson.dumps({**entry, "status": case["status"]}))
    pipe.xadd(keys.case_events, entry)
    pipe.execute()


def _point_in(geometry: Any, rng: random.Random) -> Point:
    west, south, east, north = geometry.bounds
    for _ in range(1000):
        point = Point(rng.uniform(west, east), rng.uniform(south, north))
        if geometry.contains(point):
            return point
    return geometry.representative_point()


def spread_cases(town: Any, count: int, *, seed: int = 1) -> list[dict[str, Any]]:
    """`count` open cases of mixed categories and ages at points inside the town's grids."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    cases = []
    for n in range(count):
        code = rng.choice(list(town.l2.index))
        grid = town.l2.loc[code]
        point = _point_in(grid.geometry, rng)
        reported = now - timedelta(minutes=rng.randint(1, 600))
        due = (reported + timedelta(minutes=15)).isoformat() if rng.random() < 0.4 else None
        cases.append(
            make_case(
                f"urban:SPREAD-{n:04d}",
                category=rng.choice(CATEGORIES), title=rng.choice(TITLES),
                description=f"{grid['village_name']}巡查发现，编号{n:04d}",
                grid=code, grid_name=grid["name"], village=grid["village"],
                village_name=grid["village_name"], lon=point.x, lat=point.y,
                reported_at=reported.isoformat(), response_due=due,
            )
        )  # fmt: skip
    return cases


def module_records(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """One or two native records per module feed (docs/feeds/modules.md), dated `now`."""
    at = now.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    month = (now.astimezone(BEIJING).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    uscc = "91320281739415261W"
    return {
        "party": [
            {"sjlx": "党组织", "zzbm": "0320281113005002", "zzmc": "璜塘村第二党支部",
             "zzlx": "党支部", "dyrs": 47, "gxsj": at},
            {"sjlx": "党建活动", "hdbh": "HD-SEED-1", "zzbm": "0320281113005002",
             "hdlx": "主题党日", "hdsj": at, "cjrs": 41, "ydrs": 47},
        ],
        "service_hall": [
            {"bjbh": "XXK-BJ-SEED-1", "sxmc": "就业失业登记", "ck": "综合受理1号窗口",
             "blfs": "即办件", "slsj": at, "bjsj": at, "zt": "已办结"},
            {"bjbh": "XXK-BJ-SEED-2", "sxmc": "城乡居民基本养老保险参保登记",
             "ck": "社保医保3号窗口", "blfs": "承诺件", "cnsx": 5, "slsj": at, "zt": "已受理"},
        ],
        "economy": [
            {"tjyf": month, "zbdm": "GSGYZCZ", "zbmc": "规上工业总产值", "kj": "累计",
             "sz": 586.32, "jldw": "亿元", "tbzz": 6.8},
        ],
        "enterprise": [
            {"tyshxydm": uscc, "qymc": "江阴市璜塘纺织印染有限公司", "gsbz": "是",
             "djzt": "存续", "cyrs": 486, "gxsj": at},
        ],
        "tourism": [
            {"jqbm": "JQ320281113001", "jqmc": "徐霞客故居景区", "tjsj": at, "zyrs": 1136,
             "zdczl": 2000, "ljrys": 1702},
        ],
        "labour": [
            {"sjlx": "用工快照", "tyshxydm": uscc, "qymc": "江阴市璜塘纺织印染有限公司",
             "jcrq": at, "zgrs": 486, "qgrs": 35},
            {"sjlx": "欠薪预警", "yjbh": "QXYJ-SEED-1", "qymc": "江阴市璜塘建筑安装工程有限公司",
             "qxje": 486500, "sjrs": 23, "yjsj": at, "zbx": LON, "zby": LAT, "zbxt": "WGS84",
             "zt": "待处置"},
        ],
    }  # fmt: skip


def seed_modules(r: redis.Redis, keys: Keys, now: datetime | None = None) -> int:
    """The module feeds' records through the real path: adapter → sink → stream → engine.

    Returns the number of stream entries the engine applied (every record, none dead-lettered).
    """
    now = now or datetime.now(UTC)
    sink = RedisSink(keys, 1_000_000)
    for feed, records in module_records(now).items():
        outcome = sink.write(r, FEEDS[feed].parse(orjson.dumps(records), now))
        assert outcome.accepted and not outcome.deadlettered, (feed, outcome.errors)
    engine = Engine(r, keys, Geography(default_town()), batch=200)
    engine.ensure_group()
    applied = 0
    while handled := engine.step(block_ms=None):
        applied += handled
    return applied


# Every feed a module panel reads: the town's registries and the last hours of the rest.
TOWN_FEEDS = (
    "party", "enterprise", "service_hall", "economy", "tourism", "labour", "safety",
    "environment", "water", "open311", "governance", "inspection", "urban",
)  # fmt: skip
# The same but the feeds whose many cases follow the hour of the day (数字城管, the grid
# staff's day so far, the inspectors' office hours): a screen test brings its own cases, and
# its map must look the same at any hour (a busy morning shades the centre's grids).
PANEL_FEEDS = tuple(f for f in TOWN_FEEDS if f not in ("urban", "governance", "safety"))


def seed_town(
    r: redis.Redis,
    keys: Keys,
    now: datetime | None = None,
    hours: float = 2,
    feeds: tuple[str, ...] = PANEL_FEEDS,
) -> int:
    """The simulated town through the real path (simulator → adapter → sink → engine): the
    registries whole and the last ``hours`` of the other ``feeds``, so that every panel has
    its figures at the seed's sizes (21 alliances, 3,000+ enterprises …).

    Returns the number of stream entries the engine applied.
    """
    now = now or datetime.now(UTC)
    sink = RedisSink(keys, 10_000_000)
    options = Options(seed=3, backfill=timedelta(hours=hours))
    for sim in build(default_town(), options, feeds):
        for body in sim.backfill(now):
            sink.write(r, FEEDS[sim.feed].parse(body, now))
    engine = Engine(r, keys, Geography(default_town()), batch=500)
    engine.ensure_group()
    applied = 0
    while handled := engine.step(block_ms=None):
        applied += handled
    return applied
