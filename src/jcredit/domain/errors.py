"""Typed domain errors and the ``Issue`` value that checks return.

Errors are for commands that cannot be carried out; each names the field at fault, says
what was wrong and, where there is a closed list, what is valid. The entrypoints map each
class to an HTTP status and a CLI exit code in one place each.

``Issue`` is for findings: the ledger check returns a list of them instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar


class DomainError(Exception):
    """Base of every error a command can raise on purpose."""

    code = "domain_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        valid: Sequence[str] | None = None,
        errors: Sequence[Mapping[str, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.valid = tuple(valid) if valid is not None else None
        # Every problem found, when a command checks many items (the lines of a file)
        # before refusing them all: each names its line, column, value and what is valid.
        self.errors = [dict(e) for e in errors] if errors else None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            data["field"] = self.field
        if self.valid is not None:
            data["valid"] = list(self.valid)
        if self.errors:
            data["errors"] = self.errors
        return data


class ValidationError(DomainError):
    """The input is malformed or outside what the rules allow."""

    code = "invalid_input"


class IneligibleUseError(ValidationError):
    """The credits cannot serve the invalidation use asked for (jcredit-rules.md §3.3)."""

    code = "ineligible_use"


class ConfirmationRequiredError(ValidationError):
    """An irreversible action was asked for without confirming it."""

    code = "confirmation_required"


class MalformedInputError(ValidationError):
    """The body cannot be read at all: not UTF-8, not JSON, or nested too deeply."""

    code = "malformed_body"


class PayloadTooLargeError(ValidationError):
    """The body is larger than the route accepts."""

    code = "payload_too_large"


class NotFoundError(DomainError):
    """A referenced record (account, organisation, application) does not exist."""

    code = "not_found"


class AuthenticationError(DomainError):
    """The caller could not be identified."""

    code = "not_authenticated"


class PermissionDeniedError(DomainError):
    """The caller's role or organisation does not allow this action."""

    code = "forbidden"


class TooManyAttemptsError(DomainError):
    """The caller failed too often recently: wait ``retry_after`` seconds (HTTP 429)."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class ConflictError(DomainError):
    """The command is well-formed but conflicts with the registry's current state."""

    code = "conflict"


class InsufficientCreditsError(ConflictError):
    """The account does not hold enough available credits."""

    code = "insufficient_credits"


class SerialRangeUnavailableError(ConflictError):
    """Part of a designated serial range is not held (available) in the account."""

    code = "serials_unavailable"


class SerialRangeOverlapError(ConflictError):
    """Two serial ranges that must be disjoint overlap."""

    code = "serial_overlap"


class InvalidStateError(ConflictError):
    """The record is not in a state that allows this action."""

    code = "invalid_state"


class IdempotencyKeyReusedError(ConflictError):
    """An idempotency key was sent again with a different request."""

    code = "idempotency_key_reused"


@dataclass(frozen=True, slots=True)
class Issue:
    """A finding of a check.

    Attributes:
        code: stable machine name, e.g. ``SERIAL_OVERLAP``.
        message: what is wrong, in words.
        subject: what it is about, e.g. ``block 12`` or ``journal seq 40``.
    """

    code: str
    message: str
    subject: str = ""

    def __str__(self) -> str:
        where = f" [{self.subject}]" if self.subject else ""
        return f"{self.code}{where}: {self.message}"


T = TypeVar("T")


class FieldChecks:
    """Check every field of a form, then refuse them all at once: a person fixes every
    problem in one go instead of one per submission.

    Each check is a callable that returns the parsed value or raises a
    :class:`ValidationError` or :class:`NotFoundError` naming its field; other errors
    (permission, state) stop at once. :meth:`done` raises the one problem found as it is,
    or several as one ``ValidationError`` (the first one's field, every one in ``errors``).

    >>> checks = FieldChecks()
    >>> checks(lambda: int("12"))
    12
    >>> checks.done()
    """

    def __init__(self) -> None:
        self.problems: list[DomainError] = []

    def __call__(self, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except (ValidationError, NotFoundError) as problem:
            self.problems.append(problem)
            return None

    def done(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            first = self.problems[0]
            raise ValidationError(
                f"{len(self.problems)} fields to correct: "
                + "; ".join(p.message for p in self.problems),
                field=first.field, valid=first.valid,
                errors=[{"field": p.field, "code": p.code, "message": p.message}
                        | ({"valid": list(p.valid)} if p.valid is not None else {})
                        for p in self.problems])
