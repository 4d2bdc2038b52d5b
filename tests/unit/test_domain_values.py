"""Numbers, identifiers, fiscal years, serial ranges: the values people type and read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.fiscal_year import reporting_years_open_on
from jcredit.domain.identifiers import format_account_number
from jcredit.domain.identifiers import parse_account_number
from jcredit.domain.identifiers import parse_corporate_number
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.serials import first_overlap
from jcredit.domain.ledger.serials import parse_serial_range
from jcredit.domain.numbers import D
from jcredit.domain.numbers import round_down_to_whole_tonnes
from jcredit.domain.numbers import whole_units


def test_D_refuses_floats_and_accepts_text() -> None:
    with pytest.raises(TypeError):
        D(0.1)  # type: ignore[arg-type]
    assert D("0.1") + D("0.2") == Decimal("0.3")
    assert D("1,575") == Decimal(1575)


def test_rounding_is_down_and_reports_the_remainder() -> None:
    # TV3 (jcredit-rules.md): EM_BL 134.4 t/yr, EM_PJ 0 → 134 credits.
    assert round_down_to_whole_tonnes(D("134.4")) == (134, D("0.4"))
    assert round_down_to_whole_tonnes(D("134.999")) == (134, D("0.999"))
    assert round_down_to_whole_tonnes(D("6")) == (6, D("0"))


@pytest.mark.parametrize("value", [0, -1, "1.5", 1.0, "abc", None, True, "0"])
def test_whole_units_refuses_what_is_not_a_positive_whole_number(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        whole_units(value, field="quantity")
    assert info.value.field == "quantity"


def test_whole_units_accepts_integral_text() -> None:
    assert whole_units("10", field="q") == 10
    assert whole_units("10.0", field="q") == 10
    assert whole_units(Decimal(7), field="q") == 7


@pytest.mark.parametrize("number", ["7000012050002", "1180301018771", "７０００−０１２０５０００２"])
def test_valid_corporate_numbers(number: str) -> None:
    assert parse_corporate_number(number.replace("−", "")) in ("7000012050002", "1180301018771")


@pytest.mark.parametrize("number", ["8000012050002", "700001205000", "70000120500021", "abc"])
def test_invalid_corporate_numbers_name_the_field(number: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_corporate_number(number)
    assert info.value.field == "corporate_number"


def test_account_number_check_digit_catches_typos() -> None:
    number = format_account_number("H", 42)
    assert parse_account_number(number.lower()) == number
    body = number.split("-")[1]
    typo = number.replace(body, body[:-1] + str((int(body[-1]) + 1) % 10))
    with pytest.raises(ValidationError, match="check digit"):
        parse_account_number(typo)
    with pytest.raises(ValidationError, match="not an account number"):
        parse_account_number("12345")


def test_fiscal_year_turns_on_first_of_april() -> None:
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026


def test_end_of_june_rule_on_both_sides_of_the_boundary() -> None:
    assert reporting_years_open_on(date(2026, 4, 1)) == (2026, 2025)
    assert reporting_years_open_on(date(2026, 6, 30)) == (2026, 2025)
    assert reporting_years_open_on(date(2026, 7, 1)) == (2026,)
    assert reporting_years_open_on(date(2027, 3, 31)) == (2026,)


def test_serial_range_algebra() -> None:
    r = SerialRange(101, 200)
    assert r.quantity == 100
    assert r.take_first(10) == SerialRange(101, 110)
    assert r.remainders(SerialRange(150, 160)) == [SerialRange(101, 149), SerialRange(161, 200)]
    assert r.remainders(r) == []
    assert r.split_around(SerialRange(101, 150)) == (None, SerialRange(151, 200))
    assert r.split_around(SerialRange(150, 200)) == (SerialRange(101, 149), None)
    with pytest.raises(ValueError, match="not inside"):
        r.split_around(SerialRange(150, 201))
    assert r.overlaps(SerialRange(200, 300)) and not r.overlaps(SerialRange(201, 300))
    assert first_overlap([SerialRange(1, 5), SerialRange(6, 9)]) is None
    assert first_overlap([SerialRange(6, 9), SerialRange(1, 6)]) == (
        SerialRange(1, 6), SerialRange(6, 9))


@pytest.mark.parametrize("text", ["", "abc", "10-5", "0-3", "1-2-x"])
def test_bad_serial_ranges_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_serial_range(text)


def test_serial_range_text_forms() -> None:
    assert parse_serial_range("1001-1050") == SerialRange(1001, 1050)
    assert parse_serial_range("1001～1050") == SerialRange(1001, 1050)
    assert parse_serial_range("JC-ER-C000005-0000001001-0000001050") == SerialRange(1001, 1050)
    assert parse_serial_range("7") == SerialRange(7, 7)
