"""Alerts are placed: a CAP alert's area (polygons and circles, as the adapter merges them) is
intersected with the town; one that does not touch it is kept but is not the town's alert, and
shows only when the town's setting asks, marked as outside. Public CAP samples (../shared,
when present) are real alerts of other countries: none is the town's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cases.alerts import for_town, placed
from core.event import Event
from dashboard.components.ticker import ticker_items
from dashboard.overlays import ALERT_COLOURS, alert_areas
from ingest.feeds import FEEDS
from layers.town import default_town

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "cap" / "good"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "cap"
AT = datetime(2026, 7, 15, 2, tzinfo=UTC)


def alerts_of(body: bytes) -> list[dict[str, Any]]:
    """The alerts the CAP adapter makes of a message, as the engine keeps them."""
    found = FEEDS["cap"].parse(body, AT)
    return [e.to_dict() for e in found if isinstance(e, Event)]


def moved(body: bytes, lat: float, lon: float) -> bytes:
    """The same message with its area moved (every polygon and circle) by lat/lon degrees."""
    text = body.decode()

    def shift(match: re.Match[str]) -> str:
        pairs = []
        for pair in match.group(1).split():
            y, x = (float(v) for v in pair.split(","))
            pairs.append(f"{y + lat:.4f},{x + lon:.4f}")
        return f"<polygon>{' '.join(pairs)}</polygon>"

    text = re.sub(r"<polygon>([^<]*)</polygon>", shift, text)
    text = re.sub(
        r"<circle>([-\d.]+),([-\d.]+) ([\d.]+)</circle>",
        lambda m: (
            f"<circle>{float(m.group(1)) + lat:.4f},{float(m.group(2)) + lon:.4f} "
            f"{m.group(3)}</circle>"
        ),
        text,
    )
    return text.encode()


@pytest.mark.parametrize("name", ["jiangyin_rainstorm.xml", "flood_circle.xml"])
def test_an_alert_over_the_town_is_the_towns_and_one_500_km_away_is_not(name: str) -> None:
    town = default_town().boundary
    body = (FIXTURES / name).read_bytes()
    here = alerts_of(body)
    assert here and all(placed(a, town) for a in here)
    # 4.5° north: about 500 km away (Beijing's side of Shandong).
    away = alerts_of(moved(body, 4.5, 0.0))
    assert away and not any(placed(a, town) for a in away)
    assert for_town(away, town, outside=False) == []
    shown = for_town(here + away, town, outside=True)
    assert [a["id"] for a in shown] == [a["id"] for a in here + away]
    assert [bool(a.get("outside")) for a in shown] == [False] * len(here) + [True] * len(away)
    items = ticker_items(for_town(away, town, outside=True), "zh")
    assert items and all(i["text"].startswith("（本镇以外）") for i in items)


def test_an_alert_with_no_area_to_place_is_not_the_towns() -> None:
    town = default_town().boundary
    bare = {"id": "cap:x", "attrs": {"geometry": None, "areaDesc": ["Wherever"]}}
    broken = {"id": "cap:y", "attrs": {"geometry": {"type": "Polygon", "coordinates": "no"}}}
    assert not placed(bare, town) and not placed(broken, town)
    assert for_town([bare, broken], town, outside=False) == []


@pytest.mark.skipif(not SAMPLES.exists(), reason="the shared CAP samples are not here")
def test_no_public_sample_of_another_country_is_the_towns_alert() -> None:
    town = default_town().boundary
    found = []
    for path in sorted(SAMPLES.glob("*.cap")):
        found += alerts_of(path.read_bytes())  # a sample the adapter refuses gives none
    assert found, "the samples gave no alert"
    assert for_town(found, town, outside=False) == []


def test_the_towns_alerts_are_drawn_in_their_severitys_colour_and_the_others_not() -> None:
    town = default_town().boundary
    here = alerts_of((FIXTURES / "jiangyin_rainstorm.xml").read_bytes())  # Severe: orange
    far = [{**a, "outside": True} for a in alerts_of(moved(
        (FIXTURES / "flood_circle.xml").read_bytes(), 0.0, 5.0))]  # fmt: skip
    areas = alert_areas(for_town(here, town, outside=False) + far)
    assert {level for level, (lons, _) in areas.items() if lons} == {3}
    lons, lats = areas[3]
    assert None in lons, "two info blocks: two rings, a gap between"
    ring = [(x, y) for x, y in zip(lons, lats, strict=True) if x is not None]
    assert min(x for x, _ in ring) == pytest.approx(120.34) and max(y for _, y in ring) == 31.84
    assert ALERT_COLOURS[3] == "#fb8c00" and ALERT_COLOURS[4] == "#e53935"
