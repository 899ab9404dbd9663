"""Every component id of the dashboard, in one place: `<page>-<area>-<role>`, kebab case (the
incident layer, shown on several pages, is its own `incident-<role>`).

Static ids are constants; repeated widgets get dict-id factories (pattern-matching ids).
No id string is typed anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The wall (/wall): header
WALL_ROOT = "wall-root"
WALL_HEADER_TITLE = "wall-header-title"
WALL_HEADER_CLOCK = "wall-header-clock"
WALL_HEADER_LINK = "wall-header-link"
WALL_HEADER_LINK_TEXT = "wall-header-link-text"
WALL_HEADER_FEEDS = "wall-header-feeds"
WALL_HEADER_TICKER = "wall-header-ticker"  # the scrolling track of live CAP alert headlines
WALL_HEADER_LANG = "wall-header-lang"  # the other language, same filters
# The centre's own health (dashboard/health.py): a strip over the data, hidden when all is well
WALL_HEADER_NOTICES = "wall-header-notices"

# The wall: live queue (left), map (centre, with its legend), module panels (right column),
# trend charts (bottom band); the last two are containers that other builders fill.
WALL_QUEUE_GRID = "wall-queue-grid"
WALL_QUEUE_FILTER = "wall-queue-filter"
WALL_MAP = "wall-map"
WALL_MAP_LEGEND = "wall-map-legend"
# The legend's on/off button of each map layer (dashboard/components/wall_map.py)
WALL_LAYER_GRIDS = "wall-layer-grids"
WALL_LAYER_CASES = "wall-layer-cases"
WALL_LAYER_STATIONS = "wall-layer-stations"
WALL_LAYER_ENTERPRISES = "wall-layer-enterprises"
WALL_LAYER_TEAMS = "wall-layer-teams"
WALL_LAYER_ALERTS = "wall-layer-alerts"
WALL_MODULES = "wall-modules-body"
WALL_TRENDS = "wall-trends-body"
WALL_TREND_REPORTS = "wall-trend-reports"  # the trend charts (dashboard/components/trends.py)
WALL_TREND_INTAKE = "wall-trend-intake"
WALL_MODULES_PAGE = "wall-modules-page"  # "1/3": the page of panels shown (wall.js rotates)

# The wall: the push link lost (or its data source down): a banner over the stale data
WALL_LINK_BANNER = "wall-link-banner"
WALL_LINK_NUDGE = "wall-link-nudge"  # written by the browser: asks the socket to reconnect

# The wall: push plumbing (stores and the browser-side 1 s tick)
WALL_PUSH_CURSOR = "wall-push-cursor"
WALL_PUSH_BEAT = "wall-push-beat"
WALL_PUSH_FEEDS = "wall-push-feeds"
# The queue's changes (a grid transaction, or all rows): not a component, the name of the
# planner's messages that go on the page's rows socket (dashboard/rows_link.py), not through Dash
WALL_PUSH_ROWS = "wall-push-rows"
WALL_PAGE_CONFIG = "wall-page-config"
WALL_CLOCK_TICK = "wall-clock-tick"

# The admin desk page (/admin): ingest health and dead letters
ADMIN_ROOT = "admin-root"
ADMIN_HEADER_UPDATED = "admin-header-updated"
ADMIN_FEEDS_GRID = "admin-feeds-grid"
ADMIN_DEAD_GRID = "admin-dead-grid"
ADMIN_DEAD_DETAIL = "admin-dead-detail"
ADMIN_COUNTS_GRID = "admin-counts-grid"
ADMIN_PAGE_CONFIG = "admin-page-config"
ADMIN_REFRESH_TICK = "admin-refresh-tick"
ADMIN_REFRESH_DIGEST = "admin-refresh-digest"
ADMIN_QUARANTINE_GRID = "admin-quarantine-grid"
ADMIN_QUARANTINE_DETAIL = "admin-quarantine-detail"
ADMIN_QUARANTINE_COUNT = "admin-quarantine-count"
ADMIN_QUARANTINE_TICK = "admin-quarantine-tick"
ADMIN_QUARANTINE_DIGEST = "admin-quarantine-digest"

# Types of the dict ids of repeated widgets
KPI_TILE_TYPE = "wall-header-kpi"
FEED_LIGHT_TYPE = "wall-header-feed"
FEED_AGE_TYPE = "wall-header-feed-age"
TICKER_ITEM_TYPE = "wall-header-ticker-item"
MODULE_PANEL_TYPE = "wall-modules-panel"
MODULE_BODY_TYPE = "wall-modules-figures"
MODULE_FIGURE_TYPE = "wall-modules-figure"
NOTICE_ITEM_TYPE = "wall-header-notice"


def wall_kpi(kind: str) -> dict[str, str]:
    """The value element of one KPI tile of the wall (kind: open, today, overdue)."""
    return {"type": KPI_TILE_TYPE, "kind": kind}


def feed_light(feed: Any) -> dict[str, Any]:
    """One feed's link light in the wall header (its class says live, silent or never).

    `feed` is a feed name, or `dash.ALL` in a callback that updates every light.
    """
    return {"type": FEED_LIGHT_TYPE, "feed": feed}


def feed_age(feed: Any) -> dict[str, Any]:
    """The age text of one feed's link light ("3分钟前"), ticked by the browser."""
    return {"type": FEED_AGE_TYPE, "feed": feed}


