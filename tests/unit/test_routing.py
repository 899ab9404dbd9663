from __future__ import annotations

import json
from pathlib import Path

import pytest

from cases.categories import categories
from cases.routing import DUTY_QUEUE, table, village_kinds
from layers.town import default_town


def test_parking_goes_to_the_enforcement_squad_of_its_area() -> None:
    routes = table()
    assert routes.route("parking", "XXK-01", "community").team == "enforce-central"
    assert routes.route("parking", "XXK-06", "village").team == "enforce-north"
    assert routes.route("street_vending", "XXK-14", "village").team == "enforce-south"


def test_the_more_specific_rule_wins() -> None:
    routes = table()
    # 绿化损坏 is in the environment group (village committee in villages) but has its own rule.
    assert routes.route("greenery", "XXK-06", "village").team == "facilities"
    assert routes.route("exposed_garbage", "XXK-06", "village").team == "village"
    assert routes.route("exposed_garbage", "XXK-01", "community").team == "sanitation"


def test_an_ambiguous_or_missing_rule_goes_to_the_duty_officer() -> None:
    routes = table()
    ambiguous = routes.route("safety_risk", "XXK-03", "village")
    assert (ambiguous.team, ambiguous.automatic) == (DUTY_QUEUE, False)
    assert "ambiguous" in ambiguous.reason
    nowhere = routes.route("parking", None, None)
    assert (nowhere.team, nowhere.automatic) == (DUTY_QUEUE, False)


def test_every_report_category_and_every_village_has_a_decision() -> None:
    routes = table()
    town = default_town()
    metrics = {"service_case", "economy_indicator", "enterprise_record", "labour_snapshot",
               "visitor_count", "party_activity", "air_quality", "water_quality", "river_gauge",
               "weather_alert", "flood_alert", "geo_alert", "public_alert", "other"}  # fmt: skip
    for code in set(categories()) - metrics:
        for village, row in town.l1.iterrows():
            routing = routes.route(code, str(village), str(row["kind"]))
            assert routing.team in routes.teams or routing.team == DUTY_QUEUE
            if code != "safety_risk":
                assert routing.automatic, f"{code} in {village}: {routing.reason}"


def test_a_rule_with_an_unknown_team_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "routing.json"
    bad.write_text(json.dumps({"teams": {}, "rules": [{"group": "order", "team": "nobody"}]}))
    with pytest.raises(ValueError, match="unknown team"):
        table(bad)


def test_the_kinds_of_the_town_s_villages_feed_the_rules() -> None:
    kinds = village_kinds(default_town())
    assert kinds["XXK-01"] == "community" and kinds["XXK-06"] == "village"
    assert table().route("parking", "XXK-01", kinds["XXK-01"]).team == "enforce-central"


def test_every_village_of_the_town_has_its_leader_and_the_town_a_rota() -> None:
    escalation = table().escalation
    assert set(escalation.villages) == set(default_town().l1.index)
    assert len(escalation.rota) >= 5 and escalation.town_role and escalation.village_role
    phones = [p.phone for p in (*escalation.villages.values(), *escalation.rota)]
    roster = {p.phone for people in default_town().roster.values() for p in people}
    assert len(set(phones)) == len(phones) and not set(phones) & roster  # one number each
    assert all(p.startswith("100") for p in phones)  # a demo number rings no one


def test_a_leader_without_a_phone_is_refused_with_the_files_name(tmp_path: Path) -> None:
    bad = tmp_path / "routing.json"
    data = {"teams": {}, "rules": [],
            "escalation": {"town": {"rota": [{"name": "陈静"}]}}}  # fmt: skip
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"routing\.json: town\.rota\[0\] needs a name and a phone"
    ):
        table(bad)
