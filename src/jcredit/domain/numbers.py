"""Quantities: the single constructor for numbers and the one rounding rule.

Credits are counted in whole units (1 unit = 1 t-CO2, jcredit-rules.md §1.1). Calculated
reductions carry full ``Decimal`` precision until certification, where
:func:`round_down_to_whole_tonnes` turns an aggregated total into a whole number of credits.
Floats never enter: :func:`D` refuses them, because ``0.1`` is not one tenth in binary.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation
from decimal import localcontext

from jcredit.domain.errors import ValidationError

ZERO = Decimal(0)
ONE = Decimal(1)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")


def D(value: Decimal | int | str) -> Decimal:
    """Build a ``Decimal`` from an int, a string or a Decimal; never from a float.

    A comma is read only as a thousands separator in its right place ("1,400.5"); any other
    comma ("12,5", a decimal comma, or "1,40") is refused, never silently dropped.

    >>> D("1.25") + D(2)
    Decimal('3.25')
    >>> D("1,400.5")
    Decimal('1400.5')
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"quantities are never built from {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if "," in text and not _GROUPED.fullmatch(text):
            raise ValueError(f"not a number: {value!r} (a comma only separates thousands)")
        try:
            result = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return result
    raise TypeError(f"cannot build a quantity from {type(value).__name__}")


def round_down_to_whole_tonnes(total_tco2: Decimal) -> tuple[int, Decimal]:
    """Round an aggregated reduction down to whole credits; return (credits, remainder).

    This is the one place where t-CO2 becomes credits. It is applied once per certification
    request, after all activities and months are summed (jcredit-rules.md §1.6, TV1), never
    to intermediate values. The remainder is reported, not carried over.

    >>> round_down_to_whole_tonnes(D("134.4"))
    (134, Decimal('0.4'))
    """
    if total_tco2 < ZERO:
        raise ValueError("a reduction to certify cannot be negative")
    whole = total_tco2.to_integral_value(rounding=ROUND_FLOOR)
    return int(whole), total_tco2 - whole


def for_people(value: Decimal, places: int = 2) -> str:
    """A figure for a sentence a person reads: rounded half up to ``places`` decimals,
    trailing zeros dropped. Display only: the data keeps the full ``Decimal``.

    >>> for_people(D(8) / D(3))
    '2.67'
    >>> for_people(D("3.000")), for_people(D("12345.5"), 0)
    ('3', '12346')
    >>> for_people(D("9999999999999000000000000.5"))
    '9999999999999000000000000.5'
    """
    with localcontext() as exact:  # enough digits for any finite value: never an error
        exact.prec = max(28, value.adjusted() + places + 2)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def whole_units(value: object, *, field: str) -> int:
    """Parse a credit quantity: a positive whole number of units (t-CO2).

    Accepts ints and integral strings or Decimals ("10", "10.0"); refuses floats, zero,
    negatives and fractions with a message that names ``field``.
    """
    if type(value) is int and value > 0:  # the usual case (bool is a subclass, not int)
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationError(
            f"{field} must be a whole number of credits (1 unit = 1 t-CO2), not {value!r}",
            field=field,
        )
    try:
        number = D(value) if isinstance(value, int | str | Decimal) else None
    except (ValueError, TypeError):
        number = None
    if number is None:
        raise ValidationError(
            f"{field} must be a whole number of credits (1 unit = 1 t-CO2), got {value!r}",
            field=field,
        )
    if number != number.to_integral_value():
        raise ValidationError(
            f"{field} must be a whole number of credits; {value} has a fraction "
            "(credits are whole t-CO2)",
            field=field,
        )
    if number <= ZERO:
        raise ValidationError(f"{field} must be at least 1, got {value}", field=field)
    return int(number)
