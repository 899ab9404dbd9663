"""The wall's push as a pure planner: `plan(state, reads, now) -> (state, messages)`.

`WallState` (frozen) is what the page holds (a `Mirror` of its queue rows, map points and
choropleth z), what each panel shows, the stream cursor, and the two paced links; `Reads` is
what dashboard/live.py's scheduler fetched (new cases with their view, the server's counts,
the browser's acknowledgements, the panels' data); the messages are the `set_props` to send.
No I/O here: production, the tests and bench/wall all run this planner.

Pacing: the queue's rows and the map are each a `Link` with at most one message in flight. A
change goes out at once when its link is free; the browser's acknowledgement (the mark of the
last rows message it applied, or of the last map patch it drew, sent on the page's rows
socket: dashboard/rows_link.py) frees it,
and what arrived meanwhile goes out merged in the next message. Rows are one ag-grid
transaction (add / update / remove: several in one WebSocket batch would lose rows); the map
one `dash.Patch` of the point trace and z, sent once the rows before it are applied and at
most once a second: a software-rendered 4K redraw takes about a second of the page's main
thread, and patches sent faster would queue in the browser.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from dash import Patch

from cases.counts import Counts
from dashboard import ids
from dashboard.components.notices import notice_children, notice_class, notice_items
from dashboard.components.panels import module_figures
from dashboard.components.ticker import ticker_children, ticker_class, ticker_items
from dashboard.components.trends import changed_charts
from dashboard.components.wall_map import alert_patch, overlay_patch
from dashboard.filters import CaseFilter
from dashboard.health import Notice
from dashboard.i18n import Lang
from dashboard.lights import Light
from dashboard.map_patch import MapTraces, ops_patch, plan_points, whole_patch, z_values
from dashboard.modules import ModuleData, compute
from dashboard.overlays import alert_areas
from dashboard.overlays import build as build_overlays
from dashboard.trends import TrendData
from dashboard.view import Point, case_point, case_row, is_open, reported_ms
from layers.sites import sites

Message = tuple[Any, dict[str, Any]]  # a component id and the props to set on it
STUCK_SECONDS = 30.0  # a link whose message is not acknowledged by then is free again
# A map redraw holds the page's main thread (a software-rendered 4K map: up to a second), and
# rows and acknowledgements wait behind it: the map is patched at most this often.
MAP_REST_SECONDS = 1.0
# A patch this close to the end of its rest goes with the rows' acknowledgement instead of
# after it: at that moment the page has just caught up and the next change is furthest away.
# (At a steady change a second, a patch sent only once its rest is over drifts, a little each
# time, into the moment the next change arrives, and holds its rows up.)
MAP_EARLY_SECONDS = 0.25
# Otherwise a patch, and the periodic panels, wait for a quiet moment (`quiet_from`): rows
# sent at least QUIET_SECONDS ago (the page has drawn them), and not within QUIET_SECONDS of
# the change a steady stream brings next (one gap between its last two changes after the
# last). A fixed quiet time ends, at some steady rate, just as that rate's next change comes
# (a second's quiet, at a change a second: the page was busy with the patch when that
# change's rows arrived).
QUIET_SECONDS = 0.3
# The periodic panels go anyway once this late.
PERIODIC_SLACK_SECONDS = 1.5
BEAT_SECONDS = 1.0
# Periodic reads: seconds between two. "alive" asks the page for a prop: tabs of one browser
# share one socket, so a closed tab never shuts it down; a page that does not answer is gone.
PERIODS: Mapping[str, float] = {
    "counts": 5.0, "lights": 5.0, "notices": 5.0, "alerts": 10.0, "modules": 10.0,
    "trends": 60.0, "alive": 60.0, "incident": 1.0,
}  # fmt: skip
# Read when due even under a steady stream of changes: an incident switches every wall
# within 2 s (its period and one step).
URGENT = frozenset({"incident"})


@dataclass(frozen=True, slots=True)
class Limits:
    """Browser memory is bounded: beyond these the oldest rows / points are dropped."""

    max_rows: int
    max_points: int


@dataclass(frozen=True, slots=True)
class Mirror:
    """What the browser holds: row id → report time (ms), point ids in trace order (oldest
    first), z (None: unknown), the rows that were late when sent (kept first)."""

    rows: Mapping[str, int] = field(default_factory=dict)
    points: tuple[str, ...] = ()
    z: tuple[int, ...] | None = None
    late: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Link:
    """One paced channel: the mark of the last message sent and of the last applied."""

    sent: int = 0
    acked: int | None = 0  # None: the page has not said (its grid is not up yet)
    at: float = 0.0  # when `sent` went out

    def free(self, now: float) -> bool:
        done = self.acked is not None and self.acked >= self.sent
        return done or now - self.at > STUCK_SECONDS

    def send(self, now: float) -> Link:
        """Marks grow across loops too (the clock goes on), so an old ack never frees a link."""
        return Link(max(int(now * 1000), self.sent + 1), self.acked, now)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Open cases (with their view) newest first, open counts per grid, the header's figures,
    and the stream position they were read at."""

    cursor: str = "0-0"
    cases: Sequence[dict[str, Any]] = ()
    grid: Mapping[str, int] = field(default_factory=dict)
    counts: Counts | None = None
    ok: bool = True  # False: Redis did not answer; the page renders empty and says so


