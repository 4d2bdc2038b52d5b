"""How much of an offset a new certificate may claim.

An offset invalidated a whole number of tonnes; its certificates (to the offsetting party,
or to third parties: an event's participants, a ふるさと納税 donor, the buyer of an offset
product) share those tonnes and together never claim more. A certificate's quantity is in
t-CO2 to the kilogram (three decimals), more than zero.
"""

from __future__ import annotations

from decimal import Decimal

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import ZERO
from jcredit.domain.parsing import parse_decimal

PLACES = 3  # t-CO2 to the kilogram


def certificate_quantity(requested: object, *, invalidated: int, certified: Decimal) -> Decimal:
    """The quantity a new certificate claims: ``requested`` [t-CO2], or all that is left
    when it is empty; refused when it is not more than zero, has more than three decimals,
    or exceeds what the offset's earlier certificates left.

    >>> certificate_quantity(None, invalidated=3, certified=Decimal("2.5"))
    Decimal('0.5')
    >>> certificate_quantity("0.25", invalidated=3, certified=Decimal(0))
    Decimal('0.25')
    """
    remaining = Decimal(invalidated) - certified
    if requested in (None, ""):
        quantity = remaining
    else:
        quantity = parse_decimal(requested, field="quantity", unit="t-CO2")
        exponent = quantity.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -PLACES and quantity != quantity.quantize(
                Decimal(1).scaleb(-PLACES)):
            raise ValidationError(f"quantity: at most {PLACES} decimals (t-CO2 to the "
                                  f"kilogram), got {quantity}", field="quantity")
    if quantity <= ZERO or quantity > remaining:
        raise ConflictError(
            f"quantity: {quantity} t cannot be certified: the offset invalidated "
            f"{invalidated} t and {certified} t of it already have certificates "
            f"({remaining} t left); the same tonnes are never certified twice",
            field="quantity")
    return quantity