def ticker_item(key: str) -> dict[str, str]:
    """One headline of the alert ticker; `key` changes with its content.

    The push replaces the ticker's children: Dash 4 re-renders a child pushed a second time
    at the same place only when its React key (its id) is new, so the id names the content.
    """
    return {"type": TICKER_ITEM_TYPE, "key": key}


def notice_item(key: str) -> dict[str, str]:
    """One notice of the health strip; `key` changes with its content (see `ticker_item`)."""
    return {"type": NOTICE_ITEM_TYPE, "key": key}


def wall_module(module: str) -> dict[str, str]:
    """One module's panel in the right-hand column (dashboard.modules)."""
    return {"type": MODULE_PANEL_TYPE, "module": module}


def wall_module_body(module: str) -> dict[str, str]:
    """The figures container of one module's panel: the push replaces its children."""
    return {"type": MODULE_BODY_TYPE, "module": module}


def module_figure(key: str) -> dict[str, str]:
    """One figure of a module panel; `key` changes with its content (see `ticker_item`)."""
    return {"type": MODULE_FIGURE_TYPE, "key": key}


def wall_trend(name: str) -> str:
    """One trend chart of the bottom band; the push replaces its figure."""
    return {"reports": WALL_TREND_REPORTS, "intake": WALL_TREND_INTAKE}[name]


def wall_layer(name: str) -> str:
    """The legend's button that turns one map layer off and on."""
    return {
        "grids": WALL_LAYER_GRIDS, "cases": WALL_LAYER_CASES, "stations": WALL_LAYER_STATIONS,
        "enterprises": WALL_LAYER_ENTERPRISES, "teams": WALL_LAYER_TEAMS,
        "alerts": WALL_LAYER_ALERTS,
    }[name]  # fmt: skip


# The duty officer's console (/console): filters, the queue, the case panel and its actions
CONSOLE_ROOT = "console-root"
CONSOLE_LOCATION = "console-location"  # the address: filters and the case shown
CONSOLE_LATE = "console-filter-late"
CONSOLE_QUEUE = "console-queue-grid"
CONSOLE_COUNT = "console-queue-count"
CONSOLE_CASE = "console-case-body"
CONSOLE_ACTIONS = "console-case-actions"
CONSOLE_OUTCOME = "console-case-outcome"
CONSOLE_REASON = "console-case-reason"
CONSOLE_DEPARTMENT = "console-case-department"
CONSOLE_DEADLINE = "console-case-deadline"
CONSOLE_PARENT = "console-case-parent"
CONSOLE_ACTION = "console-case-action"  # the type of each action button's id
CONSOLE_CONFIG = "console-page-config"
CONSOLE_SELECTED = "console-case-selected"
CONSOLE_SENT = "console-queue-sent"
CONSOLE_SHOWN = "console-case-shown"  # the digests of the case and the buttons shown
CONSOLE_DONE = "console-case-done"  # bumped after each action: the reads run again at once
CONSOLE_TICK = "console-tick"
CONSOLE_LANG = "console-header-lang"  # the other language, the same view


