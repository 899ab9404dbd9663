"""The town's emergency data: the demo's totals are the seed town's, and a broken file stops the
start-up with a message that names it and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from layers.emergency import KINDS, PLACES, POPULATION, Emergency, default_emergency
from layers.town import TownDataError, default_town


def test_the_demo_towns_people_add_up_to_the_seed_towns() -> None:
    data = default_emergency()
    assert data.totals() == {"resident": 180_000, "registered": 120_000}
    assert set(data.population.index) == set(default_town().l2.index)
    assert (data.population > 0).all().all()


def test_every_layer_has_places_and_every_shelter_a_capacity() -> None:
    places = default_emergency().places
    assert set(places["layer"]) == {"vulnerable", "shelter", "resource"}
    assert set(places["kind"]) == set(KINDS)
    shelters = places[places["layer"] == "shelter"]
    assert (shelters["capacity"] > 0).all()
    inside = places.geometry.within(default_town().boundary)
    assert inside.all(), "the demo's places stand inside the town"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    population, places = tmp_path / "population.csv", tmp_path / "emergency.geojson"
    population.write_bytes(POPULATION.read_bytes())
    places.write_bytes(PLACES.read_bytes())
    return population, places


def _edit_places(path: Path, index: int, **props: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    feature = data["features"][index]
    geometry = props.pop("geometry", None)
    feature["properties"].update(props)
    if geometry is not None:
        feature["geometry"] = geometry
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda lines: lines[:-1], "grids missing: XXK-16"),
        (lambda lines: [*lines, "XXK-99-01,10,5"], "grids not the town's: XXK-99-01"),
        (lambda lines: [*lines, lines[1]], "grids twice: XXK-01-01"),
        (
            lambda lines: [lines[0], lines[1].rsplit(",", 1)[0] + ",-3", *lines[2:]],
            "registered must be a whole number ≥ 0",
        ),
        (lambda lines: ["code,people,registered", *lines[1:]], "missing column grid, resident"),
    ],
)
def test_a_broken_population_file_is_refused_by_name(
    tmp_path: Path, edit: object, message: str
) -> None:
    population, places = _copy(tmp_path)
    lines = population.read_text(encoding="utf-8").splitlines()
    population.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(TownDataError, match=message) as raised:
        Emergency.load(population, places, default_town())
    assert "population.csv" in str(raised.value)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"kind": "volcano"}, "unknown kind 'volcano'"),
        ({"kind": "pump"}, "a pump belongs to layer resource"),
        ({"geometry": {"type": "LineString", "coordinates": [[120.4, 31.8], [120.41, 31.8]]}},
         "the geometry must be a point"),
    ],
)  # fmt: skip
def test_a_broken_place_is_refused_by_name(
    tmp_path: Path, props: dict[str, object], message: str
) -> None:
    population, places = _copy(tmp_path)
    _edit_places(places, 0, **props)
    with pytest.raises(TownDataError, match=message) as raised:
        Emergency.load(population, places, default_town())
    assert "emergency.geojson" in str(raised.value) and "school-01" in str(raised.value)


def test_a_shelter_without_a_capacity_is_refused(tmp_path: Path) -> None:
    population, places = _copy(tmp_path)
    features = json.loads(places.read_text(encoding="utf-8"))["features"]
    index = next(i for i, f in enumerate(features) if f["properties"]["layer"] == "shelter")
    _edit_places(places, index, capacity=None)
    with pytest.raises(TownDataError, match="a shelter needs a capacity"):
        Emergency.load(population, places, default_town())
