"""The demo's synthetic town is the seed's in size: 3,000+ enterprises of which 169 above
designated size, 21 alliances, 154 branches on the grids, 377 党员中心户, a service hall of
ten windows and about 100,000 cases a year, and the enforcement squads' checks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum.cn import uscc

from core.event import Event
from core.times import beijing
from ingest.feeds import FEEDS
from ingest.mapping import mapping
from ingest.sim.firms import Firm, town_firms
from ingest.sim.fleet import drive
from ingest.sim.inspection import InspectionFeed
from ingest.sim.party import PartyFeed
from ingest.sim.service_hall import DayRates, ServiceHallFeed, peak_day
from layers.town import Town, default_town

MIDNIGHT = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Tuesday 1 December 00:00 in Beijing
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="module")
def firms(town: Town) -> list[Firm]:
    return town_firms(town, seed=0)


def events(feed: str, bodies: list[bytes]) -> list[Event]:
    parsed = [r for body in bodies for r in FEEDS[feed].parse(body, MIDNIGHT + DAY)]
    dead = [r for r in parsed if not isinstance(r, Event)]
    assert not dead, dead[:2]
    return [r for r in parsed if isinstance(r, Event)]


def test_the_roster_has_3000_enterprises_169_above_scale_and_all_of_those_active(
    firms: list[Firm],
) -> None:
    assert len(firms) > 3_000 and sum(f.active for f in firms) >= 3_000
    above = [f for f in firms if f.above_scale]
    assert len(above) == 169 and all(f.active for f in above)
    assert Counter(f.industry.section for f in above).most_common(1)[0][0] == "C"
    assert len({f.uscc for f in firms}) == len({f.name for f in firms}) == len(firms)
    assert all(uscc.is_valid(f.uscc) for f in firms[:200])
    small = sorted(f.employees for f in firms if not f.above_scale)
    assert small[len(small) // 2] < min(f.employees for f in above)


def test_the_party_structure_is_the_seeds_with_every_branch_on_a_grid(
    town: Town, firms: list[Firm]
) -> None:
    orgs = [e.attrs for e in events("party", PartyFeed(town, firms).backfill(MIDNIGHT))]
    kinds = Counter(o["org_type"] for o in orgs)
    assert kinds["alliance"] == 21
    assert kinds["branch"] + kinds["joint_branch"] == 154 and kinds["joint_branch"] > 0
    assert kinds["household"] == 377
    assert kinds["committee"] + kinds["general_branch"] == 1 + len(town.l1)
    grids = set(town.l2.index)
    placed = [o for o in orgs if o["org_type"] in ("branch", "joint_branch", "household")]
    assert all(o["grid"] in grids for o in placed)
    assert {o["grid"] for o in placed if o["org_type"] == "branch"} == grids
    branch_of = {o["org"]: o for o in orgs}
    homes = [o for o in orgs if o["org_type"] == "household"]
    assert all(branch_of[h["parent"]]["grid"] == h["grid"] for h in homes)
    assert min(Counter(h["parent"] for h in homes).values()) >= 3
    assert all(o["grid"] is None for o in orgs if o["org_type"] in ("committee", "alliance"))


def test_the_hall_takes_about_100000_cases_a_year_with_peaks_above_3000() -> None:
    rates = DayRates()
    assert 95_000 <= rates.year(2025) <= 115_000
    assert max(rates.of(date(2025, 1, 1) + timedelta(days=k)) for k in range(365)) > 3_000
    assert peak_day(date(2026, 12, 1)) and peak_day(date(2026, 10, 8))  # after 国庆
    assert not peak_day(date(2026, 12, 2)) and rates.of(date(2026, 12, 5)) == 0  # a Saturday
    assert rates.of(date(2026, 10, 10)) > 0, "a 调休 Saturday is a working day"


def test_a_peak_day_at_the_hall_passes_3000_cases_over_ten_windows() -> None:
    day = events("service_hall", drive(ServiceHallFeed(seed=3), MIDNIGHT, DAY, HOUR))
    accepted = [e for e in day if e.source_status == "已受理"]
    assert len(accepted) > 3_000
    windows = Counter(e.attrs["window"] for e in accepted if e.attrs["mode"] != "remote")
    assert set(windows) == {f"综合受理{n}号窗口" for n in range(1, 11)}
    hours = Counter(beijing(e.occurred_at).hour for e in accepted)
    assert hours[12] < hours[10] / 5 and not hours[20]


def test_the_squads_check_across_the_ten_domains_and_publish_their_random_checks(
    town: Town, firms: list[Firm]
) -> None:
    sim = InspectionFeed(town, firms, seed=4)
    month = events("inspection", drive(sim, MIDNIGHT, 30 * DAY, HOUR))
    checks = {e.source_id: e.attrs for e in month}
    assert 200 <= len(checks) <= 500
    assert {a["domain"] for a in checks.values()} == {
        v["key"] for v in mapping("inspection")["domains"].values()
    }
    assert {a["squad"] for a in checks.values()} == {
        "enforce-central",
        "enforce-north",
        "enforce-south",
    }
    random = [e for e in month if e.attrs["random"]]
    assert random and all(e.attrs["task"] and e.attrs["uscc_valid"] for e in random)
    published = {e.source_id for e in random if e.attrs["published"]}
    early = {e.source_id for e in random if e.occurred_at < MIDNIGHT + 20 * DAY}
    assert early <= published, "一公开: every random check's result is published"
    assert not any(k.startswith("unmapped") for e in month for k in e.attrs)
