"""The report simulators' rhythms: grid events, inspections and their hazards, the service
hall's day, and the module feeds sent at start."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import shapely

from core.event import Event
from core.times import beijing
from ingest.feeds import FEEDS
from ingest.sim.economy import EconomyFeed, published_months
from ingest.sim.enterprise import EnterpriseFeed
from ingest.sim.firms import Firm, town_firms
from ingest.sim.fleet import Options, build, drive
from ingest.sim.governance import HEADER, GovernanceFeed
from ingest.sim.labour import LabourFeed
from ingest.sim.open311 import Open311Feed
from ingest.sim.party import PartyFeed
from ingest.sim.safety import SafetyFeed
from ingest.sim.service_hall import ServiceHallFeed
from layers.town import Town, default_town

MIDNIGHT = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # Thursday 00:00 in Beijing
DAY, MINUTE = timedelta(days=1), timedelta(minutes=1)


def events(feed: str, bodies: list[bytes]) -> list[Event]:
    parsed = [r for body in bodies for r in FEEDS[feed].parse(body, MIDNIGHT)]
    assert all(isinstance(r, Event) for r in parsed)
    return [r for r in parsed if isinstance(r, Event)]


def hours(items: list[Event]) -> Counter[int]:
    return Counter(beijing(e.occurred_at).hour for e in items)


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="module")
def firms(town: Town) -> list[Firm]:
    return town_firms(town, seed=0)


def test_grid_events_are_gbk_csv_with_the_chinese_header(town: Town) -> None:
    [body, *_] = drive(GovernanceFeed(town, seed=1), MIDNIGHT + 10 * 60 * MINUTE, DAY / 24, MINUTE)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert body.decode("gbk").split("\r\n")[0] == ",".join(HEADER)


def test_grid_events_claim_real_grids_some_unlocated_a_few_elsewhere(town: Town) -> None:
    day = events("governance", drive(GovernanceFeed(town, seed=1), MIDNIGHT, DAY, MINUTE))
    assert 150 < len(day) < 350
    assert {e.attrs["grid_claimed"] for e in day} <= set(town.l2.index)
    unlocated = [e for e in day if e.lon is None]
    assert 0.03 < len(unlocated) / len(day) < 0.15
    assert all(e.attrs["location_from_grid"] for e in unlocated)
    located = [e for e in day if e.lon is not None]
    grids, codes = town.l2.geometry.to_numpy(), list(town.l2.index)

    def grid_of(e: Event) -> str:
        return str(codes[int(shapely.contains_xy(grids, e.lon, e.lat).argmax())])

    elsewhere = [e for e in located if grid_of(e) != e.attrs["grid_claimed"]]
    assert 0 < len(elsewhere) < 0.1 * len(located)
    top = {c for c, _ in Counter(e.category for e in day).most_common(4)}
    assert top == {"sanitation", "safety_risk", "dispute", "livelihood"}
    assert hours(day)[10] > 3 * hours(day)[3], "grid workers report by day"


@pytest.mark.parametrize("feed", ["service_hall", "governance"])
def test_a_backfill_hands_over_the_day_so_far(town: Town, feed: str) -> None:
    noon = MIDNIGHT + 12 * 60 * MINUTE
    [sim] = build(town, Options(seed=9, backfill=30 * MINUTE), [feed])
    earliest = min(e.occurred_at for e in events(feed, sim.backfill(noon)))
    assert earliest < noon - 2 * 60 * MINUTE, "the morning is in it, not only the last half hour"


@pytest.fixture(scope="module")
def safety(firms: list[Firm]) -> SafetyFeed:
    return SafetyFeed(firms, seed=2)


def test_an_inspection_finds_zero_to_three_hazards_mostly_minor(safety: SafetyFeed) -> None:
    visits = [safety.visit(MIDNIGHT + 10 * 60 * MINUTE) for _ in range(400)]
    assert set(Counter(len(v) for v in visits)) == {0, 1, 2, 3}
    grades = Counter(h["yhdj"] for v in visits for h in v)
    assert 0 < grades["重大隐患"] < 0.1 * grades["一般隐患"]


def test_hazard_updates_follow_their_hazard(firms: list[Firm]) -> None:
    sim = SafetyFeed(firms, seed=3)
    stream = events("safety", drive(sim, MIDNIGHT, 40 * DAY, 10 * MINUTE))
    found = [e for e in stream if e.source_status == "未整改"]
    assert found and set(hours(found)) <= set(range(8, 17)), "inspections in office hours"
    history: dict[str, list[str]] = defaultdict(list)
    for e in stream:
        history[e.source_id].append(e.source_status)
    lives = (["未整改", "整改中", "已整改"], ["未整改", "已整改"])
    assert all(any(h == life[: len(h)] for life in lives) for h in history.values())
    early = [e.source_id for e in found if e.occurred_at < MIDNIGHT + 5 * DAY]
    assert early and all(history[number][-1] == "已整改" for number in early)
    first = {e.source_id: e.attrs for e in found}
    for e in stream:
        assert e.attrs["enterprise"] == first[e.source_id]["enterprise"]
        assert e.attrs["deadline"] == first[e.source_id]["deadline"]


def test_one_enterprise_has_a_mistyped_code_and_it_is_flagged(safety: SafetyFeed) -> None:
    hazards: list[dict[str, object]] = []
    while not hazards:
        hazards = safety.visit(MIDNIGHT, safety.typo_firm)
    [typo] = events("safety", [orjson.dumps(hazards[:1])])
    assert typo.attrs["uscc_valid"] is False
    assert typo.attrs["uscc_error"].startswith("wrong check character")
    others = events("safety", drive(safety, MIDNIGHT, DAY, MINUTE))
    assert all(e.attrs["uscc_valid"] for e in others if e.title != safety.typo_firm.name)


@pytest.fixture(scope="module")
def hall_days() -> list[Event]:
    return events("service_hall", drive(ServiceHallFeed(seed=4), MIDNIGHT, 2 * DAY, MINUTE))


def test_the_service_hall_peaks_mid_morning_dips_at_lunch_and_closes_at_night(
    hall_days: list[Event],
) -> None:
    accepted = hours([e for e in hall_days if e.source_status == "已受理"])
    assert max(accepted, key=accepted.__getitem__) in (9, 10)
    assert accepted[14] > accepted[16] and accepted[14] > accepted[8]
    assert set(accepted) <= set(range(8, 18)), "closed at night"
    assert 0 < accepted[12] < accepted[10] / 5, "a few windows over lunch"
    modes = Counter(e.attrs["mode"] for e in hall_days if e.source_status == "已受理")
    assert modes["instant"] > modes["promised"] > 0 and modes["remote"] > 0


def test_cases_are_finished_under_the_same_number(hall_days: list[Event]) -> None:
    first_day = MIDNIGHT + DAY
    accepted = {e.source_id: e for e in hall_days if e.source_status == "已受理"}
    finished = {e.source_id: e for e in hall_days if e.source_status == "已办结"}
    assert set(finished) <= set(accepted)
    for number, case in accepted.items():
        if case.occurred_at < first_day and case.attrs["mode"] in ("instant", "remote"):
            assert number in finished
    quick = [e for e in finished.values() if e.attrs["mode"] == "instant"]
    assert all(e.attrs["handling_minutes"] < 90 for e in quick)
    assert all(e.attrs["overdue_promise"] is False for e in finished.values())


def test_monthly_indicators_are_sent_once_at_start() -> None:
    now = datetime(2026, 11, 28, 2, tzinfo=UTC)
    assert published_months(now) == list(range(1, 11))
    sim = EconomyFeed(seed=5)
    indicators = events("economy", sim.backfill(now))
    assert sim.tick(now, 60) == []
    assert {e.attrs["month"] for e in indicators} == {f"2026-{m:02d}" for m in range(1, 11)}
    output = {
        (e.attrs["month"], e.attrs["scope"]): e.attrs["value"]
        for e in indicators
        if e.attrs["indicator"] == "GSGYZCZ"
    }
    months = sum(output[(f"2026-{m:02d}", "month")] for m in range(1, 11))
    assert output[("2026-10", "ytd")] == pytest.approx(months, abs=0.05)
    assert not any(
        k.startswith("unmapped") or k == "unit_mismatch" for e in indicators for k in e.attrs
    )


def test_the_registry_lists_the_roster_with_valid_codes(firms: list[Firm]) -> None:
    sim = EnterpriseFeed(firms, seed=5)
    records = events("enterprise", sim.backfill(MIDNIGHT))
    assert sorted(e.source_id for e in records) == sorted(f.uscc for f in firms)
    assert all(e.attrs["uscc_valid"] and e.attrs["registration"] for e in records)
    assert sim.tick(MIDNIGHT, 60) == []


def test_labour_snapshots_come_daily_and_arrears_rarely(firms: list[Firm]) -> None:
    sim = LabourFeed(firms, seed=6)
    stream = events("labour", drive(sim, MIDNIGHT + DAY / 2, 10 * DAY, 10 * MINUTE))
    snapshots = [e for e in stream if e.attrs["record"] == "snapshot"]
    per_day = Counter((e.source_id, beijing(e.occurred_at).date()) for e in snapshots)
    assert set(per_day.values()) == {1}
    assert {f for f, _ in per_day} == {f.uscc for f in sim.monitored}
    alerts = [e for e in stream if e.attrs["record"] == "arrears"]
    raised = [e for e in alerts if e.status == "new"]
    assert 1 <= len(raised) <= 15
    assert {e.source_id for e in alerts} == {e.source_id for e in raised}


def test_party_organisations_add_up_and_activities_follow(town: Town, firms: list[Firm]) -> None:
    sim = PartyFeed(town, firms, seed=7)
    orgs = {e.attrs["org"]: e.attrs for e in events("party", sim.backfill(MIDNIGHT))}
    grouping = ("alliance", "household")  # their members are a branch's, counted there
    for code, org in orgs.items():
        children = [
            o for o in orgs.values() if o["parent"] == code and o["org_type"] not in grouping
        ]
        if children:
            assert org["members"] == sum(c["members"] for c in children)
        homes = [o for o in orgs.values() if o["parent"] == code and o["org_type"] == "household"]
        assert sum(h["members"] for h in homes) <= org["members"]
        assert not homes or org["org_type"] == "branch"
    assert any(o["org_type"] == "household" for o in orgs.values())
    assert all(o["parent"] in orgs for o in orgs.values() if o["parent"])
    activities = events("party", [b for b in drive(sim, MIDNIGHT, DAY, MINUTE) if b"hdbh" in b])
    assert 8 <= len(activities) <= 35
    assert {e.attrs["org"] for e in activities} <= set(orgs)


def test_citizens_requests_are_rare_and_distinct(town: Town) -> None:
    requests = events("open311", drive(Open311Feed(town, seed=8), MIDNIGHT, DAY, MINUTE))
    assert 10 <= len(requests) <= 45
    assert len({e.source_id for e in requests}) == len(requests)
    assert any(e.lat is None for e in requests) and any(e.lat is not None for e in requests)