@dataclass(frozen=True, slots=True)
class Reads:
    """What the scheduler read for one step; None: not read this time."""

    ok: bool = True  # False: Redis did not answer
    snapshot: Snapshot | None = None  # the whole state, for a page whose state is unknown
    cursor: str | None = None  # the last `case-events` entry read
    cases: Sequence[dict[str, Any]] = ()  # the cases those entries changed, with their view
    grid: Mapping[str, int] | None = None
    counts: Counts | None = None
    rows_ack: int | None = None
    map_ack: int | None = None
    hello: bool = False  # the page's rows link (re)opened
    alive: bool | None = None
    lights: list[Light] | None = None
    simulated: bool | None = None  # the simulator fed the centre lately (the 演示数据 mark)
    alerts: list[dict[str, Any]] | None = None
    notices: list[Notice] | None = None
    modules: ModuleData | None = None
    stations: tuple[Any, Any] | None = None  # the overlays' station readings and states
    trends: TrendData | None = None
    # The incident layer as read (dashboard/incident_mode.py): what it shows, its children
    # and its class.
    incident: tuple[dict[str, str], list[Any], str] | None = None


@dataclass(frozen=True, slots=True)
class WallState:
    lang: Lang
    cursor: str
    mirror: Mirror | None  # None: the browser's state is unknown (a reconnect): resync first
    rows: Link
    limits: Limits
    traces: MapTraces
    case_filter: CaseFilter = field(default_factory=CaseFilter)
    map: Link = field(default_factory=Link)
    map_pending: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    map_grid: Mapping[str, int] | None = None
    gap: float = float("inf")  # seconds between the last two rows messages
    beat: tuple[float, bool | None] = (0.0, None)  # when the last went out, and its ok
    due: Mapping[str, float] = field(default_factory=dict)  # periodic read → next time
    shown: Mapping[str, Any] = field(default_factory=dict)  # panel → what the page shows
    alive: bool = True
    marked: bool = False  # the page's cursor store no longer says fresh (cursor_message)


def start(
    lang: Lang, cursor: str, mirror: Mirror | None, *, limits: Limits, traces: MapTraces,
    case_filter: CaseFilter, now: float,
) -> WallState:  # fmt: skip
    """A loop's first state: rows wait for the page's grid (its first acknowledgement)."""
    due = {"alive": now + PERIODS["alive"]}
    return WallState(lang, cursor, mirror, Link(0, None, now), limits, traces, case_filter, due=due)


def with_acks(
    state: WallState, now: float, *, hello: bool, rows_ack: int | None, map_ack: int | None
) -> WallState:
    """The state once what the page said is in: its rows link (re)opened (`greeted`), and its
    acknowledgements (None: none came on that link). The scheduler and the planner both
    read the state through this."""
    state = greeted(state, now) if hello else state
    rows = state.rows if rows_ack is None else replace(state.rows, acked=rows_ack)
    return replace(state, rows=rows, map=state.map if map_ack is None else
                   replace(state.map, acked=map_ack))  # fmt: skip


