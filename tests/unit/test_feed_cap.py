"""The CAP adapter: real public samples, our own fixtures, geometry order, and XXE refusal."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, shape

from core.event import DeadLetter, Event
from ingest.feeds.cap import ADAPTER, gb35965, references
from ingest.geometry import ShapeError, cap_polygon

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "cap"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "cap"
AT = datetime(2026, 7, 15, 1, 0, tzinfo=UTC)
TOWN = (120.39, 31.78)  # lon, lat inside the town
GEOD = Geod(ellps="WGS84")


def parse(body: bytes) -> list[Event | DeadLetter]:
    return list(ADAPTER.parse(body, AT))


def events(body: bytes) -> list[Event]:
    results = parse(body)
    assert all(isinstance(r, Event) for r in results), results
    return [r for r in results if isinstance(r, Event)]


def sample(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"shared CAP sample {name} not present")
    return path.read_bytes()


def fixture(name: str) -> bytes:
    return (FIXTURES / "good" / name).read_bytes()


def area(event: Event) -> object:
    return shape(event.attrs["geometry"])


def covers(event: Event, lon: float, lat: float) -> bool:
    return bool(shape(event.attrs["geometry"]).covers(Point(lon, lat)))


def around(lon: float, lat: float, km: float) -> list[tuple[float, float]]:
    """Points at a geodesic distance from a centre, in four directions."""
    found = []
    for azimuth in (0, 90, 180, 270):
        x, y, _ = GEOD.fwd(lon, lat, azimuth, km * 1000)
        found.append((float(x), float(y)))
    return found


# --- the shared real-world samples -------------------------------------------------------


def test_thunderstorm_polygon_is_read_latitude_first() -> None:
    [event] = events(sample("thunderstorm.cap"))
    assert event.kind == "alert"
    assert (event.category, event.severity) == ("weather_alert", 3)
    assert covers(event, -119.93, 38.49)
    assert not covers(event, -120.5, 38.0)
    assert covers(event, event.lon or 0, event.lat or 0)
    assert event.attrs["urgency"] == "Immediate"
    assert event.attrs["instruction"].startswith("TAKE COVER")
    assert event.occurred_at == datetime(2003, 6, 17, 21, 57, tzinfo=UTC)


def test_canada_update_two_languages_distinct_ids_and_references() -> None:
    english, french = events(sample("canada.cap"))
    assert (english.attrs["language"], french.attrs["language"]) == ("en-CA", "fr-CA")
    assert english.source_id != french.source_id
    assert english.id != french.id
    assert english.attrs["msgType"] == "Update"
    assert english.attrs["references"] == [
        {
            "sender": "cap@ec.gc.ca",
            "identifier": "2.49.0.1.124.a3f342a4.2012",
            "sent": "2012-05-02T21:45:05+00:00",
        },
        {
            "sender": "cap@ec.gc.ca",
            "identifier": "2.49.0.1.124.60f31a3a.2012",
            "sent": "2012-05-02T21:55:21+00:00",
        },
    ]
    assert len(english.attrs["areaDesc"]) == 2
    assert covers(english, -82.60, 42.05)  # Leamington
    assert not covers(english, -79.38, 43.65)  # Toronto


def test_australia_circle_is_25_km_on_the_ground() -> None:
    first, second = events(sample("australia.cap"))
    assert first.source_id != second.source_id  # two infos in the same language
    assert first.category == "public_alert"  # Fire is listed first, then Met
    assert first.attrs["categories"] == ["Fire", "Met"]
    assert all(covers(first, *p) for p in around(147.0598, -35.3888, 24.7))
    assert not any(covers(first, *p) for p in around(147.0598, -35.3888, 25.3))
    assert first.lon == pytest.approx(147.0598, abs=1e-3)
    assert first.lat == pytest.approx(-35.3888, abs=1e-3)


def test_earthquake_zero_radius_circle_is_its_epicentre() -> None:
    [event] = events(sample("earthquake.cap"))
    assert event.attrs["geometry"] == {"type": "Point", "coordinates": [-173.274, -16.053]}
    assert (event.lon, event.lat) == (-173.274, -16.053)
    assert event.category == "geo_alert"
    assert event.attrs["cap_version"] == "1.1"
    assert (event.severity, event.attrs["severity_unknown"]) == (1, True)


def test_flash_flood_watch_is_a_flood_alert_without_geometry() -> None:
    [event] = events(sample("weather.cap"))
    assert event.category == "flood_alert"
    assert (event.attrs["geometry"], event.lon, event.lat) == (None, None, None)
    assert {"valueName": "UGC", "value": "MTZ014"} in event.attrs["geocodes"]


def test_an_alert_without_info_is_still_one_event() -> None:
    [event] = events(sample("no_optional_fields.cap"))
    assert event.source_id == "USGS-earthquakes-us2010apcd.6.20100831T000925.496Z"
    assert event.attrs["geometry"] is None
    assert event.attrs["severity_unknown"] is True


def test_invalid_sample_is_dead_lettered_for_its_missing_scope() -> None:
    [dead] = parse(sample("invalid.cap"))
    assert isinstance(dead, DeadLetter)
    assert "<scope>" in dead.reason
    assert dead.source_id == "12345"


def test_xee_sample_is_refused_and_nothing_of_it_is_expanded() -> None:
    [dead] = parse(sample("xee.cap"))
    assert isinstance(dead, DeadLetter)
    assert dead.scope == "body"
    assert "refused" in dead.reason


# --- our own fixtures ---------------------------------------------------------------------


def test_jiangyin_rainstorm_gb35965_identifier_and_town_polygon() -> None:
    chinese, english = events(fixture("jiangyin_rainstorm.xml"))
    assert chinese.source_id == "32028141600000_20260715083000_0#0-zh-CN"
    assert english.source_id == "32028141600000_20260715083000_0#1-en-US"
    assert (chinese.category, chinese.severity, chinese.title) == (
        "weather_alert",
        3,
        "江阴市气象台发布暴雨橙色预警",
    )
    assert chinese.attrs["gb35965"] == {
        "issuer": "32028141600000",
        "region": "320281",
        "agency": "416",
        "unit": "000",
        "extension": "00",
        "entered_at": "2026-07-15T00:30:00+00:00",
        "sequence": 0,
    }
    assert covers(chinese, *TOWN)
    assert not covers(chinese, 120.50, 31.78)
    assert not covers(chinese, 120.39, 31.90)
    assert shape(chinese.attrs["geometry"]).bounds == pytest.approx((120.34, 31.72, 120.45, 31.84))
    assert covers(chinese, chinese.lon or 0, chinese.lat or 0)
    assert chinese.attrs["expires"] == "2026-07-15T12:30:00+00:00"
    assert chinese.occurred_at == datetime(2026, 7, 15, 0, 30, tzinfo=UTC)
    assert (chinese.status, chinese.attrs["references"]) == ("new", [])


def test_update_and_cancel_record_what_they_refer_to() -> None:
    [update] = events(fixture("jiangyin_rainstorm_update.xml"))
    [cancel] = events(fixture("jiangyin_rainstorm_cancel.xml"))
    original = {
        "sender": "江阴市气象台",
        "identifier": "32028141600000_20260715083000_0",
        "sent": "2026-07-15T00:30:00+00:00",
    }
    assert (update.attrs["msgType"], update.status, update.severity) == ("Update", "new", 4)
    assert update.attrs["references"] == [original]
    assert (cancel.attrs["msgType"], cancel.status) == ("Cancel", "cancelled")
    assert cancel.attrs["references"][0] == original
    assert cancel.attrs["references"][1]["identifier"] == update.attrs["identifier"]
    [first, *_] = events(fixture("jiangyin_rainstorm.xml"))
    # The engine matches a reference to an earlier alert by equal strings.
    assert {k: first.attrs[k] for k in ("sender", "identifier", "sent")} == original


def test_circle_flood_alert_from_the_town() -> None:
    [event] = events(fixture("flood_circle.xml"))
    assert event.category == "flood_alert"  # 洪水 in the event name, whatever the category
    assert event.attrs["gb35965"]["sequence"] == 1
    assert all(covers(event, *p) for p in around(*TOWN, 4.9))
    assert not any(covers(event, *p) for p in around(*TOWN, 5.1))


def test_cap_1_1_is_tolerated() -> None:
    [event] = events(fixture("heat_cap11.xml"))
    assert (event.attrs["cap_version"], event.attrs["certainty"]) == ("1.1", "Very Likely")
    assert "gb35965" not in event.attrs
    assert event.attrs["areaDesc"] == ["江阴市"]


# --- XXE: never expanded, never fetched ---------------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local port that records whether anything ever connected to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def hostile(secret: Path, port: int) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert SYSTEM "http://127.0.0.1:{port}/cap.dtd" [
  <!ENTITY local SYSTEM "file://{secret}">
  <!ENTITY inline "INLINE-MARKER-7f3a">
  <!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/remote.dtd">
  %remote;
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>XXE-1</identifier><sender>&local;</sender>
  <sent>2026-07-15T08:30:00+08:00</sent><status>Actual</status>
  <msgType>Alert</msgType><scope>Public</scope>
  <info><category>Met</category><event>&inline;</event><urgency>Immediate</urgency>
  <severity>Severe</severity><certainty>Likely</certainty><headline>&local;</headline></info>
</alert>""".encode()


