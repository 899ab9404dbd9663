"""The browser's rules for our pages, on every answer: a Content-Security-Policy as strict as
Dash allows, no framing, no Referer to other sites, no sniffing of types.

The policy allows scripts from this server and the inline scripts Dash writes into its pages
(by their hashes, `Dash.csp_hashes`), nothing else: no `eval`, no inline script a feed's text
could ever become. Styles may be inline (React's `style` attributes, Plotly's and MapLibre's
injected sheets); MapLibre runs its workers from `blob:` URLs and draws from `data:`/`blob:`
images. FastAPI's own API pages (/docs, /redoc) load Swagger and ReDoc from a CDN with inline
scripts: they get the rest of the headers but not the policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PAGES = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(script_hashes: Sequence[str]) -> str:
    """The policy, with the hashes of the inline scripts the pages may run."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # the API and the push's WebSocket, on this host only
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer that does not set its own."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = scope["path"] not in API_PAGES

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FIXED.items():
                    headers.setdefault(name, value)
                if with_policy:
                    headers.setdefault("Content-Security-Policy", self.policy)
            await send(message)

        await self.app(scope, receive, sending)
