"""Typed input from people and files: exact decimals and ISO dates, with errors that name
the field. Used by the methodologies' declared inputs and by the project commands alike."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D


def parse_decimal(value: object, *, field: str, minimum: Decimal | None = ZERO,
                  unit: str = "") -> Decimal:
    """An exact decimal: from text, an int or a Decimal, never a float.

    >>> parse_decimal("12.5", field="x")
    Decimal('12.5')
    """
    units = f" [{unit}]" if unit else ""
    if isinstance(value, bool | float) or value is None:
        raise ValidationError(f"{field} must be a decimal number written exactly "
                              f"(e.g. \"12.5\"){units}, not {value!r}", field=field)
    try:
        number = D(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be a number{units}, got {value!r}",
                              field=field) from None
    if minimum is not None and number < minimum:
        raise ValidationError(f"{field} must be at least {minimum}{units}, got {number}",
                              field=field)
    return number


def parse_date(value: object, *, field: str) -> date:
    """A calendar date, YYYY-MM-DD.

    >>> parse_date(" 2026-04-01", field="x")
    datetime.date(2026, 4, 1)
    """
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{field} must be a date YYYY-MM-DD, got {value!r}",
                              field=field) from None
