"""Certificates share an offset's tonnes and never claim more (property test)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import ValidationError
from jcredit.domain.offsets.certificates import certificate_quantity

kilograms = st.integers(min_value=-500, max_value=6_000).map(lambda g: Decimal(g).scaleb(-3))


@given(invalidated=st.integers(min_value=1, max_value=5),
       requests=st.lists(st.one_of(st.none(), kilograms), max_size=12))
def test_certificates_never_claim_more_than_invalidated(invalidated: int,
                                                        requests: list[Decimal | None]
                                                        ) -> None:
    certified = Decimal(0)
    for requested in requests:
        left = Decimal(invalidated) - certified
        try:
            granted = certificate_quantity(requested, invalidated=invalidated,
                                           certified=certified)
        except DomainError:
            # refused only for a reason: nothing asked, nothing left, or too much
            assert (requested is not None and (requested <= 0 or requested > left)) or left == 0
            continue
        assert granted == (left if requested is None else requested)
        assert granted > 0
        certified += granted
        assert certified <= invalidated


def test_the_rest_by_default_and_nothing_when_none_is_left() -> None:
    assert certificate_quantity("", invalidated=3, certified=Decimal(1)) == Decimal(2)
    with pytest.raises(ConflictError) as error:
        certificate_quantity(None, invalidated=3, certified=Decimal(3))
    assert error.value.field == "quantity"


def test_kilogram_precision_and_bad_numbers() -> None:
    assert certificate_quantity("0.001", invalidated=1, certified=Decimal(0)) == Decimal(
        "0.001")
    assert certificate_quantity("0.5000", invalidated=1, certified=Decimal(0)) == Decimal(
        "0.5")
    with pytest.raises(ValidationError):
        certificate_quantity("0.0001", invalidated=1, certified=Decimal(0))
    with pytest.raises(ValidationError):
        certificate_quantity("abc", invalidated=1, certified=Decimal(0))
    with pytest.raises(ConflictError):
        certificate_quantity("1.001", invalidated=1, certified=Decimal(0))
    with pytest.raises(ConflictError):
        certificate_quantity("0", invalidated=1, certified=Decimal(0))