def greeted(state: WallState, now: float) -> WallState:
    """The page's rows link opened: its grid is up. A loop that has sent it no rows may send
    them now; one that had (the link dropped and came back) cannot know which the page
    applied, and resyncs it."""
    if state.rows.sent == 0:
        return replace(state, rows=replace(state.rows, acked=0))
    return replace(state, mirror=None, rows=Link(0, 0, now))


def rows_lost(state: WallState, now: float) -> WallState:
    """A rows message could not go (the page's rows link is down): what the page holds is
    unknown from now on; once its link is back (`greeted`), it is resynced."""
    return replace(state, mirror=None, rows=Link(0, None, now))


def quiet_from(state: WallState, at: float) -> float:
    """The first quiet moment from `at` on: QUIET_SECONDS after the last rows went out, and
    not within QUIET_SECONDS of the change expected next (`WallState.gap` after the last)."""
    at = max(at, state.rows.at + QUIET_SECONDS)
    expected = state.rows.at + state.gap
    return expected + QUIET_SECONDS if abs(at - expected) < QUIET_SECONDS else at


def between_changes(state: WallState, now: float, *, rows_acked: bool = False) -> bool:
    """A moment between two changes: the page has just acknowledged rows (``rows_acked``), or
    a quiet one (`quiet_from`). The map's patch and the periodic panels keep to such moments,
    so that the page is not busy with them when the next change arrives."""
    return rows_acked or quiet_from(state, now) <= now


def wanted(
    state: WallState, now: float, *, changes: bool = False, rows_acked: bool = False
) -> set[str]:
    """The periodic reads due now: at a moment between two changes; otherwise (or in a step
    that read changes) only those late by PERIODIC_SLACK_SECONDS."""
    calm = not changes and between_changes(state, now, rows_acked=rows_acked)
    late_by = 0.0 if calm else PERIODIC_SLACK_SECONDS
    return {
        kind for kind in PERIODS
        if state.due.get(kind, 0.0) <= now - (0.0 if kind in URGENT else late_by)
    }  # fmt: skip


def periodic_at(state: WallState, now: float, *, rows_acked: bool = False) -> float:
    """When the next periodic reads may go (epoch seconds; `wanted`)."""
    due = min(state.due.values(), default=float("inf"))
    if between_changes(state, now, rows_acked=rows_acked):
        return due
    return min(due + PERIODIC_SLACK_SECONDS, quiet_from(state, due))


def closed_stub(case_id: str) -> dict[str, Any]:
    """Stands for a case that vanished from Redis (or a filter hides): dropped like a closed one."""
    return {"id": case_id, "status": "closed"}


def is_late(case: Mapping[str, Any]) -> bool:
    """Late on either clock as the case view said when read: such a row is kept first."""
    return bool(case.get("late"))


class View(NamedTuple):
    """A whole state of the wall (at page load, or on a resync)."""

    rows: list[dict[str, Any]]
    points: list[Point]
    z: tuple[int, ...]
    mirror: Mirror


def build_view(
    cases: Iterable[dict[str, Any]], grid: Mapping[str, int], *, lang: Lang, limits: Limits,
    locations: Sequence[str],
) -> View:  # fmt: skip
    """Capped rows (late ones first, then the newest), capped points (the newest), z."""
    open_cases = sorted((c for c in cases if is_open(c)), key=reported_ms, reverse=True)
    kept = sorted(open_cases, key=is_late, reverse=True)[: limits.max_rows]  # stable: newest
    found = (case_point(c) for c in open_cases)
    points = [p for p in found if p is not None][: limits.max_points][::-1]
    z = z_values(grid, locations)
    late = frozenset(c["id"] for c in kept if is_late(c))
    mirror = Mirror({c["id"]: reported_ms(c) for c in kept}, tuple(p.id for p in points), z, late)
    return View([case_row(c, lang) for c in kept], points, z, mirror)


