"""Every use of Dash's internals on the server side; assets/framework.js holds the browser's.

Everything else in the project uses public API, and calls this module where it cannot. Each use
below says why it is needed and the version it was checked against (the installed versions
in `CHECKED_AGAINST`). tests/unit/test_framework.py (server side) and
tests/browser/test_framework.py (browser side) fail, naming the internal and this module, when
an upgrade removes or changes one.

Checked and public, so not here: `Dash(backend="fastapi")` on our own FastAPI,
`app.get_relative_path` / `strip_relative_path`, `dash.get_app`, persistent WebSocket callbacks
and `set_props`, `Patch`, clientside callbacks and `dash_clientside.set_props` /
`no_update` / `callback_context`, `window.dash_component_api.getLayout` (Dash 3 added it for
components and tests), dash-ag-grid's `dashAgGridFunctions` and `dash_ag_grid.getApi` (its
exports; framework.js wraps the latter only so that ag-grid is reached from one place).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from dash import Dash, get_app
from dash.exceptions import AppNotFoundError

CHECKED_AGAINST: Final[Mapping[str, str]] = {
    "dash": "4.4.1",
    "dash-ag-grid": "35.3.0",
    "plotly": "7.1.0",
}

# The renderer's own requests at page load (dash-renderer: `apiThunk`, URL = the app's
# requests_pathname_prefix + route): the page's tree and its callbacks. An undocumented
# protocol between Dash's server and its renderer; tests and non-browser clients name them
# from here. Checked: dash 4.4.1.
LAYOUT_ROUTE: Final = "_dash-layout"
DEPENDENCIES_ROUTE: Final = "_dash-dependencies"

# The page's own address (path and query) on its layout request. The renderer sends nothing
# of the page's address on that request but the Referer header, which a proxy or a
# Referrer-Policy may strip (then /admin turned into the wall); assets/framework.js puts the
# address on the request's URL under this name instead (same name there).
PAGE_PARAM: Final = "page"


def set_up_now(app: Dash) -> None:
    """Do now what Dash does on the first request to one of its own routes.

    `Dash._setup_server` (private; dash 4.4.1) walks the assets folder and takes in the
    callbacks registered through `dash.callback`. Dash runs it before a request whose path
    is one of its own (`/_dash-*` or the app's root), never before the catch-all that serves
    the page at `/wall` or `/admin`: without this, the first page a fresh or restarted server
    sends links no assets (no wall.js, no wall.css). No public method does it (4.4.1). (The
    socket a wall reconnects to a restarted server does not need it: our callbacks are
    registered with `app.callback`, which Dash knows of at once.)
    """
    app._setup_server()  # type: ignore[no-untyped-call]


def missing_internals() -> list[str]:
    """The server-side internals this module uses that the installed Dash no longer has, each
    with what to do (empty: all there). tests/unit/test_framework.py asserts it is empty, so
    that no test names a private part of Dash itself."""
    if not callable(getattr(Dash, "_setup_server", None)):
        return [
            "Dash no longer has _setup_server: find what now walks the assets before the first "
            "page is served, and change set_up_now"
        ]
    return []


def request_query() -> Mapping[str, str]:
    """The query parameters of the request being served; empty outside a request.

    Through `app.backend.request_adapter()`: Dash 4's backend-neutral request (its developer
    docs name it, the user guide does not; `.args` is the query on every backend). Checked:
    dash 4.4.1 with the FastAPI backend.
    """
    try:
        args: Mapping[str, str] = get_app().backend.request_adapter().args  # type: ignore[no-untyped-call]
    except (AppNotFoundError, RuntimeError, AttributeError):
        return {}
    return args


def request_state() -> Any:
    """The state of the request being served (Starlette's `request.state`, where
    dashboard/guard.py puts who is calling); None outside a request. Through
    `app.backend.request_adapter().context`, as `request_query`. Checked: dash 4.4.1 with
    the FastAPI backend."""
    try:
        return get_app().backend.request_adapter().context  # type: ignore[no-untyped-call]
    except (AppNotFoundError, RuntimeError, AttributeError):
        return None


def layout_path(page: str, prefix: str = "/") -> str:
    """The layout request a browser showing ``page`` (path and query) sends."""
    return f"{prefix}{LAYOUT_ROUTE}?{urlencode({PAGE_PARAM: page})}"
