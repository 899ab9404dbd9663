"""Every component id of the dashboard, in one place: `<page>-<area>-<role>`, kebab case.

Static ids are constants; repeated widgets get dict-id factories (pattern-matching ids).
No id string is typed anywhere else.
"""

from __future__ import annotations

# The wall (/wall): header
WALL_ROOT = "wall-root"
WALL_HEADER_TITLE = "wall-header-title"
WALL_HEADER_CLOCK = "wall-header-clock"
WALL_HEADER_LINK = "wall-header-link"
WALL_HEADER_LINK_TEXT = "wall-header-link-text"

# The wall: live queue (left), map (centre, with its legend)
WALL_QUEUE_GRID = "wall-queue-grid"
WALL_MAP = "wall-map"
WALL_MAP_LEGEND = "wall-map-legend"

# The wall: push plumbing (stores and the browser-side 1 s tick)
WALL_PUSH_CURSOR = "wall-push-cursor"
WALL_PUSH_BEAT = "wall-push-beat"
WALL_PAGE_CONFIG = "wall-page-config"
WALL_CLOCK_TICK = "wall-clock-tick"

KPI_TILE_TYPE = "wall-header-kpi"


def wall_kpi(kind: str) -> dict[str, str]:
    """The value element of one KPI tile of the wall (kind: open, today, overdue)."""
    return {"type": KPI_TILE_TYPE, "kind": kind}