def plan_rows(
    mirror: Mirror, cases: Sequence[dict[str, Any]], *, lang: Lang, max_rows: int, stamp: int
) -> tuple[Mirror, dict[str, Any] | None]:
    """One ag-grid transaction for these changed cases. Beyond `max_rows` the oldest rows go,
    late ones last. Added rows carry `stamp` (epoch ms) as `pushed_at`: the browser flashes
    a row new to it."""
    add: dict[str, dict[str, Any]] = {}
    update: dict[str, dict[str, Any]] = {}
    remove: set[str] = set()
    known, late = dict(mirror.rows), set(mirror.late)

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
            (add if new else update)[case_id] = case_row(case, lang) | (
                {"pushed_at": stamp} if new else {}
            )
            known[case_id] = reported_ms(case)
            (late.add if is_late(case) else late.discard)(case_id)
        elif case_id in known:
            drop(case_id)
    excess = max(0, len(known) - max_rows)
    for case_id in sorted(known, key=lambda i: (i in late, known[i]))[:excess]:
        drop(case_id)
    parts = {"add": list(add.values()), "update": list(update.values())}
    parts["remove"] = [{"id": i} for i in sorted(remove)]
    return replace(mirror, rows=known, late=frozenset(late)), {
        k: v for k, v in parts.items() if v
    } or None


def plan_map(
    mirror: Mirror, cases: Sequence[dict[str, Any]], grid: Mapping[str, int] | None, *,
    limits: Limits, traces: MapTraces,
) -> tuple[Mirror, Patch | None]:  # fmt: skip
    """The map patch for these changed cases and grid counts; None when nothing changed."""
    points, ops = plan_points(mirror.points, cases, max_points=limits.max_points)
    z = None if grid is None else z_values(grid, traces.locations)
    z = z if z is not None and z != mirror.z else None
    if not ops and z is None:
        return mirror, None
    return replace(mirror, points=points, z=z or mirror.z), ops_patch(traces, ops, z)


