"""Domain errors and request-shape errors as RFC 9457 problem+json, in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.responses import Response
from sqlalchemy.exc import DataError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import MalformedInputError
from jcredit.domain.errors import TooManyAttemptsError
from jcredit.entrypoints.errors import classify

PROBLEM = "application/problem+json"
STORAGE_REFUSED = ("a value could not be stored as given (too long, or not text or a number "
                   "the database holds); nothing was changed")
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


# The web UI's error page: the status and the error (a DomainError, or a message).
HtmlRenderer = Callable[[Request, int, DomainError | str], Response]


def _retry_after(response: Response, error: DomainError) -> None:
    if isinstance(error, TooManyAttemptsError):
        response.headers["Retry-After"] = str(error.retry_after)


def _malformed_json(error: Any) -> MalformedInputError:
    """FastAPI's "JSON decode error" at ``loc`` ("body", offset) as the 400 that
    ``domain.parsing.parse_json`` gives on the other routes (not a 422 naming field "16")."""
    position = next((p for p in error.get("loc", ())[1:] if isinstance(p, int)), None)
    reason = (error.get("ctx") or {}).get("error") or "JSON decode error"
    where = f" at character {position}" if position is not None else ""
    return MalformedInputError(f"malformed JSON: body is not valid JSON ({reason}{where})",
                               field="body")


def install_error_handlers(app: FastAPI, html: HtmlRenderer | None = None) -> None:
    """Problem+json under /api; pages elsewhere get ``html`` (the web UI's error page)."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        status, _, title = classify(error)
        if html is not None and not request.url.path.startswith("/api/"):
            page = html(request, status, error)
            _retry_after(page, error)
            return page
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        response = problem(status, title, error.message, code=error.code, field=error.field,
                           valid=list(error.valid) if error.valid else None,
                           errors=error.errors)
        if headers:
            response.headers.update(headers)
        _retry_after(response, error)
        return response

    @app.exception_handler(RequestValidationError)
    async def shape_error(request: Request, error: RequestValidationError) -> Response:
        errors = error.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":  # FastAPI's parser: not JSON at all
            return await domain_error(request, _malformed_json(first))
        location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(location) or None
        detail = f"{field}: {first.get('msg', 'invalid')}" if field else "invalid request"
        if html is not None and not request.url.path.startswith("/api/"):
            return html(request, 422, detail)  # e.g. /invalidations/99999999999999999999999
        return problem(422, "Invalid input", detail, code="invalid_input", field=field,
                       errors=[{"field": ".".join(str(p) for p in e.get("loc", ())),
                                "message": e.get("msg")} for e in errors])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        """Starlette's own errors (no such route, method not allowed, a body FastAPI could
        not parse) as problem+json under /api; the web UI shows its error page for a page
        that does not exist, and keeps Starlette's answer otherwise."""
        if not request.url.path.startswith("/api/"):
            if html is not None and error.status_code in (404, 405):
                return html(request, error.status_code, str(error.detail))
            return await http_exception_handler(request, error)
        title = HTTPStatus(error.status_code).phrase
        detail = error.detail if isinstance(error.detail, str) else title
        body_error = error.status_code == 400
        response = problem(error.status_code, title, detail,
                           code="malformed_body" if body_error else None,
                           field="body" if body_error else None)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(StatementError)
    async def storage_error(request: Request, error: StatementError) -> Response:
        """Last line of defence: a value the database refuses (PostgreSQL's "value too long",
        a NUL byte, a number out of range: ``DataError``), or one SQLAlchemy cannot bind, that
        the validation let through is the request's fault, not the server's: 422, nothing
        changed (the unit of work rolled back), and a generic message (the SQL stays in the
        log). A database that fails otherwise (down, locked) remains a 500."""
        if isinstance(error, DBAPIError) and not isinstance(error, DataError):
            raise error
        log.warning("storage refused a value on %s %s: %s", request.method, request.url.path,
                    error.orig if error.orig is not None else error)
        if html is not None and not request.url.path.startswith("/api/"):
            return html(request, 422, STORAGE_REFUSED)
        return problem(422, "Invalid input", STORAGE_REFUSED, code="invalid_input")
