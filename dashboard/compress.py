"""gzip for the scripts and styles the pages load (Dash's bundles, ag-grid, plotly, our
assets): about 3.6 MB a console, a quarter of that compressed. Only those: they are the same
for everyone and hold nothing secret, so compressing them tells an attacker nothing (a
compressed answer that mixed a secret with text an attacker chose could, BREACH); pages,
callbacks and the API go as they are.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC = ("/_dash-component-suites/", "/assets/")
MINIMUM = 1024  # bytes: smaller answers gain nothing


class StaticGZip:
    """ASGI middleware: gzip for the static files' answers when the browser accepts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(STATIC):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
