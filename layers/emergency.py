"""What a town needs to know in an emergency: the people of each level-2 grid (常住 residents,
户籍 registered), and the places — vulnerable sites, shelters with their capacity, resources
with their contact.

Two files a town edits (`layers/data/population.csv`, `layers/data/emergency.geojson`, or any
OGR format for the places), checked on load against the town: a grid missing from the
population or one the town does not have, a place of an unknown kind, a shelter without a
capacity — each a `TownDataError` naming the file, so the centre does not start on bad data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from layers.town import DATA_DIR, WGS84, Town, TownDataError, default_town

POPULATION = DATA_DIR / "population.csv"
PLACES = DATA_DIR / "emergency.geojson"
POPULATION_COLUMNS = ("grid", "resident", "registered")
PLACE_COLUMNS = ("id", "layer", "kind", "name", "contact", "phone")
POINT = 0  # shapely type id

# kind → (layer, Chinese, English): the kinds of place the centre knows.
KINDS: dict[str, tuple[str, str, str]] = {
    "school": ("vulnerable", "学校", "school"),
    "kindergarten": ("vulnerable", "幼儿园", "kindergarten"),
    "nursing_home": ("vulnerable", "养老机构", "nursing home"),
    "clinic": ("vulnerable", "医疗机构", "clinic"),
    "shelter": ("shelter", "应急避难场所", "shelter"),
    "pump": ("resource", "排涝泵", "pump"),
    "sandbag_depot": ("resource", "防汛物资仓库", "sandbag depot"),
    "vehicle": ("resource", "应急车辆", "emergency vehicles"),
    "fire_rescue": ("resource", "消防救援", "fire and rescue"),
}
LAYERS = ("vulnerable", "shelter", "resource")


@dataclass(frozen=True, eq=False)
class Emergency:
    """`population`: resident and registered by level-2 grid code; `places`: one row per place
    (layer, kind, name, capacity, contact, phone) indexed by id, in WGS84. Read-only."""

    population: pd.DataFrame = field(repr=False)
    places: gpd.GeoDataFrame = field(repr=False)

    @classmethod
    def load(cls, population_path: str | Path, places_path: str | Path, town: Town) -> Emergency:
        return cls(
            _read_population(Path(population_path), list(town.l2.index)),
            _read_places(Path(places_path)),
        )

    def totals(self) -> dict[str, int]:
        return {c: int(self.population[c].sum()) for c in ("resident", "registered")}


@cache
def default_emergency() -> Emergency:
    """The shipped demo town's emergency data, loaded once per process."""
    return Emergency.load(POPULATION, PLACES, default_town())


def _read_population(path: Path, grids: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype={"grid": str}, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise TownDataError(f"{path}: cannot read the population: {exc}") from exc
    missing = [c for c in POPULATION_COLUMNS if c not in frame.columns]
    if missing:
        raise TownDataError(f"{path}: missing column {', '.join(missing)}")
    for column in ("resident", "registered"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame["grid"][values.isna() | (values < 0) | (values % 1 != 0)].tolist()
        if bad:
            raise TownDataError(f"{path}: {column} must be a whole number ≥ 0 (grids {bad})")
        frame[column] = values.astype(int)
    twice = sorted(set(frame["grid"][frame["grid"].duplicated()]))
    unknown = sorted(set(frame["grid"]) - set(grids))
    absent = sorted(set(grids) - set(frame["grid"]))
    for what, codes in (("twice", twice), ("not the town's", unknown), ("missing", absent)):
        if codes:
            raise TownDataError(f"{path}: grids {what}: {', '.join(codes)}")
    return frame.set_index("grid")[["resident", "registered"]].sort_index()


def _read_places(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_file(path)
    except (OSError, RuntimeError, ValueError) as exc:
        raise TownDataError(f"{path}: cannot read the places: {exc}") from exc
    if frame.crs is None:
        raise TownDataError(f"{path}: no CRS, so it cannot be converted to WGS84")
    missing = [c for c in PLACE_COLUMNS if c not in frame.columns]
    if missing:
        raise TownDataError(f"{path}: missing column {', '.join(missing)}")
    if "capacity" not in frame.columns:
        frame["capacity"] = None
    frame = frame.to_crs(WGS84)
    frame[list(PLACE_COLUMNS)] = frame[list(PLACE_COLUMNS)].astype(str)
    twice = sorted(set(frame["id"][frame["id"].duplicated()]))
    if twice:
        raise TownDataError(f"{path}: ids used twice: {', '.join(twice)}")
    for row in frame.itertuples():
        _check_place(path, row)
    capacity = pd.to_numeric(frame["capacity"], errors="coerce")
    frame["capacity"] = capacity.astype("Int64")
    return frame[[*PLACE_COLUMNS[1:], "capacity", "geometry"]].set_index(frame["id"])


def _check_place(path: Path, row: Any) -> None:
    place_id, layer, kind = (str(getattr(row, c)) for c in ("id", "layer", "kind"))
    if kind not in KINDS:
        raise TownDataError(
            f"{path}: {place_id}: unknown kind {kind!r} (known: {', '.join(KINDS)})"
        )
    if KINDS[kind][0] != layer:
        raise TownDataError(f"{path}: {place_id}: a {kind} belongs to layer {KINDS[kind][0]}")
    geometry = row.geometry
    if geometry is None or shapely.get_type_id(geometry) != POINT or geometry.is_empty:
        raise TownDataError(f"{path}: {place_id}: the geometry must be a point")
    if layer == "shelter":
        capacity = pd.to_numeric(row.capacity, errors="coerce")
        if pd.isna(capacity) or capacity <= 0 or capacity % 1:
            raise TownDataError(f"{path}: {place_id}: a shelter needs a capacity (people) > 0")
