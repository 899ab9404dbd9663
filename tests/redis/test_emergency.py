"""The emergency side through the real path (adapter → sink → stream → engine → watcher): a CAP
alert of severity Extreme over parts of two villages declares an incident whose figures are
those geopandas finds on its own; one 500 km away declares nothing; a leader's incident sends
a notice to every affected grid's staff, some are acknowledged, and the rest are sent again
and escalated to their village when the clock passes their minutes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import geopandas as gpd
import orjson
import pytest
import redis
import shapely
from fastapi.testclient import TestClient

from cases.engine import Engine
from cases.escalation import Handover
from cases.routing import table
from core.keys import Keys
from core.replies import text
from core.settings import Settings
from core.times import BEIJING
from dashboard.app import create_app
from emergency import notices, store
from emergency.footprint import circle
from emergency.gateway import Simulated
from emergency.incidents import Context, context_for, detail, open_incident, prepare
from emergency.rules import rules
from emergency.watcher import Watcher
from ingest.feeds import FEEDS
from ingest.sink import RedisSink
from layers.sites import sites
from layers.town import WGS84, Town, default_town
from tests.support.access import LOCAL, bearer, token
from tests.support.areas import cap_xml, found_footprint, independent_footprint, two_villages_area
from tests.support.clock import Clock
from tests.support.pipeline import drain, push
from tests.support.urban import DEFAULT_POINT, around, offset, urban_record

pytestmark = pytest.mark.redis
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def context() -> Context:
    from core.settings import LAYERS_DATA

    return context_for(
        default_town(), LAYERS_DATA / "population.csv", LAYERS_DATA / "emergency.geojson"
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def raw(settings: Settings) -> Iterator[redis.Redis]:
    """A client that reads bytes, as `towncc emergency` connects."""
    client = redis.Redis.from_url(settings.redis_url or "")
    yield client
    client.close()


def watcher_for(r: redis.Redis, keys: Keys, context: Context, clock: Clock, **kw: Any) -> Watcher:
    handover = Handover(table().escalation, context.town.roster)
    watcher = Watcher(r, keys, context, handover, clock=clock, **kw)
    watcher.ensure_groups()
    return watcher


def send(r: redis.Redis, keys: Keys, feed: str, body: bytes) -> None:
    outcome = RedisSink(keys, 1_000_000).write(r, FEEDS[feed].parse(body, NOW))
    assert outcome.accepted and not outcome.deadlettered, outcome.errors


def firms(area: shapely.geometry.base.BaseGeometry, town: Town) -> list[dict[str, Any]]:
    """Registry records: one inside the area, one in the town outside it."""
    inside = area.representative_point()
    outside = town.l1.geometry.drop(list(town.l2.loc[
        [g for g in town.l2.index if town.l2.geometry[g].intersects(area)], "village"
    ])).iloc[0].representative_point()  # fmt: skip
    return [
        {"tyshxydm": f"9132028173941526{n}X", "qymc": name, "djzt": "存续", "zbx": p.x,
         "zby": p.y, "zbxt": "WGS84", "gxsj": "2026-11-27 17:32:05", "cyrs": 40}
        for n, (name, p) in enumerate((("里面化工有限公司", inside), ("外面纺织有限公司", outside)))
    ]  # fmt: skip


def test_an_extreme_alert_over_two_villages_declares_what_geopandas_finds(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    town = context.town
    area = two_villages_area(town)
    watcher = watcher_for(raw, keys, context, clock)
    send(r, keys, "enterprise", orjson.dumps(firms(area, town)))
    drain(engine)
    body = cap_xml(area, severity="Extreme", sent=NOW - timedelta(minutes=5), identifier="X-1")
    send(r, keys, "cap", body)
    drain(engine)
    while watcher.step(block_ms=None):
        pass
    [incident_id] = store.active_ids(r, keys)
    incident = store.get(r, keys, incident_id)
    assert incident is not None
    assert incident["source"]["rule"] == "cap-severe" and incident["shape"] == "alert"
    assert incident["title"] == "江阴市气象台发布暴雨红色预警"
    declared_area = shapely.geometry.shape(incident["area"])
    touched = incident["footprint"]
    assert found_footprint(touched) == independent_footprint(declared_area, town)
    assert len(touched["villages"]) == 2
    utm = town.l2.estimate_utm_crs()
    points = gpd.GeoSeries(
        gpd.points_from_xy(
            [f["zbx"] for f in firms(area, town)], [f["zby"] for f in firms(area, town)]
        ),
        crs=WGS84,
    ).to_crs(utm)
    zone = gpd.GeoSeries([declared_area], crs=WGS84).to_crs(utm).iloc[0]
    expected = {
        f["qymc"] for f, p in zip(firms(area, town), points, strict=True) if zone.intersects(p)
    }
    assert {e["name"] for e in touched["enterprises"]} == expected == {"里面化工有限公司"}

    send(r, keys, "cap", body)  # the same alert again: no second incident
    drain(engine)
    while watcher.step(block_ms=None):
        pass
    assert store.active_ids(r, keys) == [incident_id]
    sent = notices.of_incident(r, keys, incident_id)
    assert len(sent) == len(touched["staff"]) > 0


def test_an_alert_500_km_away_declares_nothing(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    watcher = watcher_for(raw, keys, context, clock)
    far = shapely.affinity.translate(two_villages_area(context.town), xoff=5.0)  # ~470 km east
    send(r, keys, "cap", cap_xml(far, severity="Extreme", sent=NOW, identifier="FAR-1"))
    drain(engine)
    while watcher.step(block_ms=None):
        pass
    assert r.zcard(keys.incidents) == 0


def test_a_moderate_alert_and_an_expired_one_declare_nothing(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    watcher = watcher_for(raw, keys, context, clock)
    area = two_villages_area(context.town)
    send(r, keys, "cap", cap_xml(area, severity="Moderate", sent=NOW, identifier="M-1"))
    old = NOW - timedelta(hours=8)
    send(r, keys, "cap", cap_xml(area, severity="Extreme", sent=old, identifier="OLD-1", hours=1))
    drain(engine)
    while watcher.step(block_ms=None):
        pass
    assert r.zcard(keys.incidents) == 0


@pytest.fixture
def web(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    guarded = settings.model_copy(update={"access_control": True, "notice_ack_minutes": 10.0,
                                          "public_url": "https://towncc.example.cn"})  # fmt: skip
    with TestClient(create_app(guarded, clock=clock).server, base_url=LOCAL) as client:
        yield client


def test_a_leaders_incident_notifies_each_grids_staff_and_escalates_the_silent(
    r: redis.Redis,
    raw: redis.Redis,
    keys: Keys,
    settings: Settings,
    web: TestClient,
    context: Context,
    clock: Clock,
) -> None:
    gateway = Simulated(random.Random(7), answer_share=0.5, delay_s=(10, 120))
    watcher = watcher_for(raw, keys, context, clock, gateway=gateway, minutes=10.0)
    leader = bearer(token(settings.redis_url or "", keys, "leader"))
    lon, lat = context.town.centre
    answer = web.post("/api/incidents", headers=leader, json={
        "title": "燃气泄漏", "shape": "point", "point": [lon, lat], "radius_m": 1000})  # fmt: skip
    assert answer.status_code == 201, answer.text
    incident = answer.json()
    staff = incident["footprint"]["staff"]
    grids = {g["code"] for g in incident["footprint"]["grids"]}
    assert {p["phone"] for p in staff} == {p.phone for g in grids for p in context.town.roster[g]}
    sent = notices.of_incident(r, keys, incident["id"])
    assert sorted(n["phone"] for n in sent) == sorted(p["phone"] for p in staff)
    assert all("https://towncc.example.cn/ack/" in n["text"] for n in sent)

    watcher.step(block_ms=None)  # the gateway sends them
    assert {m.phone for m in gateway.sent} == {p["phone"] for p in staff}
    clock.now = NOW + timedelta(minutes=3)  # every answer that comes has come
    watcher.step(block_ms=None)
    counts = notices.summary(notices.of_incident(r, keys, incident["id"]))
    assert 0 < counts["acked"] < counts["sent"], counts
    silent = {n["id"] for n in notices.of_incident(r, keys, incident["id"]) if not n["acked_at"]}

    clock.now = NOW + timedelta(minutes=9, seconds=59)
    watcher.step(block_ms=None)
    assert all(n["sends"] == 1 for n in notices.of_incident(r, keys, incident["id"]))
    clock.now = NOW + timedelta(minutes=10, seconds=1)
    watcher.step(block_ms=None)
    after = {n["id"]: n for n in notices.of_incident(r, keys, incident["id"])}
    assert {i for i, n in after.items() if n["sends"] == 2} == silent
    assert all(after[i]["state"] == "escalated" and after[i]["escalated_to"] for i in silent)
    villages = {after[i]["village"] for i in silent}
    told = [{text(k): text(v) for k, v in f.items()} for _, f in r.xrange(keys.notifications)]
    to_villages = [t for t in told if t["kind"] == "incident-village"]
    assert {t["village"] for t in to_villages} == villages
    assert all("未确认收到通知" in t["text"] for t in to_villages)
    kinds = [e["kind"] for e in store.timeline(r, keys, incident["id"])[1]]
    assert kinds[:2] == ["declared", "notices_sent"]
    assert kinds.count("notice_acked") == counts["acked"]
    assert kinds[-2:] == ["notices_resent", "notices_escalated"]
    clock.now += timedelta(minutes=30)
    watcher.step(block_ms=None)
    final = {n["id"]: n["sends"] for n in notices.of_incident(r, keys, incident["id"])}
    assert final == {i: 2 if i in silent else 1 for i in after}, "sent again once, no more"


def test_a_notice_is_acknowledged_by_its_link_or_a_reply_once(
    r: redis.Redis, keys: Keys, settings: Settings, web: TestClient, context: Context
) -> None:
    leader = bearer(token(settings.redis_url or "", keys, "leader"))
    lon, lat = context.town.centre
    body = {"title": "测试", "shape": "point", "point": [lon, lat], "radius_m": 500}
    incident = web.post("/api/incidents", headers=leader, json=body).json()
    first, second = notices.of_incident(r, keys, incident["id"])[:2]
    page = web.get(f"/ack/{first['token']}")
    assert page.status_code == 200 and "确认收到" in page.text and "<form" in page.text
    assert notices.get(r, keys, first["id"])["acked_at"] is None, "opening it acknowledges nothing"
    done = web.post(f"/ack/{first['token']}")
    assert done.status_code == 200 and "已确认收到" in done.text
    assert web.post(f"/ack/{first['token']}").status_code == 200
    assert web.get("/ack/not-a-token").status_code == 404
    sms = bearer(token(settings.redis_url or "", keys, "feed", feed="sms"))
    wrong = web.post(
        "/api/notices/reply", headers=sms, json={"phone": second["phone"], "text": "0000x"}
    )
    assert wrong.status_code == 404 or second["code"] == "0000"
    reply = web.post("/api/notices/reply", headers=sms,
                     json={"phone": second["phone"], "text": f"收到 {second['code']}"})  # fmt: skip
    assert reply.status_code == 200 and reply.json()["notice"] == second["id"]
    acked = [e for e in store.timeline(r, keys, incident["id"])[1] if e["kind"] == "notice_acked"]
    assert [(e["notice"], e["via"]) for e in acked] == [
        (first["id"], "link"),
        (second["id"], "reply"),
    ]
    shown = web.get(f"/api/incidents/{incident['id']}", headers=leader).json()
    assert all("token" not in n and "code" not in n for n in shown["notices"])
    assert shown["notice_counts"]["acked"] == 2


def declared(raw: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    return [i for i in (store.get(raw, keys, x) for x in store.active_ids(raw, keys)) if i]


def run(watcher: Watcher, engine: Engine) -> None:
    drain(engine)
    while watcher.step(block_ms=None):
        pass


def test_a_river_at_its_guaranteed_level_declares_one_incident_round_its_gauge(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    watcher = watcher_for(raw, keys, context, clock)
    gate = {"stcd": "63201234", "stnm": "璜塘河闸", "wrz": 3.80, "grz": 4.30}

    def levels(*pairs: tuple[str, float]) -> bytes:
        day = NOW.astimezone(BEIJING).strftime("%Y-%m-%d")
        return orjson.dumps([{**gate, "tm": f"{day} {hhmm}", "z": z} for hhmm, z in pairs])

    send(r, keys, "water", levels(("00:00", 3.70), ("00:05", 3.85)))
    run(watcher, engine)
    assert declared(r, keys) == [], "over the warning level only"
    send(r, keys, "water", levels(("00:10", 4.35)))
    run(watcher, engine)
    send(r, keys, "water", levels(("00:15", 4.40)))  # still over: the same occasion
    run(watcher, engine)
    [incident] = declared(r, keys)
    assert incident["source"]["rule"] == "river-over-guaranteed"
    assert incident["title"] == "璜塘河闸 超保证水位" and incident["radius_m"] == 1000
    gauge = sites().stations["water:63201234"].lon_lat
    assert incident["point"] == pytest.approx(list(gauge))


def test_a_major_hazard_declares_when_its_rule_is_on_and_an_ordinary_one_does_not(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    assert "major-hazard" not in {rule.id for rule in rules()}, "shipped off"
    table = tuple(rule.model_copy(update={"enabled": True}) for rule in rules(disabled=True))
    watcher = watcher_for(raw, keys, context, clock, table=table)
    lon, lat = context.town.centre
    at = NOW.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    hazard = {"yhbh": "YH-1", "qymc": "江阴某化工有限公司", "yhdj": "一般隐患",
              "yhms": "消防通道堵塞", "pcsj": at, "zgzt": "未整改",
              "lon": lon, "lat": lat}  # fmt: skip
    send(r, keys, "safety", orjson.dumps([hazard]))
    run(watcher, engine)
    assert declared(r, keys) == []
    major = {**hazard, "yhbh": "YH-2", "yhdj": "重大隐患", "yhms": "储罐区可燃气体报警器失效"}
    send(r, keys, "safety", orjson.dumps([major]))
    run(watcher, engine)
    [incident] = declared(r, keys)
    assert incident["title"] == "重大隐患：江阴某化工有限公司"
    assert incident["footprint"]["enterprises"][0]["hazard"] == "major"


def test_five_waterlogging_reports_in_one_grid_within_30_minutes_declare_over_the_grid(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    watcher = watcher_for(raw, keys, context, clock)
    lon, lat = DEFAULT_POINT
    grid = context.town.l2.index[context.town.l2.contains(shapely.Point(lon, lat))][0]

    def report(n: int, minutes: int) -> dict[str, Any]:
        at = (NOW - timedelta(minutes=minutes)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return urban_record(n, *around(lon, lat, n), sbsj=at, xlbm="2101", xlmc="道路积水")

    push(r, keys, [report(1, 80), report(2, 25), report(3, 20), report(4, 15), report(5, 10)])
    run(watcher, engine)
    assert declared(r, keys) == [], "four within 30 minutes (the first is older)"
    push(r, keys, [report(7, 5)])
    run(watcher, engine)
    [incident] = declared(r, keys)
    assert incident["source"]["rule"] == "waterlogging-cluster" and incident["shape"] == "polygon"
    assert [g["code"] for g in incident["footprint"]["grids"] if g["share"] > 0.99] == [grid]
    push(r, keys, [report(8, 1)])
    run(watcher, engine)
    assert len(declared(r, keys)) == 1, "the grid's cluster has its incident"


def test_a_case_opened_inside_joins_the_incident_and_leaves_it_when_closed(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    lon, lat = DEFAULT_POINT
    at = NOW.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    push(r, keys, [urban_record(1, lon, lat, sbsj=at)])  # inside before the declaration
    drain(engine)
    watcher = watcher_for(raw, keys, context, clock)
    area = circle(context.town, lon, lat, 500)
    incident = prepare(r, keys, context, title="管线爆裂", shape="polygon", area=area,
                       actor="t", now=NOW)  # fmt: skip
    open_incident(r, keys, incident, now=NOW, minutes=10)
    assert [c["id"] for c in detail(r, keys, incident["id"], NOW)["cases"]] == ["urban:T-000001"]
    far = offset(lon, lat, 0, 3000)
    push(r, keys, [urban_record(2, *around(lon, lat, 2), sbsj=at), urban_record(3, *far, sbsj=at)])
    run(watcher, engine)
    found = detail(r, keys, incident["id"], NOW) or {}
    assert sorted(c["id"] for c in found["cases"]) == ["urban:T-000001", "urban:T-000002"]
    assert found["cases_total"] == 2
    opened = [e["case"] for e in found["timeline"] if e["kind"] == "case_opened"]
    assert opened == ["urban:T-000002"], "opened inside after the declaration; not the far one"
    push(r, keys, [urban_record(2, *around(lon, lat, 2), sbsj=at, zt="已结案")])
    run(watcher, engine)
    assert (detail(r, keys, incident["id"], NOW) or {})["cases_total"] == 1


def test_an_update_carries_the_incident_on_and_a_cancel_ends_it(
    r: redis.Redis, raw: redis.Redis, keys: Keys, engine: Engine, context: Context, clock: Clock
) -> None:
    watcher = watcher_for(raw, keys, context, clock)
    area = two_villages_area(context.town)
    first = NOW - timedelta(minutes=30)
    send(r, keys, "cap", cap_xml(area, severity="Severe", sent=first, identifier="S-1"))
    run(watcher, engine)
    [incident] = declared(r, keys)
    ref = f"江阴市气象台,S-1,{first.isoformat(timespec='seconds')}"
    update = NOW - timedelta(minutes=10)
    send(r, keys, "cap", cap_xml(area, severity="Extreme", sent=update, identifier="S-2",
                                 msg_type="Update", references=ref))  # fmt: skip
    run(watcher, engine)
    assert [i["id"] for i in declared(r, keys)] == [incident["id"]], "one storm, one incident"
    ref = f"江阴市气象台,S-2,{update.isoformat(timespec='seconds')}"
    send(r, keys, "cap", cap_xml(area, severity="Minor", sent=NOW, identifier="S-3",
                                 msg_type="Cancel", references=ref))  # fmt: skip
    run(watcher, engine)
    assert declared(r, keys) == []
    ended = store.get(r, keys, incident["id"]) or {}
    assert ended["status"] == "ended" and ended["ended_by"] == "rule:cap-severe"
    kinds = [e["kind"] for e in store.timeline(r, keys, incident["id"])[1]]
    assert kinds[-3:] == ["alert_updated", "alert_cancelled", "ended"]
