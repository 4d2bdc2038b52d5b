"""Serial ranges: the identity of credits.

A serial range is an inclusive interval ``[start, end]`` of 64-bit integers, one serial per
unit (t-CO2). Serials are allocated from one registry-wide sequence, so the ranges of all
blocks ever issued are disjoint. The text form (``JC-ER-0001-…``) is only a rendering:
the integers are the truth (registries.md §2.1, "store start/end as 64-bit integers").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jcredit.domain.errors import ValidationError

MAX_SERIAL = 2**63 - 1


@dataclass(frozen=True, slots=True, order=True)
class SerialRange:
    """Inclusive range of serial numbers.

    Attributes:
        start: first serial in the range [unit].
        end: last serial in the range, inclusive [unit].
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (1 <= self.start <= self.end <= MAX_SERIAL):
            raise ValidationError(
                f"serial range {self.start}-{self.end} is empty or out of bounds; "
                "a range runs from a first to a last serial, both ≥ 1, first ≤ last",
                field="serials",
            )

    @property
    def quantity(self) -> int:
        """Number of units (t-CO2) in the range."""
        return self.end - self.start + 1

    def overlaps(self, other: SerialRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    def contains(self, other: SerialRange) -> bool:
        return self.start <= other.start and other.end <= self.end

    def intersection(self, other: SerialRange) -> SerialRange | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return SerialRange(start, end) if start <= end else None

    def take_first(self, quantity: int) -> SerialRange:
        """The first ``quantity`` serials of this range."""
        if not 1 <= quantity <= self.quantity:
            raise ValueError(f"cannot take {quantity} from {self}")
        return SerialRange(self.start, self.start + quantity - 1)

    def remainders(self, part: SerialRange) -> list[SerialRange]:
        """What is left of this range when ``part`` (inside it) is cut out: 0, 1 or 2 ranges."""
        return [r for r in self.split_around(part) if r is not None]

    def split_around(self, part: SerialRange) -> tuple[SerialRange | None, SerialRange | None]:
        """The serials of this range before ``part`` (inside it) and after it, if any."""
        if not (self.start <= part.start and part.end <= self.end):
            raise ValueError(f"{part} is not inside {self}")
        return (SerialRange(self.start, part.start - 1) if part.start > self.start else None,
                SerialRange(part.end + 1, self.end) if part.end < self.end else None)

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


_RANGE_RE = re.compile(r"^(?:(.*?)-)?(\d+)\s*(?:-|–|~|～|\.\.)\s*(\d+)$")
_SINGLE_RE = re.compile(r"^(\d+)$")


@dataclass(frozen=True, slots=True)
class SerialPrefix:
    """What a rendered serial number says before its numbers (``JC-ER-C000001-…``).

    Attributes:
        scheme: 制度記号, e.g. ``JC``.
        credit_type: クレジット種別, e.g. ``ER``.
        certification_number: クレジット認証番号 (may itself contain ``-``).
    """

    scheme: str
    credit_type: str
    certification_number: str

    def __str__(self) -> str:
        return f"{self.scheme}-{self.credit_type}-{self.certification_number}"


def parse_serial_range(text: str, *, field: str = "serials") -> SerialRange:
    """Parse ``"1001-1050"`` (or the rendered form ending in ``…-START-END``, or one serial).

    Whatever stands before the numbers is not checked here: a designation is parsed with
    :func:`parse_serial_designation`, which keeps it to match against the credits.

    >>> parse_serial_range("1001-1050").quantity
    50
    >>> parse_serial_range("JC-ER-C0001-0000001001-0000001050").quantity
    50
    """
    return parse_serial_designation(text, field=field)[0]


def parse_serial_designation(text: str, *, field: str = "serials"
                             ) -> tuple[SerialRange, SerialPrefix | None]:
    """A designated range and, if written, the scheme, type and 認証番号 before it.

    ``"1001-1050"`` designates serials within the account; the rendered form
    ``"JC-ER-C000001-0000001001-0000001050"`` designates them only if the credits there are
    of that scheme, type and certification (:func:`~jcredit.domain.ledger.blocks.
    select_by_serials` checks it), so a mistyped or foreign serial number moves nothing.

    >>> serials, prefix = parse_serial_designation("JC-ER-P0001-01-0000000001-0000000005")
    >>> (str(serials), prefix.certification_number if prefix else None)
    ('1-5', 'P0001-01')
    """
    value = (text or "").strip()
    single = _SINGLE_RE.match(value)
    if single:
        n = int(single.group(1))
        return _checked(n, n, value, field), None
    match = _RANGE_RE.match(value)
    if not match:
        raise ValidationError(
            f"{field} {text!r} is not a serial range; write FIRST-LAST, e.g. 1001-1050, or "
            "the full serial number, e.g. JC-ER-C000001-0000001001-0000001050",
            field=field,
        )
    serials = _checked(int(match.group(2)), int(match.group(3)), value, field)
    if match.group(1) is None:
        return serials, None
    parts = match.group(1).split("-", 2)
    if len(parts) < 3 or not all(part.strip() for part in parts):
        raise ValidationError(
            f"{field} {text!r}: before the numbers write the scheme, the credit type and the "
            "認証番号 (e.g. JC-ER-C000001-0000001001-0000001050), or nothing (1001-1050)",
            field=field,
        )
    scheme, credit_type, certification = (part.strip() for part in parts)
    return serials, SerialPrefix(scheme.upper(), credit_type.upper(), certification)


def _checked(start: int, end: int, text: str, field: str) -> SerialRange:
    if start < 1 or end < start or end > MAX_SERIAL:
        raise ValidationError(
            f"{field} {text!r}: the first serial must be ≥ 1 and not after the last",
            field=field,
        )
    return SerialRange(start, end)


def first_overlap(ranges: list[SerialRange]) -> tuple[SerialRange, SerialRange] | None:
    """The first pair of overlapping ranges in a list (by start), or None if all are disjoint."""
    ordered = sorted(ranges)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start <= before.end:
            return before, after
    return None
