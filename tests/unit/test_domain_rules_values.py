"""Codes, identifiers and quantities as a user types them, found unguarded by mutation
testing (docs/testing.md): what is refused, and with which field and valid values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.credits import parse_text_id
from jcredit.domain.numbers import D
from jcredit.domain.numbers import for_people
from jcredit.domain.numbers import round_down_to_whole_tonnes
from jcredit.domain.numbers import whole_units


def test_an_unknown_code_is_refused_with_the_codes_there_are() -> None:
    assert parse_enum(SchemeCode, " jcl ", field="scheme") is SchemeCode.JCL
    with pytest.raises(ValidationError) as refused:
        parse_enum(SchemeCode, "JX", field="scheme")
    assert refused.value.field == "scheme"
    assert refused.value.valid == ("JC", "JCL", "KC", "KCP", "JP")


@pytest.mark.parametrize("text", ["P-2025.01/a_b", "A", "9" * 64])
def test_identifiers_of_up_to_64_letters_digits_and_marks_are_accepted(text: str) -> None:
    assert parse_text_id(f"  {text} ", field="project_id") == text


@pytest.mark.parametrize("value", ["", None, "  ", "-P1", "P 1", "番号", "9" * 65])
def test_an_empty_or_malformed_identifier_is_refused_naming_its_field(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_text_id(value, field="certification_number")
    assert refused.value.field == "certification_number"


def attributes(scheme: str, credit_type: str, category: Category) -> CreditAttributes:
    return CreditAttributes(SchemeCode(scheme), CreditType(credit_type), category, "P-1",
                            "FO-001", "1.0", "C-1", 2025)


@pytest.mark.parametrize(("scheme", "credit_type", "category", "field", "valid"), [
    ("JC", "ERL", Category.RENEWABLE_POWER, "credit_type", ("ER", "FM")),
    ("JP", "KC", Category.RENEWABLE_POWER, "credit_type", ("ER", "FM", "JRM", "KRM")),
    ("JC", "FM", Category.RENEWABLE_POWER, "category", ("FOREST",)),
    ("JC", "ER", Category.FOREST, "credit_type", ("FM",)),
])
def test_an_issuance_whose_scheme_type_and_category_disagree_says_what_would_fit(
        scheme: str, credit_type: str, category: Category, field: str,
        valid: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        attributes(scheme, credit_type, category)
    assert (refused.value.field, refused.value.valid) == (field, valid)


@pytest.mark.parametrize("value", [True, False])
def test_a_yes_no_value_is_never_a_quantity(value: bool) -> None:
    with pytest.raises(TypeError):
        D(value)
    with pytest.raises(ValidationError) as refused:
        whole_units(value, field="quantity")
    assert str(refused.value) == (
        f"quantity must be a whole number of credits (1 unit = 1 t-CO2), not {value!r}")


def test_figures_for_people_round_half_up_and_keep_whole_numbers_whole() -> None:
    assert for_people(D("2.345")) == "2.35"  # half up, not to even (2.34)
    assert for_people(D("2.355")) == "2.36"
    assert for_people(D("12340"), 0) == "12340"
    assert for_people(D("100")) == "100"
    assert for_people(D("0.5"), 0) == "1"
    assert isinstance(D("1.5"), Decimal)


@pytest.mark.parametrize(("vintage", "ok"), [(2008, True), (2100, True), (2007, False),
                                             (2101, False)])
def test_vintages_run_from_fy2008_to_fy2100(vintage: int, ok: bool) -> None:
    def issue() -> CreditAttributes:
        return CreditAttributes(SchemeCode.JC, CreditType.ER, Category.RENEWABLE_POWER, "P-1",
                                "EN-R-002", "3.0", "C-1", vintage)
    if ok:
        assert issue().vintage == vintage
    else:
        with pytest.raises(ValidationError) as refused:
            issue()
        assert refused.value.field == "vintage"


def test_a_reduction_of_zero_certifies_zero_credits() -> None:
    assert round_down_to_whole_tonnes(D(0)) == (0, D(0))
    with pytest.raises(ValueError):
        round_down_to_whole_tonnes(D("-0.1"))
