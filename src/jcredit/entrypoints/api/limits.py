"""The request body size limit, as a pure ASGI middleware (413 problem+json).

A pure ASGI class rather than Starlette's BaseHTTPMiddleware: the API's hot path is
benchmarked and BaseHTTPMiddleware costs a task and a stream per request. A request whose
Content-Length is within the limit passes straight through (the server never delivers more
bytes than Content-Length announces); one that announces too much is refused before its body
is read; one without Content-Length (chunked) is counted as it streams and refused as soon as
it passes the limit, whatever the application was about to answer.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from jcredit.adapters.evidence_store import MAX_EVIDENCE_BYTES
from jcredit.domain.parsing import MAX_JSON_BYTES

MAX_BODY_BYTES = MAX_JSON_BYTES
# Evidence files arrive as multipart forms and CSV imports as the web UI's forms: the file's
# own limit (checked by its route) plus room for the form's other fields and boundaries.
MAX_MULTIPART_BYTES = MAX_EVIDENCE_BYTES + 5 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a streamed body passes the limit."""


def limit_for(scope: Scope) -> int:
    """1 MiB for the API's JSON bodies; multipart uploads and the web UI's forms (a CSV
    pasted into a text area) get the upload limit."""
    if not scope["path"].startswith("/api/"):
        return MAX_MULTIPART_BYTES
    for name, value in scope["headers"]:
        if name == b"content-type":
            return MAX_MULTIPART_BYTES if value.startswith(b"multipart/") else MAX_BODY_BYTES
    return MAX_BODY_BYTES


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_too_large(send: Send, limit: int, path: str = "") -> None:
    problem: dict[str, Any] = {
        "type": "about:blank", "title": "Request body too large", "status": 413,
        "detail": f"the request body is larger than {limit} bytes",
        "code": "payload_too_large", "field": "body",
        "reason_ja": f"本文が大きすぎます（上限 {limit:,} バイト）"}
    if path.startswith("/api/v1/dmrv/batches"):  # a device's batch: name the rule too
        problem |= {"rule_id": "R01", "outcome": "REFUSED",
                    "reason": f"the batch is larger than {limit} bytes: send it in parts "
                              "(a day or a month per batch)"}
    body = json.dumps(problem, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    """Refuse request bodies above :func:`limit_for` the request with 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        length = _content_length(scope)
        if length is not None:
            if length > limit:
                await send_too_large(send, limit, scope.get("path", ""))
            else:
                await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        state: dict[str, Any] = {"received": 0, "exceeded": False, "started": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["exceeded"] = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                return  # the application's answer to a truncated body is not sent
            state["started"] = True
            await send(message)

        with suppress(BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if state["exceeded"] and not state["started"]:
            await send_too_large(send, limit, scope.get("path", ""))
