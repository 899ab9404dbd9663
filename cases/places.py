"""Point → Place, for the engine: one vectorised grid-index query per batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cases.engine import Locator
from cases.model import Place
from layers.index import GridIndex
from layers.town import Town


def town_locator(town: Town) -> Locator:
    """A Locator over the town's level-2 grids; None for no point or a point outside."""
    index = GridIndex.from_town(town)
    info = {code: town.grid_info(code) for code in town.l2.index}
    places = {code: Place(code, i.name, i.village, i.village_name) for code, i in info.items()}

    def locate(lons: Sequence[float | None], lats: Sequence[float | None]) -> list[Place | None]:
        lon = np.array([np.nan if v is None else v for v in lons], dtype=float)
        lat = np.array([np.nan if v is None else v for v in lats], dtype=float)
        return [places[c] if c else None for c in index.assign(lon, lat)]

    return locate