def mirror_to_store(
    mirror: Mirror, cursor: str, lang: Lang, *, fresh: bool,
    query: Mapping[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The cursor store's data: position, language, the queue filter (its address
    parameters, `CaseFilter.query()`); only a fresh page carries the mirror (once, at load)."""
    data: dict[str, Any] = {"cursor": cursor, "lang": lang, "filter": dict(query or {})}
    if fresh:
        late = sorted(mirror.late)
        data |= {"fresh": True, "rows": dict(mirror.rows), "points": list(mirror.points)}
        data |= {"overdue": late}
    return data


def mirror_from_store(data: Mapping[str, Any] | None) -> Mirror | None:
    """The mirror a fresh page carried, or None: the browser's state is unknown (resync)."""
    if not data or not data.get("fresh"):
        return None
    rows = {str(k): int(v) for k, v in dict(data.get("rows") or {}).items()}
    late = frozenset(str(i) for i in data.get("overdue") or []) & rows.keys()
    return Mirror(rows, tuple(str(i) for i in data.get("points") or []), None, frozenset(late))


KPIS = {"overdue": "response_overdue", "open": "open_total", "today": "today_total"}


def kpi_messages(shown: Counts | None, counts: Counts) -> list[Message]:
    """The header's figures that changed (all of them when what the page shows is unknown)."""
    return [
        (ids.wall_kpi(kind), {"children": str(getattr(counts, name))})
        for kind, name in KPIS.items()
        if shown is None or getattr(shown, name) != getattr(counts, name)
    ]


def shown_cases(cases: Sequence[dict[str, Any]], case_filter: CaseFilter) -> list[dict[str, Any]]:
    """The cases as this page sees them: one its filter hides reads as closed."""
    return [c if case_filter.matches(c) else closed_stub(c["id"]) for c in cases]


def cursor_message(state: WallState) -> Message:
    """The page's cursor store, no longer fresh: the store's mirror was used (once, by this
    loop), and a loop started again from it (a reconnect) resyncs. Sent once per loop: the
    store's cursor is read only with a fresh mirror, so each change need not update it."""
    query = state.case_filter.query()
    data = mirror_to_store(Mirror(), state.cursor, state.lang, fresh=False, query=query)
    return ids.WALL_PUSH_CURSOR, {"data": data}


def map_message(link: Link, patch: Patch, now: float) -> tuple[Link, Message]:
    """A figure change, marked (`layout.meta`) for the page's report of what it drew."""
    link = link.send(now)
    patch["layout"]["meta"] = link.sent
    return link, (ids.WALL_MAP, {"figure": patch})


def _resync(state: WallState, snap: Snapshot, now: float, out: list[Message]) -> WallState:
    """Whole rows and whole point arrays for a page whose state is unknown."""
    cases = [c for c in snap.cases if state.case_filter.matches(c)]
    view = build_view(
        cases, snap.grid, lang=state.lang, limits=state.limits, locations=state.traces.locations
    )
    rows = state.rows.send(now)
    out.append((ids.WALL_PUSH_ROWS, {"data": {"rowData": view.rows, "mark": rows.sent}}))
    link, message = map_message(state.map, whole_patch(state.traces, view.points, view.z), now)
    out.append(message)
    found = replace(state, mirror=view.mirror, cursor=snap.cursor, rows=rows, map=link)
    return replace(found, map_pending={}, map_grid=None)


def _changes(state: WallState, reads: Reads, now: float, out: list[Message]) -> WallState:
    """The rows' transaction for the cases read (at once: the scheduler reads only while the
    rows' link is free); the map's share waits in `map_pending` for its own link."""
    if state.mirror is None or reads.cursor is None:
        return state
    visible = shown_cases(reads.cases, state.case_filter)
    rows = state.rows.send(now)
    mirror, transaction = plan_rows(
        state.mirror, visible, lang=state.lang, max_rows=state.limits.max_rows, stamp=rows.sent
    )
    if transaction:
        out.append((ids.WALL_PUSH_ROWS, {"data": {"transaction": transaction, "mark": rows.sent}}))
    pending = {**state.map_pending, **{c["id"]: c for c in visible}}
    grid = state.map_grid if reads.grid is None else reads.grid
    state = replace(state, mirror=mirror, cursor=reads.cursor, map_pending=pending, map_grid=grid)
    if not transaction:
        return state
    return replace(state, rows=rows, gap=now - state.rows.at)


def map_waits(state: WallState) -> bool:
    """The map has changes the page has not been sent."""
    return bool(state.map_pending or state.map_grid is not None)


def map_rest_left(state: WallState, now: float, *, rows_acked: bool = False) -> float:
    """Seconds until the map's next patch may go (0: now), if its changes are waiting and the
    page has drawn its last patch and applied the last rows (inf otherwise): the redraw never
    holds rows up. With ``rows_acked`` (the page has just acknowledged rows) it may go a little
    early (MAP_EARLY_SECONDS); otherwise only at a quiet moment (`quiet_from`)."""
    if state.mirror is None or not map_waits(state):
        return float("inf")
    if not state.map.free(now) or not state.rows.free(now):
        return float("inf")
    left = state.map.at + MAP_REST_SECONDS - now
    if rows_acked and left <= MAP_EARLY_SECONDS:
        return 0.0
    return quiet_from(state, now + max(0.0, left)) - now


def _flush_map(state: WallState, now: float, out: list[Message], rows_acked: bool) -> WallState:
    """The map's changes since its last patch, once the page has drawn that one."""
    if state.mirror is None or map_rest_left(state, now, rows_acked=rows_acked) > 0:
        return state
    mirror, patch = plan_map(
        state.mirror, list(state.map_pending.values()), state.map_grid,
        limits=state.limits, traces=state.traces,
    )  # fmt: skip
    link = state.map
    if patch is not None:
        link, message = map_message(link, patch, now)
        out.append(message)
    return replace(state, mirror=mirror, map=link, map_pending={}, map_grid=None)


def _panels(state: WallState, reads: Reads, out: list[Message]) -> WallState:
    """The header's figures, lights, ticker, notices and trend charts: each sent only when it
    differs from what the page shows."""
    shown: dict[Any, Any] = dict(state.shown)
    lang = state.lang
    if reads.counts is not None:
        out += kpi_messages(shown.get("counts"), reads.counts)
        shown["counts"] = reads.counts
    if reads.lights is not None and reads.lights != shown.get("lights"):
        out.append((ids.WALL_PUSH_FEEDS, {"data": reads.lights}))
        shown["lights"] = reads.lights
    if reads.simulated is not None:
        shown["demo"] = reads.simulated  # goes with the beat
    if reads.alerts is not None and (items := ticker_items(reads.alerts, lang)) != shown.get(
        "alerts"
    ):
        props = {"children": ticker_children(items, lang), "className": ticker_class(items)}
        out.append((ids.WALL_HEADER_TICKER, props))
        shown["alerts"] = items
    if reads.notices is not None and (found := notice_items(reads.notices, lang)) != shown.get(
        "notices"
    ):
        props = {"children": notice_children(found), "className": notice_class(found)}
        out.append((ids.WALL_HEADER_NOTICES, props))
        shown["notices"] = found
    if reads.trends is not None:
        for name, figure in changed_charts(shown.get("trends"), reads.trends, lang):
            out.append((ids.wall_trend(name), {"figure": figure}))
        shown["trends"] = reads.trends
    if reads.incident is not None and reads.incident[0] != shown.get("incident"):
        seen, children, class_name = reads.incident
        out.append((ids.INCIDENT_VIEW, {"children": children, "className": class_name}))
        shown["incident"] = seen
    return replace(state, shown=shown)


def _modules(state: WallState, reads: Reads, now: float, out: list[Message]) -> WallState:
    """The module panels and the map's overlay layers that changed."""
    shown: dict[Any, Any] = dict(state.shown)
    lang, link = state.lang, state.map
    if reads.modules is not None:
        # Content-derived ids (`ids.module_figure`): Dash 4 does not re-render children pushed
        # twice to one place under the same ids.
        for module, figures in compute(reads.modules):
            if shown.get(("module", module.id)) != figures:
                children = module_figures(module.id, figures, lang)
                out.append((ids.wall_module_body(module.id), {"children": children}))
                shown[("module", module.id)] = figures
    if reads.modules is not None and reads.stations is not None:
        data, (readings, states) = reads.modules, reads.stations
        overlays = build_overlays(data.cases, data.count, readings, states, sites(), lang, data.now)
        if (patch := overlay_patch(shown.get("overlays"), overlays)) is not None:
            link, message = map_message(link, patch, now)
            out.append(message)
        shown["overlays"] = overlays
    return replace(state, shown=shown, map=link)


def _areas(state: WallState, reads: Reads, now: float, out: list[Message]) -> WallState:
    """The alerts' areas on the map, when the alerts in force changed them."""
    if reads.alerts is None:
        return state
    areas = alert_areas(reads.alerts)
    if areas == state.shown.get("areas"):
        return state
    link, message = map_message(state.map, alert_patch(areas), now)
    out.append(message)
    return replace(state, shown={**state.shown, "areas": areas}, map=link)


def plan(state: WallState, reads: Reads, now: float) -> tuple[WallState, list[Message]]:
    """What to send for what was read at `now` (epoch seconds), and the state after it."""
    out: list[Message] = []
    kinds = [k for k in PERIODS if getattr(reads, k, None) is not None]
    due = {**state.due, **{k: now + PERIODS[k] for k in kinds}}
    state = with_acks(state, now, hello=reads.hello, rows_ack=reads.rows_ack, map_ack=reads.map_ack)
    state = replace(state, due=due, alive=reads.alive is not False)
    if reads.snapshot is not None:
        state = _resync(state, reads.snapshot, now, out)
    elif reads.cursor is not None:
        state = _changes(state, reads, now, out)
    if (reads.snapshot is not None or reads.cursor is not None) and not state.marked:
        out.append(cursor_message(state))
        state = replace(state, marked=True)
    state = _flush_map(state, now, out, rows_acked=reads.rows_ack is not None)
    state = _areas(_modules(_panels(state, reads, out), reads, now, out), reads, now, out)
    if reads.ok != state.beat[1] or now - state.beat[0] >= BEAT_SECONDS:
        # `rows`: whether this loop has the page's rows link. A page whose rows socket reached
        # another server process than its Dash socket (no sticky balancing) gets beats and no
        # rows: it says so (the link-lost banner), it does not look live.
        beat = {"at": int(now * 1000), "ok": reads.ok, "rows": state.rows.acked is not None}
        if (demo := state.shown.get("demo")) is not None:
            beat["demo"] = demo  # the page shows its 演示数据 mark (assets/wall.js)
        out.append((ids.WALL_PUSH_BEAT, {"data": beat}))
        state = replace(state, beat=(now, reads.ok))
    return state, out
