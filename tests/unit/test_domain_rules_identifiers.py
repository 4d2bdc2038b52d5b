"""Account numbers as people type them: the Luhn digit catches a typo (identifiers.py).
Found unguarded by mutation testing (docs/testing.md): every number the tests used had
been checked once and was then taken from the cache of valid numbers."""

from __future__ import annotations

import random

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import format_account_number
from jcredit.domain.identifiers import luhn_check_digit
from jcredit.domain.identifiers import parse_account_number


@pytest.mark.parametrize(("digits", "check"), [
    ("7992739871", 3),  # the textbook example: 79927398713 is valid
    ("453914880343646", 7),  # a valid card number, 4539148803436467
    ("1234567", 4), ("0000001", 8), ("0000019", 0), ("0000000", 0),
])
def test_the_check_digit_is_the_luhn_digit(digits: str, check: int) -> None:
    assert luhn_check_digit(digits) == check


def test_a_single_mistyped_digit_changes_the_check_digit() -> None:
    body = "3141592"
    for position in range(len(body)):
        for digit in "0123456789":
            typo = body[:position] + digit + body[position + 1:]
            if typo != body:
                assert luhn_check_digit(typo) != luhn_check_digit(body), typo


def test_a_new_account_number_is_read_back_and_a_wrong_check_digit_refused() -> None:
    # a number no earlier run checked: valid numbers are cached once checked
    sequence = random.randrange(10**7)
    number = format_account_number("Q", sequence)
    assert number == f"Q-{sequence:07d}-{luhn_check_digit(f'{sequence:07d}')}"
    assert parse_account_number(f" {number.lower()} ") == number
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as refused:
        parse_account_number(wrong, field="to_account")
    assert refused.value.field == "to_account"
    assert "wrong check digit" in str(refused.value)
