"""Organisations that hold accounts: full legal name and 法人番号."""

from __future__ import annotations

from dataclasses import dataclass

from jcredit.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Organisation:
    """A legal entity known to the registry.

    Attributes:
        id: internal key.
        name: full legal name, e.g. ``株式会社サンプル`` (not an abbreviation, §3.1).
        corporate_number: 法人番号, 13 digits with check digit.
    """

    id: int
    name: str
    corporate_number: str


def parse_legal_name(value: object, *, field: str = "name") -> str:
    text = " ".join(str(value or "").split())
    if not 2 <= len(text) <= 200:
        raise ValidationError(
            f"{field} must be the full legal name (2-200 characters), got {value!r}",
            field=field,
        )
    return text
