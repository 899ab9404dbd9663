"""The demo town's data, the town loader, the point → grid index and the map traces."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers.generate import generate
from layers.index import GridIndex
from layers.town import (
    DATA_DIR,
    GRIDS_L1,
    GRIDS_L2,
    ROLES,
    ROSTER,
    Town,
    TownDataError,
    default_town,
)
from layers.traces import grid_choropleth, map_layout, village_labels, village_outlines

METRIC = "EPSG:32651"


@pytest.fixture(scope="module")
def town() -> Town:
    return default_town()


@pytest.fixture(scope="module")
def index(town: Town) -> GridIndex:
    return GridIndex.from_town(town)


def test_area_is_about_110_km2(town: Town) -> None:
    area_km2 = gpd.GeoSeries([town.boundary], crs=town.l1.crs).to_crs(METRIC).area.iloc[0] / 1e6
    assert 100 <= area_km2 <= 120


def test_boundary_is_one_irregular_polygon(town: Town) -> None:
    assert town.boundary.geom_type == "Polygon"
    assert shapely.get_num_interior_rings(town.boundary) == 0
    # Far from its bounding box: not a rectangle.
    assert town.boundary.area < 0.9 * town.boundary.envelope.area


def test_level1_and_level2_counts(town: Town) -> None:
    assert 12 <= len(town.l1) <= 20
    per_village = town.l2.groupby("village").size()
    assert set(per_village.index) == set(town.l1.index)
    assert per_village.between(2, 3).all()
    assert set(town.l1["kind"]) == {"community", "village"}


def test_level2_grids_partition_the_town(town: Town) -> None:
    metric = town.l2.to_crs(METRIC)
    union_area = metric.union_all().area
    assert metric.area.sum() == pytest.approx(union_area, rel=1e-3)
    assert union_area == pytest.approx(town.l1.to_crs(METRIC).union_all().area, rel=1e-6)
    geoms = metric.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]])).sum()
    assert overlap < 1.0  # square metres, over the whole town
    assert shapely.coverage_is_valid(geoms)


def test_each_level2_grid_lies_in_its_village(town: Town) -> None:
    villages = town.l1.geometry.reindex(town.l2["village"]).to_numpy()
    inside = shapely.area(shapely.intersection(town.l2.geometry.to_numpy(), villages))
    assert np.allclose(inside, shapely.area(town.l2.geometry.to_numpy()), rtol=1e-6)


def test_codes_and_names(town: Town) -> None:
    assert all(re.fullmatch(r"XXK-\d{2}", code) for code in town.l1.index)
    for code, village in zip(town.l2.index, town.l2["village"], strict=True):
        assert re.fullmatch(r"XXK-\d{2}-\d{2}", code)
        assert code.startswith(village + "-")
    for frame in (town.l1, town.l2):
        assert frame.index.is_unique
        assert frame["name"].is_unique
    assert "XXK-03-02" in town.l2.index  # the grid code of feeds.md's governance example


def test_regenerating_gives_identical_bytes(tmp_path: Path) -> None:
    written = generate(tmp_path)
    assert {p.name for p in written} == {
        "grids_l1.geojson",
        "grids_l2.geojson",
        "roster.json",
        "town.json",
        "population.csv",
        "emergency.geojson",
    }
    for path in written:
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), path.name


def test_town_json(town: Town) -> None:
    meta = json.loads((DATA_DIR / "town.json").read_text(encoding="utf-8"))
    assert meta["name"] == town.name == "霞客镇"
    assert 100 <= meta["area_km2"] <= 120
    assert tuple(meta["centre"]) == town.centre
    assert town.boundary.contains(shapely.Point(town.centre))
    assert meta["bbox"] == pytest.approx(list(town.bbox))


def test_roster_has_six_roles_per_grid(town: Town) -> None:
    assert set(town.roster) == set(town.l2.index)
    phones = []
    for people in town.roster.values():
        assert [p.role for p in people] == list(ROLES)
        assert [p.role_name for p in people] == list(ROLES.values())
        phones += [p.phone for p in people]
    assert all(re.fullmatch(r"100\d{8}", phone) for phone in phones)
    assert len(set(phones)) == len(phones)


def test_grid_info(town: Town) -> None:
    info = town.grid_info("XXK-03-02")
    assert info.village == "XXK-03"
    assert info.village_name == town.l1.loc["XXK-03", "name"]
    assert info.name.startswith(info.village_name)
    with pytest.raises(KeyError, match="XXK-99-01"):
        town.grid_info("XXK-99-01")
    frame = town.info_frame()
    assert list(frame.columns) == ["name", "village", "village_name"]
    assert frame.loc["XXK-03-02", "village_name"] == info.village_name


def test_index_assigns_representative_points(town: Town, index: GridIndex) -> None:
    points = shapely.point_on_surface(town.l2.geometry.to_numpy())
    got = index.assign(shapely.get_x(points), shapely.get_y(points))
    assert got == list(town.l2.index)


def test_index_outside_missing_and_empty(index: GridIndex) -> None:
    assert index.assign_one(116.39, 39.91) is None  # Beijing
    assert index.assign_one(None, 31.78) is None
    assert index.assign([np.nan, 200.0], [31.78, 95.0]) == [None, None]
    assert index.assign([], []) == []
    with pytest.raises(ValueError, match="longitudes"):
        index.assign([120.4, 120.41], [31.78])


def test_index_shared_border_picks_the_first_grid(town: Town, index: GridIndex) -> None:
    first, second = town.l2.geometry.iloc[0], town.l2.geometry.iloc[1]
    shared = shapely.intersection(first.boundary, second.boundary)
    assert not shared.is_empty
    vertex = shapely.get_coordinates(shared)[0]
    assert index.assign_one(*vertex) == town.l2.index[0]


def test_index_feeds_example_point(index: GridIndex) -> None:
    # feeds.md's governance row: 东湖村12组 at (120.4012, 31.7733), grid XXK-03-02.
    assert index.assign_one(120.4012, 31.7733) == "XXK-03-02"


def test_load_geopackage_and_cgcs2000_shapefile(town: Town, tmp_path: Path) -> None:
    # village_name is derived from level 1 (a Shapefile would truncate the column name).
    l2 = town.l2.drop(columns="village_name").reset_index()
    l2.to_file(tmp_path / "l2.gpkg", driver="GPKG")
    l2.to_crs("EPSG:4490").to_file(tmp_path / "l2.shp", driver="ESRI Shapefile")
    town.l1.reset_index().to_file(tmp_path / "l1.gpkg", driver="GPKG")
    for l1_path, l2_path in (
        (tmp_path / "l1.gpkg", tmp_path / "l2.gpkg"),
        (GRIDS_L1, tmp_path / "l2.shp"),
    ):
        loaded = Town.load(l1_path, l2_path, ROSTER)
        assert loaded.l2.crs.equals("EPSG:4326")
        assert list(loaded.l2.index) == list(town.l2.index)
        assert loaded.l2[["name", "village", "village_name"]].equals(town.info_frame())
        moved = shapely.hausdorff_distance(
            loaded.l2.geometry.to_numpy(), town.l2.geometry.to_numpy()
        )
        assert moved.max() < 1e-5  # degrees: about a metre


def test_file_without_crs_is_refused(town: Town, tmp_path: Path) -> None:
    # The commonest case in the field: a Shapefile whose .prj went missing.
    town.l2.reset_index().drop(columns="village_name").to_file(tmp_path / "nocrs.shp")
    (tmp_path / "nocrs.prj").unlink()
    with pytest.raises(TownDataError, match=r"nocrs\.shp: no CRS"):
        Town.load(GRIDS_L1, tmp_path / "nocrs.shp", ROSTER)


def test_file_without_code_column_is_refused(town: Town, tmp_path: Path) -> None:
    l2 = town.l2.reset_index().rename(columns={"code": "grid_id"})
    l2.to_file(tmp_path / "nocode.gpkg", driver="GPKG")
    with pytest.raises(TownDataError, match=r"nocode\.gpkg: missing required column code"):
        Town.load(GRIDS_L1, tmp_path / "nocode.gpkg", ROSTER)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TownDataError, match=r"absent\.gpkg: cannot read grids"):
        Town.load(GRIDS_L1, tmp_path / "absent.gpkg", ROSTER)


def test_roster_person_without_phone_is_refused(tmp_path: Path) -> None:
    roster = json.loads(ROSTER.read_text(encoding="utf-8"))
    del roster["XXK-01-01"][0]["phone"]
    (tmp_path / "roster.json").write_text(json.dumps(roster), encoding="utf-8")
    with pytest.raises(TownDataError, match="XXK-01-01: a person lacks phone"):
        Town.load(GRIDS_L1, GRIDS_L2, tmp_path / "roster.json")


def test_roster_naming_an_unknown_grid_is_refused(tmp_path: Path) -> None:
    roster = json.loads(ROSTER.read_text(encoding="utf-8"))
    roster["XXK-99-01"] = []
    (tmp_path / "roster.json").write_text(json.dumps(roster), encoding="utf-8")
    with pytest.raises(TownDataError, match="XXK-99-01"):
        Town.load(GRIDS_L1, GRIDS_L2, tmp_path / "roster.json")


def test_centre_defaults_to_the_centroid_in_the_seat(town: Town, index: GridIndex) -> None:
    loaded = Town.load(GRIDS_L1, GRIDS_L2, ROSTER)
    assert loaded.centre == pytest.approx(town.centre, abs=1e-6)
    seat = index.assign_one(*loaded.centre)
    assert seat is not None
    assert town.grid_info(seat).village == "XXK-01"
    assert town.l1.loc["XXK-01", "kind"] == "community"


def test_choropleth_covers_every_grid(town: Town) -> None:
    counts = {"XXK-03-02": 4, "XXK-01-01": 1, "not-a-grid": 9}
    trace = grid_choropleth(town, counts, name="open cases")
    assert list(trace.locations) == list(town.l2.index)
    expected = [counts.get(code, 0) for code in town.l2.index]
    assert list(trace.z) == expected
    assert trace.featureidkey == "properties.code"
    assert trace.zmin == 0
    assert trace.zmax == 4
    feature_codes = [f["properties"]["code"] for f in trace.geojson["features"]]
    assert sorted(feature_codes) == sorted(town.l2.index)
    assert trace.marker.line.width > 0  # zero-count grids are outlined too


def test_choropleth_with_no_counts(town: Town) -> None:
    trace = grid_choropleth(town, {}, name="open cases", colorscale="Reds")
    assert set(trace.z) == {0}
    assert trace.zmax == 1


def test_village_outlines_and_labels(town: Town) -> None:
    outlines = village_outlines(town)
    assert outlines.type == "scattermap"
    assert outlines.mode == "lines"
    assert None in outlines.lon
    assert [i for i, v in enumerate(outlines.lon) if v is None] == [
        i for i, v in enumerate(outlines.lat) if v is None
    ]
    labels = village_labels(town)
    assert labels.mode == "text"
    assert list(labels.text) == list(town.l1["name"])
    inside = shapely.contains_xy(town.l1.geometry.to_numpy(), labels.lon, labels.lat)
    assert inside.all()


@pytest.mark.parametrize("tile_url", [None, "http://tiles.example/{z}/{x}/{y}.png"])
def test_map_layout_is_offline_safe(town: Town, tile_url: str | None) -> None:
    layout = map_layout(town, tile_url=tile_url)
    assert layout["style"] == "white-bg"
    west, south, east, north = town.bbox
    assert west < layout["center"]["lon"] < east
    assert south < layout["center"]["lat"] < north
    assert 10 < layout["zoom"] < 14
    if tile_url is None:
        assert "layers" not in layout
    else:
        assert layout["layers"] == [
            {"below": "traces", "sourcetype": "raster", "source": [tile_url]}
        ]
