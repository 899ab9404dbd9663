"""Incident areas the tests draw on the demo town."""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from layers.town import Town


def two_villages_area(town: Town, radius_deg: float = 0.008) -> BaseGeometry:
    """A polygon round the middle of the longest border two villages share, within those two
    villages only: it covers part of each (a CAP polygon's shape, as the tests send it)."""
    frame = town.l1
    best: tuple[float, str, str] = (0.0, "", "")
    for i, a in enumerate(frame.index):
        for b in frame.index[i + 1 :]:
            shared = frame.geometry[a].intersection(frame.geometry[b]).length
            best = max(best, (shared, a, b))
    _, a, b = best
    border = frame.geometry[a].intersection(frame.geometry[b])
    middle = border.interpolate(0.5, normalized=True)
    both = shapely.union(frame.geometry[a], frame.geometry[b])
    area: BaseGeometry = shapely.set_precision(middle.buffer(radius_deg).intersection(both), 1e-6)
    return area
