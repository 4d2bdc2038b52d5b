"""The OpenAPI document says what the API answers: every error status a route can return,
as RFC 9457 problem+json, and what each parameter accepts.

FastAPI documents the success response and a 422 in its own shape; the error handlers
(errors.py) answer problem+json with statuses by domain error class (entrypoints/errors.py).
So the document is completed here, by route kind, instead of a ``responses=`` argument on
each of forty routes that would drift: every route may answer 400 (a malformed request) and
422 (invalid input); a route with a path parameter or a write 404; a route behind a login
401 and 403; a write 409 (the registry's state), 413 (a body over the limit) and 428 (an
irreversible step not confirmed); the token route 409 and 429 (too many failed logins).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from jcredit.entrypoints.api.errors import PROBLEM

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; ``code`` is stable, ``field`` names the input "
                   "at fault and ``valid`` lists what is accepted where the list is closed.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "e.g. invalid_input, not_found"},
        "field": {"type": "string"},
        "valid": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BINARY = {"type": "string", "format": "binary"}
# Success bodies that are not JSON, by path suffix.
MEDIA_TYPES = {".pdf": "application/pdf", ".csv": "text/csv"}
IDEMPOTENCY_KEY = {
    "name": "idempotency-key", "in": "header", "required": True,
    "description": "A unique string per operation (e.g. a UUID): a retry with the same key "
                   "returns the first response and changes nothing.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200,
               "pattern": "^[!-~]([ -~]*[!-~])?$"},
}
TOKEN_PATH = "/api/v1/auth/token"


def statuses_for(path: str, method: str, operation: dict[str, Any], *, authenticated: bool
                 ) -> list[int]:
    """The error statuses a route can answer (see the module's docstring)."""
    codes = {400, 422}
    has_path_parameter = "{" in path
    write = method == "post"
    if has_path_parameter or write:
        codes.add(404)
    if authenticated:
        codes |= {401, 403}
    if write:
        codes.add(413)
        if authenticated:
            codes |= {409, 428}
    if path == TOKEN_PATH:
        codes |= {401, 409, 429}  # 409 or 429: too many failed logins for the user
    return sorted(codes)


def problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": HTTPStatus(status).phrase,
                                "content": {PROBLEM: {"schema": PROBLEM_REF}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses, the bearer scheme and the non-JSON success bodies."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "a token from POST /api/v1/auth/token"}}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            _complete_operation(path, method, operation)
    return schema


def _complete_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    parameters = operation.get("parameters", [])
    authenticated = any(p["name"] == "authorization" for p in parameters)
    kept = [p for p in parameters if p["name"] not in ("authorization", "idempotency-key")]
    if any(p["name"] == "idempotency-key" for p in parameters):
        kept.append(IDEMPOTENCY_KEY)
    operation["parameters"] = kept
    if not kept:
        del operation["parameters"]
    if authenticated:
        operation["security"] = [{"bearer": []}]
    responses = operation.setdefault("responses", {})
    for status in statuses_for(path, method, operation, authenticated=authenticated):
        responses[str(status)] = problem_response(status)
    for suffix, media_type in MEDIA_TYPES.items():
        if path.endswith(suffix):
            _success(responses)["content"] = {media_type: {"schema": BINARY}}
    if "/evidence/{" in path:  # the file as uploaded, in its own media type
        _success(responses)["content"] = {"*/*": {"schema": BINARY}}


def _success(responses: dict[str, Any]) -> dict[str, Any]:
    code = next(c for c in responses if c.startswith("2"))
    success: dict[str, Any] = responses[code]
    return success


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at ``app.openapi_url`` (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

