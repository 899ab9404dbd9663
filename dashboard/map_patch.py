"""The wall map's live traces as `dash.Patch`es: where they sit in the figure, and what a
patch writes into them (the case points with their halos, the choropleth's z).

The push (dashboard/push.py) decides when the map is patched and with which cases; this
module says how a change is written into the figure that dashboard/components/wall_map.py
built. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash import Patch

from dashboard.view import Point, case_point

POINT_ARRAYS = 6  # halo lon, lat; point lon, lat, colour, id
ZMAX_FLOOR = 5  # the choropleth's top colour needs this many open cases: one is not a fire
PointOp = tuple[str, int, Point | None]  # ("add" | "set" | "del", index, point)


@dataclass(frozen=True, slots=True)
class MapTraces:
    """Where the live traces sit in the figure's data, and the choropleth's grid order."""

    choropleth: int
    halo: int  # dark circles under the points, so that they stand out on any fill
    points: int
    locations: tuple[str, ...]


def zmax(z: Sequence[int]) -> int:
    return max(ZMAX_FLOOR, *z) if z else ZMAX_FLOOR


def z_values(grid: Mapping[str, int], locations: Sequence[str]) -> tuple[int, ...]:
    return tuple(int(grid.get(code, 0)) for code in locations)


def plan_points(
    order: Sequence[str], cases: Sequence[dict[str, Any]], *, max_points: int
) -> tuple[tuple[str, ...], list[PointOp]]:
    """Index operations on the point trace, in the order the browser must apply them."""
    points, ops = list(order), list[PointOp]()
    for case in cases:
        point, case_id = case_point(case), case["id"]
        if case_id in points:
            index = points.index(case_id)
            ops.append(("del", index, None) if point is None else ("set", index, point))
            if point is None:
                points.pop(index)
        elif point is not None:
            ops.append(("add", len(points), point))
            points.append(case_id)
    ops += [("del", 0, None)] * max(0, len(points) - max_points)
    return tuple(points[max(0, len(points) - max_points) :]), ops


def _trace_arrays(patch: Patch, traces: MapTraces) -> tuple[Any, ...]:
    """Every array a point lives in: the halo's position, then the point's own."""
    halo, data = patch["data"][traces.halo], patch["data"][traces.points]
    arrays = (data["lon"], data["lat"], data["marker"]["color"], data["customdata"])
    return halo["lon"], halo["lat"], *arrays


def _values(point: Point) -> tuple[Any, ...]:
    return point.lon, point.lat, point.lon, point.lat, point.colour, point.id


def _columns(points: Sequence[Point]) -> tuple[list[Any], ...]:
    rows = [_values(p) for p in points]
    return tuple([row[i] for row in rows] for i in range(POINT_ARRAYS))


def _write_z(patch: Patch, traces: MapTraces, z: Sequence[int]) -> None:
    patch["data"][traces.choropleth]["z"] = list(z)
    patch["data"][traces.choropleth]["zmax"] = zmax(z)


def ops_patch(traces: MapTraces, ops: Sequence[PointOp], z: Sequence[int] | None) -> Patch:
    """A patch applying `ops` to the point arrays (consecutive adds as one `extend` per
    array) and, unless None, setting z."""
    patch = Patch()
    arrays, pending = _trace_arrays(patch, traces), []
    for kind, index, point in [*ops, ("end", 0, None)]:
        if kind == "add" and point is not None:
            pending.append(point)
            continue
        for array, values in zip(arrays, _columns(pending) if pending else (), strict=False):
            array.extend(values)
        pending = []
        if kind == "set" and point is not None:
            for array, value in zip(arrays, _values(point), strict=True):
                array[index] = value
        elif kind == "del":
            for array in arrays:
                del array[index]
    if z is not None:
        _write_z(patch, traces, z)
    return patch


def whole_patch(traces: MapTraces, points: Sequence[Point], z: Sequence[int]) -> Patch:
    """Replace the live traces' arrays wholesale (only after a reconnect: state unknown)."""
    patch = Patch()
    halo, data = patch["data"][traces.halo], patch["data"][traces.points]
    halo["lon"], halo["lat"], data["lon"], data["lat"], colour, ids_ = _columns(points)
    data["marker"]["color"], data["customdata"] = colour, ids_
    _write_z(patch, traces, z)
    return patch
