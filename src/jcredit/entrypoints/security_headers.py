"""Security headers on every response (ASVS V14.4), as a pure ASGI middleware.

Pure ASGI on purpose: Starlette's ``BaseHTTPMiddleware`` runs each request through an extra
task and memory streams, which the benchmarked API hot path cannot afford; this one only
appends precomputed header pairs to ``http.response.start``.

The pages run no inline script (``script-src 'self'``: htmx is a static file, configured by
a ``<meta>`` tag). Styles allow ``'unsafe-inline'``: the bar charts set their width in a
``style`` attribute, and a style cannot run code (templates escape every value, so nobody
else can inject one). The API documentation page (Swagger UI) is vendored under
``static/swagger`` and started by a file, so it runs under the same policy.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote

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
HSTS = "max-age=63072000; includeSubDomains"
# A PDF shown inline: Chromium's viewer is an <embed> in a synthetic page with inline
# styles, so ``object-src 'none'`` would block it (crbug.com/271452). The PDF itself runs
# no script of ours; nothing else is allowed.
PDF_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'"
)


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


def _is_htmx(scope: Scope) -> bool:
    return any(name == b"hx-request" for name, _ in scope.get("headers", ()))


def _is_type(headers: list[tuple[bytes, bytes]], media_type: bytes) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(media_type)
               for name, value in headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return _is_type(headers, b"text/html")


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; HSTS only in production (a
    development server on plain http://127.0.0.1 must not pin the browser to HTTPS).

    It also keeps htmx from putting anything but a page into a page. The body is boosted
    (``hx-boost``), so a click on a link to a download (an evidence file, a PDF, a CSV, a
    JSON document) is fetched by htmx and its bytes swapped into ``<body>`` as HTML: a text
    file holding ``hx-post`` attributes would then act with the viewer's session and CSRF
    token. A response to an htmx request that is neither ``text/html`` nor a redirect (which
    the browser follows to a page or to this rule again) is therefore never given to htmx:
    a GET is answered with ``HX-Redirect`` to itself (the browser navigates, and a download
    is a download), anything else with ``HX-Reswap: none``.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = _pairs(CONTENT_SECURITY_POLICY, hsts)
        self.pdf_headers = _pairs(PDF_CONTENT_SECURITY_POLICY, hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.headers
        if _is_htmx(scope):
            await self._htmx(scope, receive, send, extra)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                pdf = _is_type(headers, b"application/pdf")
                message["headers"] = [*headers, *(self.pdf_headers if pdf else extra)]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _htmx(self, scope: Scope, receive: Receive, send: Send,
                    extra: list[tuple[bytes, bytes]]) -> None:
        withheld = False

        async def send_pages_only(message: Message) -> None:
            nonlocal withheld
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if _is_html(headers) or 300 <= message["status"] < 400:  # the XHR follows
                    message["headers"] = [*headers, *extra]
                    await send(message)
                    return
                withheld = True
                if scope["method"] == "GET":
                    target = quote(scope.get("root_path", "") + scope["path"], safe="/%")
                    if scope.get("query_string"):
                        target += "?" + scope["query_string"].decode("latin-1")
                    instead = (b"hx-redirect", target.encode("latin-1"))
                else:
                    instead = (b"hx-reswap", b"none")
                await send({"type": "http.response.start", "status": 200, "headers": [
                    instead, (b"content-length", b"0"), (b"vary", b"HX-Request"), *extra]})
                return
            if withheld:
                if message["type"] == "http.response.body" and not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app(scope, receive, send_pages_only)
