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
