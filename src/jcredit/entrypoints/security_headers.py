"""Security headers on every response (ASVS V14.4), as a pure ASGI middleware.

Pure ASGI on purpose: Starlette's ``BaseHTTPMiddleware`` runs each request through an extra
task and memory streams, which the benchmarked API hot path cannot afford; this one only
appends precomputed header pairs to ``http.response.start``.

The pages run no inline script (``script-src 'self'``: htmx is a static file, configured by
a ``<meta>`` tag). Styles allow ``'unsafe-inline'``: the bar charts set their width in a
``style`` attribute, and a style cannot run code (templates escape every value, so nobody
else can inject one). The API documentation page (Swagger UI) loads its script and styles
from a CDN with an inline bootstrap script, so it gets only the framing and base-uri rules.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)
DOCS_CONTENT_SECURITY_POLICY = "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
DOCS_PATHS = ("/api/docs",)
HSTS = "max-age=63072000; includeSubDomains"


def _pairs(csp: str, hsts: bool) -> list[tuple[bytes, bytes]]:
    pairs = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        pairs.append((b"strict-transport-security", HSTS.encode()))
    return pairs


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; HSTS only in production (a
    development server on plain http://127.0.0.1 must not pin the browser to HTTPS)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = _pairs(CONTENT_SECURITY_POLICY, hsts)
        self.docs_headers = _pairs(DOCS_CONTENT_SECURITY_POLICY, hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = (self.docs_headers if scope["path"].startswith(DOCS_PATHS) else self.headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