def console_filter(name: str) -> str:
    """The filter of one facet (village, grid, category, stage, department, level)."""
    return f"console-filter-{name}"


@dataclass(frozen=True, slots=True)
class FormIds:
    """The ids of a page's action form (dashboard/components/case_panel.action_form)."""

    reason: str
    department: str
    deadline: str
    parent: str
    action: str  # the type of each action button's id

    def button(self, action: str, kind: str) -> dict[str, str]:
        """An action button: ``kind`` is do, or pass / fail for verify."""
        return {"type": self.action, "action": action, "kind": kind}


CONSOLE_FORM = FormIds(
    CONSOLE_REASON, CONSOLE_DEPARTMENT, CONSOLE_DEADLINE, CONSOLE_PARENT, CONSOLE_ACTION
)

# The leaders' tablet (/tablet): the address says the view (town, village, grid, case,
# analysis); one container holds it, redrawn when the address or the data change.
TABLET_ROOT = "tablet-root"
TABLET_LOCATION = "tablet-location"
TABLET_VIEW = "tablet-view-body"
TABLET_ACTIONS = "tablet-case-actions"
TABLET_TOWN_KPIS = "tablet-town-kpis"  # the town's KPI tiles
TABLET_CONFIG = "tablet-page-config"
TABLET_SHOWN = "tablet-view-shown"  # the digest of the view shown (redrawn only on a change)
TABLET_TICK = "tablet-tick"
TABLET_LANG = "tablet-header-lang"  # the other language, the same view
TABLET_OUTCOME = "tablet-case-outcome"
TABLET_SCROLLED = "tablet-view-scrolled"  # the address last scrolled to the top for
TABLET_DONE = "tablet-case-done"  # bumped after each action: the view is read again at once
TABLET_FORM = FormIds(
    "tablet-case-reason",
    "tablet-case-department",
    "tablet-case-deadline",
    "tablet-case-parent",
    "tablet-case-action",
)

# The incident layout (dashboard/incident_mode.py), on the wall, the console and the tablet:
# shown over the page while an incident is active.
INCIDENT_VIEW = "incident-view"
INCIDENT_SHOWN = "incident-shown"  # the digest of what the layout shows
INCIDENT_CONFIG = "incident-config"  # the page's language and whether it may end incidents
INCIDENT_TICK = "incident-tick"
INCIDENT_END = "incident-end"
INCIDENT_OUTCOME = "incident-outcome"

# The wall's replay (/wall?replay=<from>/<to>&speed=N, dashboard/pages/replay.py)
WALL_REPLAY_ROOT = "wall-replay-root"
WALL_REPLAY_CLOCK = "wall-replay-clock"  # the moment being shown
WALL_REPLAY_COUNTS = "wall-replay-counts"
WALL_REPLAY_QUEUE = "wall-replay-queue"
WALL_REPLAY_ALERTS = "wall-replay-alerts"
WALL_REPLAY_INCIDENTS = "wall-replay-incidents"
WALL_REPLAY_CONFIG = "wall-replay-config"
WALL_REPLAY_SHOWN = "wall-replay-shown"
WALL_REPLAY_TICK = "wall-replay-tick"

# The tablet's emergency view (?view=emergency): a leader declares an incident
TABLET_DECLARE_TITLE = "tablet-declare-title"
TABLET_DECLARE_WHERE = "tablet-declare-where"
TABLET_DECLARE_RADIUS = "tablet-declare-radius"
TABLET_DECLARE_BUTTON = "tablet-declare-button"
TABLET_DECLARE_OUTCOME = "tablet-declare-outcome"
