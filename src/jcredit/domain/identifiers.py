"""Identifiers people type: 法人番号 (corporate number) and registry account numbers.

Both carry a check digit so that a typo is caught before credits move to the wrong place.
"""

from __future__ import annotations

import re

from jcredit.domain.errors import ValidationError

_CORPORATE_NUMBER_RE = re.compile(r"^\d{13}$")


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a 法人番号 from its 12-digit base number.

    Rule of the National Tax Agency (法人番号の指定等に関する省令 第2条): with P_n the
    n-th digit counted from the lowest digit of the base and Q_n = 1 for odd n, 2 for even n,
    the check digit is ``9 - (Σ P_n × Q_n mod 9)``.

    >>> corporate_number_check_digit("000012050002")  # 国税庁 7000012050002
    7
    """
    total = 0
    for n, char in enumerate(reversed(base12), start=1):
        total += int(char) * (1 if n % 2 else 2)
    return 9 - total % 9


def parse_corporate_number(value: str, *, field: str = "corporate_number") -> str:
    """Validate a 法人番号: 13 digits, the first being the check digit of the other 12."""
    text = (value or "").strip().replace("-", "").replace(" ", "")
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not _CORPORATE_NUMBER_RE.match(text):
        raise ValidationError(
            f"{field} must be 13 digits (法人番号), got {value!r}",
            field=field,
        )
    expected = corporate_number_check_digit(text[1:])
    if int(text[0]) != expected:
        raise ValidationError(
            f"{field} {text} has a wrong check digit: the first digit should be {expected} "
            "for the 12 digits that follow; check the number at the 法人番号公表サイト",
            field=field,
        )
    return text


def luhn_check_digit(digits: str) -> int:
    """Luhn (mod 10) check digit of a string of digits."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


_ACCOUNT_NUMBER_RE = re.compile(r"^([A-Z])-(\d{7})-(\d)$")


def format_account_number(prefix: str, sequence: int) -> str:
    """Public account number, e.g. ``H-0000001-8``: kind letter, sequence, Luhn digit."""
    body = f"{sequence:07d}"
    return f"{prefix}-{body}-{luhn_check_digit(body)}"


def parse_account_number(value: str, *, field: str = "account") -> str:
    """Validate the form and check digit of an account number; return it normalised."""
    text = (value or "").strip().upper()
    if text in _VALID_ACCOUNT_NUMBERS:
        return text
    match = _ACCOUNT_NUMBER_RE.match(text)
    if not match:
        raise ValidationError(
            f"{field} {value!r} is not an account number; the form is like H-0000001-8 "
            "(kind letter, 7 digits, check digit)",
            field=field,
        )
    if luhn_check_digit(match.group(2)) != int(match.group(3)):
        raise ValidationError(
            f"{field} {text} has a wrong check digit; check the account number",
            field=field,
        )
    if len(_VALID_ACCOUNT_NUMBERS) < 100_000:  # numbers already checked, kept bounded
        _VALID_ACCOUNT_NUMBERS.add(text)
    return text


_VALID_ACCOUNT_NUMBERS: set[str] = set()
