"""Which page is being served, and in which language: read from the page's own address.

The app's layout is one function (the wall needs a fresh snapshot per page load, and its
persistent callback needs the wall's stores in the tree from the start, which Dash pages or
a `dcc.Location` router filling a container later would not give, at the cost of one more
round trip before the first paint). That function runs inside the page's layout request,
which carries the page's path and query in its own URL (dashboard/framework.py: PAGE_PARAM),
never in a header.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from dash import get_app
from dash.exceptions import AppNotFoundError, UnsupportedRelativePath

from dashboard.framework import PAGE_PARAM, request_query


def page_address() -> SplitResult:
    """The address of the page being served (path and query); empty outside a layout request."""
    return urlsplit(request_query().get(PAGE_PARAM) or "")


def page_path(address: SplitResult) -> str:
    """The page's path inside the app, without the app's prefix or slashes ("admin")."""
    try:
        stripped = get_app().strip_relative_path(address.path)  # type: ignore[no-untyped-call]
    except (AppNotFoundError, UnsupportedRelativePath, RuntimeError, AttributeError):
        stripped = None  # no app, or a path outside it: judge the path as it is
    return str(stripped if stripped is not None else address.path.strip("/"))
