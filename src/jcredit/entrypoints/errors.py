"""The one table from domain error classes to HTTP statuses and CLI exit codes."""

from __future__ import annotations

from jcredit.domain import errors as e

# Most specific class first: the first match wins.
ERROR_TABLE: tuple[tuple[type[e.DomainError], int, int, str], ...] = (
    # (class, HTTP status, CLI exit code, title)
    (e.ConfirmationRequiredError, 428, 4, "Confirmation required"),
    (e.IneligibleUseError, 422, 4, "Credits not eligible for this use"),
    (e.MalformedInputError, 400, 4, "Malformed request body"),
    (e.PayloadTooLargeError, 413, 4, "Request body too large"),
    (e.ValidationError, 422, 4, "Invalid input"),
    (e.NotFoundError, 404, 3, "Not found"),
    (e.AuthenticationError, 401, 6, "Not authenticated"),
    (e.PermissionDeniedError, 403, 6, "Forbidden"),
    (e.TooManyAttemptsError, 429, 6, "Too many attempts"),
    (e.IdempotencyKeyReusedError, 422, 5, "Idempotency key reused"),
    (e.InsufficientCreditsError, 409, 5, "Insufficient credits"),
    (e.SerialRangeUnavailableError, 409, 5, "Serials not available"),
    (e.ConflictError, 409, 5, "Conflict"),
    (e.DomainError, 400, 1, "Error"),
)


def classify(error: e.DomainError) -> tuple[int, int, str]:
    for cls, status, exit_code, title in ERROR_TABLE:
        if isinstance(error, cls):
            return status, exit_code, title
    return 400, 1, "Error"


def describe_problem(item: dict[str, object]) -> str:
    """One problem of a refused file or list, in one line: where (line and column), the
    value found, what is wrong and what is valid. The CLI prints these; the web lists them."""
    where = ", ".join(str(part) for part in (
        f"line {item['line']}" if item.get("line") is not None else None,
        item.get("column")) if part)
    value = f" = {item['value']!r}" if item.get("value") not in (None, "") else ""
    valid = item.get("valid")
    hint = f" (valid: {', '.join(map(str, valid))})" if isinstance(valid, list | tuple) \
        and valid else ""
    return f"{where}{value}: {item.get('message', '')}{hint}"
