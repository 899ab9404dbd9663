"""Geography: the town model (grids, staff), the point → grid index and the map traces.

`layers.traces` is not imported here so that the case engine does not pull in plotly.
"""

from __future__ import annotations

from layers.index import GridIndex
from layers.town import GridInfo, Person, Town, TownDataError, default_town

__all__ = ["GridIndex", "GridInfo", "Person", "Town", "TownDataError", "default_town"]
