"""Siting: where in the town each event belongs, for the engine — one grid query per batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from cases.model import Place, Siting
from core.event import Event
from layers.index import GridIndex
from layers.town import Town


class Siter(Protocol):
    def site(self, events: Sequence[Event]) -> list[Siting]: ...


class Geography:
    """The town's level-2 grids: points → grids, and a claimed grid → its centroid."""

    def __init__(self, town: Town) -> None:
        self.index = GridIndex.from_town(town)
        self.places: dict[str, Place] = {}
        self.centroids: dict[str, tuple[float, float]] = {}
        points = town.l2.geometry.representative_point()
        for code in town.l2.index:
            info = town.grid_info(code)
            self.places[code] = Place(code, info.name, info.village, info.village_name)
            self.centroids[code] = (float(points[code].x), float(points[code].y))

    def site(self, events: Sequence[Event]) -> list[Siting]:
        lon = np.array([np.nan if e.lon is None else e.lon for e in events], dtype=float)
        lat = np.array([np.nan if e.lat is None else e.lat for e in events], dtype=float)
        grids = self.index.assign(lon, lat) if events else []
        return [self._siting(e, g) for e, g in zip(events, grids, strict=True)]

    def _siting(self, event: Event, grid: str | None) -> Siting:
        claimed = event.attrs.get("grid_claimed") or None
        if event.lon is None or event.lat is None:
            if claimed in self.places:
                lon, lat = self.centroids[claimed]
                return Siting(self.places[claimed], lon, lat, ("location_from_grid",))
            return Siting(None, None, None, ("no_location",))
        place = self.places[grid] if grid else None
        flags = () if place else ("outside_town",)
        if claimed and place and claimed != place.grid:
            flags = ("grid_mismatch",)
        return Siting(place, event.lon, event.lat, flags)
