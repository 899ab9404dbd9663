"""The pure heart of the wall's push: changed cases → one grid transaction and one map patch.

The server keeps a `Mirror` of what the browser holds (queue row ids, map point ids in trace
order, the choropleth's z), so each tick sends only changes: an ag-grid transaction
(add / update / remove, all in one: several in one WebSocket batch lose rows) and a
`dash.Patch` of the point trace and the z array. No I/O here: unit tests drive it directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dash import Patch

from dashboard.i18n import Lang
from dashboard.view import Point, case_point, case_row, is_open, reported_ms


@dataclass(frozen=True, slots=True)
class Limits:
    """Browser memory is bounded: beyond these the oldest rows / points are dropped."""

    max_rows: int
    max_points: int


@dataclass(frozen=True, slots=True)
class MapTraces:
    """Where the live traces sit in the figure's data, and the choropleth's grid order."""

    choropleth: int
    halo: int  # dark circles under the points, so that they stand out on any fill
    points: int
    locations: tuple[str, ...]


@dataclass(slots=True)
class Mirror:
    """What the browser holds right now."""

    rows: dict[str, int] = field(default_factory=dict)  # row id → report time (ms)
    points: list[str] = field(default_factory=list)  # point ids, trace order (oldest first)
    z: list[int] | None = None  # None: unknown, the next tick sends it
    overdue: set[str] = field(default_factory=set)  # rows overdue when last sent: kept first


class Tick(NamedTuple):
    transaction: dict[str, Any] | None
    patch: Patch | None


class View(NamedTuple):
    """A whole state of the wall (at page load, or on a resync)."""

    rows: list[dict[str, Any]]
    points: list[Point]
    z: list[int]
    mirror: Mirror


PointOp = tuple[str, int, Point | None]  # ("add" | "set" | "del", index, point)
POINT_ARRAYS = 6  # halo lon, lat; point lon, lat, colour, id


ZMAX_FLOOR = 5  # the choropleth's top colour needs this many open cases: one is not a fire


def zmax(z: Sequence[int]) -> int:
    return max(ZMAX_FLOOR, *z) if z else ZMAX_FLOOR


def z_values(counts: Mapping[str, int], locations: Sequence[str]) -> list[int]:
    return [int(counts.get(code, 0)) for code in locations]


def closed_stub(case_id: str) -> dict[str, Any]:
    """Stands for a case that vanished from Redis: the wall drops it like a closed one."""
    return {"id": case_id, "status": "closed"}


def is_late(case: Mapping[str, Any]) -> bool:
    """Overdue as the case was read (first response or handling): such a row is kept first."""
    return bool(case.get("overdue") or case.get("handling_overdue"))


def build_view(
    cases: Iterable[dict[str, Any]],
    counts: Mapping[str, int],
    *,
    lang: Lang,
    limits: Limits,
    locations: Sequence[str],
) -> View:
    """The wall for these open cases: capped rows (overdue kept first, then the newest),
    capped points (the newest), z."""
    open_cases = [c for c in cases if is_open(c)]
    open_cases.sort(key=reported_ms, reverse=True)
    kept = sorted(open_cases, key=is_late, reverse=True)[: limits.max_rows]  # stable: newest
    rows = [case_row(c, lang) for c in kept]
    found = (case_point(c) for c in open_cases)
    points = [p for p in found if p is not None][: limits.max_points][::-1]
    z = z_values(counts, locations)
    known = {c["id"]: reported_ms(c) for c in kept}
    late = {c["id"] for c in kept if is_late(c)}
    return View(rows, points, z, Mirror(known, [p.id for p in points], z, late))


def plan_rows(
    mirror: Mirror,
    cases: Sequence[dict[str, Any]],
    *,
    lang: Lang,
    max_rows: int,
    stamp: int | None = None,
) -> dict[str, Any] | None:
    """One ag-grid transaction for these changed cases; updates `mirror.rows`.

    Beyond `max_rows` the oldest rows go, overdue ones last. Added rows carry `stamp` (the
    server's epoch ms) as `pushed_at`: the browser flashes a row that is new to it.
    """
    add: dict[str, dict[str, Any]] = {}
    update: dict[str, dict[str, Any]] = {}
    remove: set[str] = set()
    known, late = mirror.rows, mirror.overdue

    def drop(case_id: str) -> None:
        del known[case_id]
        late.discard(case_id)
        if add.pop(case_id, None) is None:
            update.pop(case_id, None)
            remove.add(case_id)

    for case in cases:
        case_id = case["id"]
        if is_open(case):
            new = case_id in add or case_id not in known
            row = case_row(case, lang)
            (add if new else update)[case_id] = row
            if new and stamp is not None:
                row["pushed_at"] = stamp
            known[case_id] = reported_ms(case)
            (late.add if is_late(case) else late.discard)(case_id)
        elif case_id in known:
            drop(case_id)
    excess = max(0, len(known) - max_rows)
    for case_id in sorted(known, key=lambda i: (i in late, known[i]))[:excess]:
        drop(case_id)
    parts = {
        "add": list(add.values()),
        "update": list(update.values()),
        "remove": [{"id": i} for i in sorted(remove)],
    }
    found = {k: v for k, v in parts.items() if v}
    return found or None


def plan_points(
    mirror: Mirror, cases: Sequence[dict[str, Any]], *, max_points: int
) -> list[PointOp]:
    """Index operations on the point trace, in the order the browser must apply them."""
    order = mirror.points
    ops: list[PointOp] = []
    for case in cases:
        point, case_id = case_point(case), case["id"]
        if case_id in order:
            index = order.index(case_id)
            if point is not None:
                ops.append(("set", index, point))
            else:
                ops.append(("del", index, None))
                order.pop(index)
        elif point is not None:
            ops.append(("add", len(order), point))
            order.append(case_id)
    while len(order) > max_points:
        ops.append(("del", 0, None))
        order.pop(0)
    return ops


def _trace_arrays(patch: Patch, traces: MapTraces) -> tuple[Any, ...]:
    """Every array a point lives in: the halo's position, then the point's own."""
    halo, data = patch["data"][traces.halo], patch["data"][traces.points]
    arrays = (data["lon"], data["lat"], data["marker"]["color"], data["customdata"])
    return halo["lon"], halo["lat"], *arrays


def _values(point: Point) -> tuple[Any, ...]:
    """One point's values, in the order of `_trace_arrays`."""
    return point.lon, point.lat, point.lon, point.lat, point.colour, point.id


def _columns(points: Sequence[Point]) -> tuple[list[Any], ...]:
    """The arrays of `_trace_arrays` for these points."""
    rows = [_values(p) for p in points]
    return tuple([row[i] for row in rows] for i in range(POINT_ARRAYS))


def apply_point_ops(patch: Patch, traces: MapTraces, ops: Sequence[PointOp]) -> None:
    """Write `ops` into `patch`; consecutive adds go out as one `extend` per array."""
    arrays = _trace_arrays(patch, traces)
    pending: list[Point] = []

    def flush() -> None:
        if pending:
            for array, values in zip(arrays, _columns(pending), strict=True):
                array.extend(values)
            pending.clear()

    for kind, index, point in ops:
        if kind == "add" and point is not None:
            pending.append(point)
            continue
        flush()
        if kind == "set" and point is not None:
            for array, value in zip(arrays, _values(point), strict=True):
                array[index] = value
        elif kind == "del":
            for array in arrays:
                del array[index]
    flush()


def plan_map(
    mirror: Mirror,
    cases: Sequence[dict[str, Any]],
    counts: Mapping[str, int] | None,
    *,
    limits: Limits,
    traces: MapTraces,
) -> Patch | None:
    """The map patch for these changed cases and grid counts; None when nothing changed."""
    ops = plan_points(mirror, cases, max_points=limits.max_points)
    z = None if counts is None else z_values(counts, traces.locations)
    changed_z = z is not None and z != mirror.z
    if not ops and not changed_z:
        return None
    patch = Patch()
    apply_point_ops(patch, traces, ops)
    if changed_z and z is not None:
        patch["data"][traces.choropleth]["z"] = z
        patch["data"][traces.choropleth]["zmax"] = zmax(z)
        mirror.z = z
    return patch


def plan_tick(
    mirror: Mirror,
    cases: Sequence[dict[str, Any]],
    counts: Mapping[str, int] | None,
    *,
    lang: Lang,
    limits: Limits,
    traces: MapTraces,
    stamp: int | None = None,
) -> Tick:
    """Everything one tick sends for these changed cases; `mirror` follows the browser."""
    transaction = plan_rows(mirror, cases, lang=lang, max_rows=limits.max_rows, stamp=stamp)
    return Tick(transaction, plan_map(mirror, cases, counts, limits=limits, traces=traces))


def resync_patch(view: View, traces: MapTraces) -> Patch:
    """Replace the live traces' arrays wholesale (only after a reconnect: state unknown)."""
    patch = Patch()
    halo, data = patch["data"][traces.halo], patch["data"][traces.points]
    halo["lon"], halo["lat"], data["lon"], data["lat"], colour, ids = _columns(view.points)
    data["marker"]["color"], data["customdata"] = colour, ids
    patch["data"][traces.choropleth]["z"] = view.z
    patch["data"][traces.choropleth]["zmax"] = zmax(view.z)
    return patch


def mirror_to_store(
    mirror: Mirror,
    cursor: str,
    lang: Lang,
    *,
    fresh: bool,
    query: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The cursor store's data: position, language, the queue filter (its address
    parameters, `CaseFilter.query()`); only a fresh page carries the mirror (once, at load)."""
    data: dict[str, Any] = {"cursor": cursor, "lang": lang, "filter": dict(query or {})}
    if fresh:
        overdue = sorted(mirror.overdue)
        data |= {"fresh": True, "rows": mirror.rows, "points": mirror.points, "overdue": overdue}
    return data


def mirror_from_store(data: Mapping[str, Any] | None) -> Mirror | None:
    """The mirror a fresh page carried, or None: the browser's state is unknown (resync)."""
    if not data or not data.get("fresh"):
        return None
    rows = {str(k): int(v) for k, v in dict(data.get("rows") or {}).items()}
    late = {str(i) for i in data.get("overdue") or []} & rows.keys()
    return Mirror(rows, [str(i) for i in data.get("points") or []], None, late)
