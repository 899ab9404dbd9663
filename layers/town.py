"""The town model: level-1 grids (villages, communities), level-2 grids and their staff.

Grids are read with geopandas, so any OGR format works (GeoJSON, Shapefile, GeoPackage …): a
real town swaps in its own files by configuration. Everything is converted to WGS84 on load,
once, so the rest of the system never has to ask which CRS it holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
DATA_DIR = Path(__file__).resolve().parent / "data"
GRIDS_L1 = DATA_DIR / "grids_l1.geojson"
GRIDS_L2 = DATA_DIR / "grids_l2.geojson"
ROSTER = DATA_DIR / "roster.json"
TOWN_META = DATA_DIR / "town.json"

L1_COLUMNS = ("code", "name", "kind")
L1_KINDS = frozenset({"community", "village"})
# village_name is not required: it is taken from the level-1 file, the one source of truth
# for village names (and a Shapefile would truncate the column name to ten characters anyway).
L2_COLUMNS = ("code", "name", "village")
PERSON_FIELDS = ("role", "role_name", "name", "phone")
POLYGON, MULTIPOLYGON = 3, 6  # shapely type ids

# 一长五员: the six people of every level-2 grid, in display order.
ROLES: dict[str, str] = {
    "chief": "网格长",
    "member": "专职网格员",
    "inspector": "监督员",
    "informant": "信息员",
    "liaison": "联络员",
    "patroller": "巡查员",
}


class TownDataError(ValueError):
    """A town file cannot be used; the message names the file and what is wrong."""


class GridInfo(NamedTuple):
    code: str
    name: str
    village: str
    village_name: str


@dataclass(frozen=True)
class Person:
    role: str
    role_name: str
    name: str
    phone: str


@dataclass(frozen=True, eq=False)
class Town:
    """A loaded town; the frames are in EPSG:4326, indexed by grid code, and read-only by
    convention (they are shared by every caller of `default_town`)."""

    name: str
    l1: gpd.GeoDataFrame = field(repr=False)
    l2: gpd.GeoDataFrame = field(repr=False)
    roster: dict[str, list[Person]] = field(repr=False)
    centre: tuple[float, float]

    @classmethod
    def load(
        cls,
        l1_path: str | Path,
        l2_path: str | Path,
        roster_path: str | Path,
        *,
        name: str = "",
        centre: tuple[float, float] | None = None,
    ) -> Town:
        """Read, validate and convert the town's files; `centre` defaults to the centroid."""
        l1 = _read_grids(Path(l1_path), L1_COLUMNS)
        l2 = _read_grids(Path(l2_path), L2_COLUMNS)
        _check_l1_kinds(l1, Path(l1_path))
        _check_villages(l2, l1, Path(l2_path))
        village_names = l1["name"].reindex(l2["village"]).to_numpy()
        l2 = l2.assign(village_name=village_names)[["name", "village", "village_name", "geometry"]]
        roster = _read_roster(Path(roster_path), list(l2.index))
        return cls(name, l1, l2, roster, centre if centre is not None else town_centroid(l1))

    @cached_property
    def boundary(self) -> BaseGeometry:
        """The whole town as one (multi)polygon."""
        union: BaseGeometry = shapely.union_all(self.l1.geometry.to_numpy())
        return union

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat)."""
        west, south, east, north = (float(v) for v in self.l1.total_bounds)
        return west, south, east, north

    @cached_property
    def _infos(self) -> dict[str, GridInfo]:
        frame = self.l2
        return {
            code: GridInfo(code, name, village, village_name)
            for code, name, village, village_name in zip(
                frame.index, frame["name"], frame["village"], frame["village_name"], strict=True
            )
        }

    def grid_info(self, code: str) -> GridInfo:
        """Names of a level-2 grid and its village; KeyError for an unknown code."""
        try:
            return self._infos[code]
        except KeyError:
            raise KeyError(f"unknown level-2 grid code {code!r}") from None

    def info_frame(self) -> pd.DataFrame:
        """name, village, village_name of every level-2 grid, indexed by code (a copy)."""
        return pd.DataFrame(self.l2[["name", "village", "village_name"]])


@cache
def default_town() -> Town:
    """The shipped demo town (霞客镇, modelled on 徐霞客镇), loaded once per process."""
    meta: dict[str, Any] = json.loads(TOWN_META.read_text(encoding="utf-8"))
    lon, lat = meta["centre"]
    return Town.load(GRIDS_L1, GRIDS_L2, ROSTER, name=meta["name"], centre=(lon, lat))


def _read_grids(path: Path, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    try:
        frame = gpd.read_file(path)
    except (OSError, RuntimeError) as exc:
        raise TownDataError(f"{path}: cannot read grids: {exc}") from exc
    if frame.crs is None:
        raise TownDataError(
            f"{path}: no CRS; give the file one (e.g. a .prj next to a Shapefile) "
            "so that it can be converted to WGS84"
        )
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        found = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise TownDataError(f"{path}: missing required column {', '.join(missing)} (has: {found})")
    empty = [column for column in columns if frame[column].isna().any()]
    if empty:
        raise TownDataError(f"{path}: column {', '.join(empty)} has empty values")
    frame = frame.to_crs(WGS84)
    # Codes may come back as numbers from a Shapefile or GeoPackage: they are labels.
    frame[list(columns)] = frame[list(columns)].astype(str)
    _check_geometries(frame, path)
    return frame[[*columns, "geometry"]].set_index("code").sort_index()


def _check_geometries(frame: gpd.GeoDataFrame, path: Path) -> None:
    duplicated = sorted(set(frame["code"][frame["code"].duplicated()]))
    if duplicated:
        raise TownDataError(f"{path}: duplicate grid codes {', '.join(duplicated)}")
    geoms = frame.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(geoms), (POLYGON, MULTIPOLYGON))
    bad = frame["code"][~polygonal | ~shapely.is_valid(geoms)].tolist()
    if bad:
        raise TownDataError(f"{path}: grids {', '.join(bad)} are not valid (multi)polygons")


def _check_l1_kinds(l1: gpd.GeoDataFrame, path: Path) -> None:
    unknown = sorted(set(l1["kind"]) - L1_KINDS)
    if unknown:
        raise TownDataError(f"{path}: kind must be community or village, not {unknown}")


def _check_villages(l2: gpd.GeoDataFrame, l1: gpd.GeoDataFrame, path: Path) -> None:
    orphans = sorted(set(l2["village"]) - set(l1.index))
    if orphans:
        raise TownDataError(f"{path}: village codes {orphans} are not level-1 grids")


def _read_roster(path: Path, codes: list[str]) -> dict[str, list[Person]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TownDataError(f"{path}: cannot read roster: {exc}") from exc
    if not isinstance(raw, dict):
        raise TownDataError(f"{path}: the roster must map grid codes to lists of people")
    unknown = sorted(set(raw) - set(codes))
    if unknown:
        raise TownDataError(f"{path}: roster names unknown grids {unknown}")
    roster: dict[str, list[Person]] = {code: [] for code in codes}
    for code, people in raw.items():
        for person in people if isinstance(people, list) else [people]:
            fields = person if isinstance(person, dict) else {}
            missing = [f for f in PERSON_FIELDS if not isinstance(fields.get(f), str)]
            if missing:
                raise TownDataError(f"{path}: {code}: a person lacks {', '.join(missing)}")
            roster[code].append(Person(*(fields[f] for f in PERSON_FIELDS)))
    return roster


def town_centroid(grids: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[float, float]:
    """The centroid (lon, lat) of the union of `grids`, computed in the local UTM zone (a
    centroid computed in degrees is skewed)."""
    metric = grids.to_crs(grids.estimate_utm_crs())
    centre = gpd.GeoSeries([metric.union_all().centroid], crs=metric.crs).to_crs(WGS84)[0]
    return float(centre.x), float(centre.y)
