"""Point → level-2 grid assignment: one STRtree over the grids, queried in batches.

This is on the case engine's hot path, so a batch is one vectorised tree query; there is no
loop over points in Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from layers.town import WGS84

if TYPE_CHECKING:
    import geopandas as gpd

    from layers.town import Town


class GridIndex:
    """Assigns WGS84 lon/lat points to the codes of the grids of a GeoDataFrame."""

    def __init__(self, grids: gpd.GeoDataFrame) -> None:
        """`grids`: polygons in EPSG:4326 indexed by code (like `Town.l2`)."""
        if grids.crs is None or not grids.crs.equals(WGS84):
            raise ValueError(f"GridIndex needs grids in {WGS84}, got {grids.crs}")
        geoms = grids.geometry.to_numpy()
        self._tree = shapely.STRtree(geoms)
        # Position len(grids) stands for "no grid", so one fancy index maps hits to answers.
        self._none = len(geoms)
        self._answers: NDArray[np.object_] = np.array([*map(str, grids.index), None], dtype=object)

    @classmethod
    def from_town(cls, town: Town) -> GridIndex:
        return cls(town.l2)

    def __len__(self) -> int:
        return self._none

    def assign(self, lons: ArrayLike, lats: ArrayLike) -> list[str | None]:
        """The grid code of each point, None outside every grid (or for NaN coordinates).

        A point on a shared border lies in several grids: the one first in the index wins,
        deterministically.
        """
        x = np.asarray(lons, dtype=np.float64).ravel()
        y = np.asarray(lats, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"{x.size} longitudes but {y.size} latitudes")
        hits: NDArray[np.intp] = self._tree.query(shapely.points(x, y), predicate="intersects")
        best = np.full(x.size, self._none, dtype=np.intp)
        np.minimum.at(best, hits[0], hits[1])
        answers: list[str | None] = self._answers[best].tolist()
        return answers

    def assign_one(self, lon: float | None, lat: float | None) -> str | None:
        """The grid code of one point (None for a missing coordinate)."""
        if lon is None or lat is None:
            return None
        return self.assign([lon], [lat])[0]

    def __repr__(self) -> str:
        return f"GridIndex({self._none} grids)"
