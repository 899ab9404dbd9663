"""gzip for the scripts and styles the pages load (Dash's bundles, ag-grid, plotly, our
assets): about 3.6 MB a console, a quarter of that compressed.

Only those: they are the same for everyone and hold nothing secret, so compressing them tells
an attacker nothing (a compressed answer that mixed a secret with text an attacker chose
could, BREACH); pages, callbacks and the API go as they are. Each file is compressed once and
kept (its address names its version: Dash's fingerprints, the assets' modification times),
so a wall that loads plotly's 3.5 MB costs the server no compression after the first.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = ("/_dash-component-suites/", "/assets/")
MINIMUM = 1024  # bytes: smaller answers gain nothing
LEVEL = 6
KEPT = 64  # compressed files kept (the pages load about 30)


class StaticGZip:
    """ASGI middleware: static files gzipped, once each, for browsers that accept it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.kept: OrderedDict[str, bytes] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")) if scope["type"] == "http" else ""
        accepts = "gzip" in Headers(scope=scope).get("accept-encoding", "") if path else False
        if not path.startswith(STATIC) or not accepts or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        key = f"{path}?{scope.get('query_string', b'').decode('latin-1')}"
        start: Message | None = None
        body: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send(key, start, b"".join(body), send)

        await self.app(scope, receive, collect)

    async def _send(self, key: str, start: Message | None, raw: bytes, send: Send) -> None:
        if start is None:
            return
        headers = MutableHeaders(scope=start)
        if start["status"] != 200 or len(raw) < MINIMUM or "content-encoding" in headers:
            await send(start)
            await send({"type": "http.response.body", "body": raw})
            return
        packed = self.kept.get(key)
        if packed is None:
            packed = gzip.compress(raw, compresslevel=LEVEL, mtime=0)
            self.kept[key] = packed
            while len(self.kept) > KEPT:
                self.kept.popitem(last=False)
        else:
            self.kept.move_to_end(key)
        headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(packed))
        headers.add_vary_header("Accept-Encoding")
        await send(start)
        await send({"type": "http.response.body", "body": packed})
