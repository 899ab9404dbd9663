"""Colours of the wall, shared by the map, the legend and the stylesheet's intent."""

from __future__ import annotations

from typing import Final

# One colour per category group (cases.categories.GROUPS), readable on the dark map.
GROUP_COLOURS: Final[dict[str, str]] = {
    "order": "#ffb020",
    "environment": "#3ddc84",
    "facility": "#4fc3f7",
    "construction": "#b388ff",
    "emergency": "#ff4d4f",
    "governance": "#f06292",
    "ecology": "#9ccc65",
    "water": "#29b6f6",
    "safety": "#ff7043",
    "alert": "#e040fb",
    "module": "#90a4ae",
    "other": "#cfd8dc",
}
MAP_BACKGROUND: Final = "#0b1a2b"
# The one CJK font stack: Debian/Linux (Noto Sans CJK, Source Han Sans), Windows (Microsoft
# YaHei), macOS (PingFang SC). The stylesheets hold it as `--font` (a unit test keeps them
# equal); ag-grid themes take the variable, so the queue reads the same stack.
FONT_STACK: Final = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
)
FONT_VAR: Final = "var(--font)"
POINT_OUTLINE: Final = "#0b1a2b"


def group_colour(group: str) -> str:
    return GROUP_COLOURS.get(group, GROUP_COLOURS["other"])