def test_xxe_is_refused_never_expanded_never_fetched(
    tmp_path: Path, listener: socket.socket
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-91c2", encoding="utf-8")
    port = listener.getsockname()[1]
    results = parse(hostile(secret, port))
    assert [type(r) for r in results] == [DeadLetter]
    assert "SECRET-MARKER-91c2" not in "".join(r.model_dump_json() for r in results)
    # The raw body keeps the declaration as sent; nothing else may carry its content.
    parsed = "".join(r.model_dump_json(exclude={"raw"}) for r in results)
    assert "INLINE-MARKER-7f3a" not in parsed
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody ever connected: nothing was fetched


def test_billion_laughs_is_refused() -> None:
    body = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&b;</identifier></alert>"""
    [dead] = parse(body)
    assert isinstance(dead, DeadLetter)
    assert "refused" in dead.reason


# --- the pieces ---------------------------------------------------------------------------


def test_references_must_be_triples() -> None:
    assert references("") == []
    with pytest.raises(ValueError, match="sender,identifier,sent"):
        references("only-an-identifier")


def test_gb35965_absent_when_the_identifier_is_not_one() -> None:
    assert gb35965("KSTO1055887203") is None
    assert gb35965("32028141600000_20261399083000_0") is None  # month 13
    assert gb35965("32028141600000_20260715083000_0")["region"] == "320281"  # type: ignore[index]


def test_polygon_is_closed_and_repaired() -> None:
    open_ring = cap_polygon("31.72,120.34 31.72,120.45 31.84,120.45 31.84,120.34")
    assert open_ring.is_valid
    assert open_ring.covers(Point(*TOWN))
    bow_tie = cap_polygon("31.72,120.34 31.84,120.45 31.72,120.45 31.84,120.34")
    assert bow_tie.is_valid
    assert bow_tie.area > 0
    with pytest.raises(ShapeError, match="3 distinct points"):
        cap_polygon("31.72,120.34 31.72,120.34")


def test_a_gb18030_document_is_read_in_its_own_encoding() -> None:
    text = fixture("heat_cap11.xml").decode("utf-8").replace("UTF-8", "GB18030", 1)
    [event] = events(text.encode("gb18030"))
    assert event.title == "江阴市高温黄色预警"
    assert "江阴市高温黄色预警" in event.raw


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_body_is_events_or_dead_letters_never_an_exception(body: bytes) -> None:
    assert parse(body)
