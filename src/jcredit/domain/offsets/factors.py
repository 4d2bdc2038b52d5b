"""The offset calculators' factor table: versioned data, each value with its source.

Version 1 is ``data/offset_factors.csv``: one row per factor with its unit, a confidence
tag (``primary``, ``secondary``, ``unverified``, as in jcredit-rules.md) and its source.
Many meeting factors have no public source yet (jcredit-rules.md §5.3: "The factor values
need a source before release"): they are flagged ``unverified`` and every result shows the
flag beside the value it used. The secretariat publishes a new version by changing rows
(:func:`revise`); a version never changes once published, so a saved calculation names
the version it used and can be re-run against a newer one.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from decimal import Decimal
from functools import partial
from importlib import resources

from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.factors import Confidence
from jcredit.domain.parsing import parse_decimal


@dataclass(frozen=True, slots=True)
class OffsetFactor:
    """One factor of the table.

    Attributes:
        key: stable identifier, e.g. ``travel.RAIL``.
        category: the result category it feeds (``VENUE``, ``TRAVEL``, …).
        label_ja: Japanese name shown beside the result.
        label_en: English name.
        value: the value [unit].
        unit: unit of ``value``.
        confidence: primary, secondary or unverified.
        source: where the value comes from (document and URL).
    """

    key: str
    category: str
    label_ja: str
    label_en: str
    value: Decimal
    unit: str
    confidence: Confidence
    source: str

    @property
    def verified(self) -> bool:
        return self.confidence is not Confidence.UNVERIFIED

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "category": self.category, "label_ja": self.label_ja,
                "label_en": self.label_en, "value": str(self.value), "unit": self.unit,
                "confidence": self.confidence.value, "source": self.source}

    @classmethod
    def from_dict(cls, row: Mapping[str, object]) -> OffsetFactor:
        return cls(key=str(row["key"]), category=str(row["category"]),
                   label_ja=str(row["label_ja"]), label_en=str(row["label_en"]),
                   value=Decimal(str(row["value"])), unit=str(row["unit"]),
                   confidence=Confidence(str(row["confidence"])), source=str(row["source"]))


@dataclass(frozen=True, slots=True)
class FactorTable:
    """One published version of the factor table.

    Attributes:
        version: 1, 2, … (each revision adds one).
        factors: the rows by key.
        note: what changed in this version.
    """

    version: int
    factors: Mapping[str, OffsetFactor]
    note: str = ""

    def get(self, key: str, *, field: str) -> OffsetFactor:
        """The factor ``key``; a clear error naming ``field`` if the table has none."""
        factor = self.factors.get(key)
        if factor is None:
            raise ValidationError(f"{field}: the factor table v{self.version} has no factor "
                                  f"{key!r}", field=field)
        return factor

    def rows(self) -> list[dict[str, str]]:
        return [f.as_dict() for f in self.factors.values()]

    @classmethod
    def from_rows(cls, version: int, rows: Sequence[Mapping[str, object]], note: str = ""
                  ) -> FactorTable:
        factors = {str(r["key"]): OffsetFactor.from_dict(r) for r in rows}
        return cls(version=version, factors=factors, note=note)


@functools.cache
def default_factor_table() -> FactorTable:
    """Version 1, as shipped (``data/offset_factors.csv``)."""
    text = resources.files(__package__).joinpath("data", "offset_factors.csv").read_text(
        "utf-8")
    return FactorTable.from_rows(1, list(csv.DictReader(text.splitlines())),
                                 note="as shipped (jcredit-rules.md §2.8, §5.3)")


MAXIMUM = Decimal(100_000)
"""No factor of the table comes near this (the largest, heat, is 57 kg-CO2/GJ): a value
above it is a typing mistake, refused."""
LARGE_CHANGE = Decimal(10)
"""A change to more than ten times or less than a tenth of the published value needs a
confirmation: the version can never be taken back, only superseded."""


def revise(table: FactorTable, changes: Sequence[Mapping[str, object]], *, note: str,
           confirm_large: bool = False) -> FactorTable:
    """The next version of ``table`` with ``changes`` applied (value, source, confidence).

    Each change names an existing ``key``; the unit cannot change (a result would silently
    mean something else). A changed value needs its source; every change is checked and
    all problems are refused at once, so nothing is half-published.
    """
    check = FieldChecks()
    if not note.strip():
        check(lambda: _fail("note", "say what this version changes (note)"))
    if not changes:
        check(lambda: _fail("changes", "a new version must change at least one factor"))
    factors = dict(table.factors)
    for n, change in enumerate(changes):
        where = f"changes[{n}]"
        key = str(change.get("key", ""))
        old = factors.get(key)
        if old is None:
            check(partial(_missing, f"{where}.key", key, table))
            continue
        value = check(partial(parse_decimal, change.get("value", old.value),
                              field=f"{where}.value", unit=old.unit))
        confidence = check(partial(_confidence, change.get("confidence", old.confidence.value),
                                   field=f"{where}.confidence"))
        source = " ".join(str(change.get("source", "")).split())
        if not source:
            check(partial(_fail, f"{where}.source", "a changed factor needs its source"))
        if "unit" in change and change["unit"] != old.unit:
            check(partial(_fail, f"{where}.unit",
                          f"the unit of a factor cannot change (it is {old.unit})"))
        if value is not None and value > MAXIMUM:
            check(partial(_fail, f"{where}.value", f"{where}.value: {value} {old.unit} is more "
                          f"than any factor can be (at most {MAXIMUM:,})"))
            value = None
        elif value is not None and not confirm_large and _large_change(old.value, value):
            check(partial(_confirm, f"{where}.value",
                          f"{where}.value: {key} changes from {old.value} to {value} {old.unit}"
                          " (more than tenfold); confirm (confirm_large) if it is meant"))
            value = None
        if value is not None and confidence is not None and source:
            factors[key] = replace(old, value=value, confidence=confidence, source=source)
    check.done()
    return FactorTable(version=table.version + 1, factors=factors, note=" ".join(note.split()))


def _large_change(old: Decimal, new: Decimal) -> bool:
    if old == 0 or new == 0:
        return old != new
    ratio = new / old
    return ratio > LARGE_CHANGE or ratio < 1 / LARGE_CHANGE


def _confirm(field: str, message: str) -> None:
    raise ConfirmationRequiredError(message, field=field)


def _fail(field: str, message: str) -> None:
    raise ValidationError(message, field=field)


def _missing(field: str, key: str, table: FactorTable) -> None:
    raise NotFoundError(f"{field}: no factor {key!r} in v{table.version}", field=field,
                        valid=sorted(table.factors))


def _confidence(value: object, *, field: str) -> Confidence:
    try:
        return Confidence(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be one of primary, secondary, unverified; got "
                              f"{value!r}", field=field,
                              valid=[c.value for c in Confidence]) from None
