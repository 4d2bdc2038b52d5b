"""Public statistics: totals by state and by dimension, ratios, and the historical figures.

Every figure is a sum of rows the registry holds (per issuance: issued, held, reserved,
invalidated, retired, cancelled; per executed invalidation: use and purpose), never a
typed-in number; the historical figures from before the registry are a labelled dataset
(``data/historical_*.csv``) with their source, loaded and summed the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP
from decimal import Decimal
from importlib import resources

from jcredit.domain.ledger.breakdown import STATES

TOTAL_FIELDS = ("issued", *STATES)


def add_up(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Σ of each state over rows of breakdowns."""
    totals = dict.fromkeys(TOTAL_FIELDS, 0)
    for row in rows:
        for name in TOTAL_FIELDS:
            totals[name] += int(row.get(name, 0))
    return totals


def by(rows: Iterable[tuple[object, Mapping[str, int]]]) -> dict[str, dict[str, int]]:
    """Totals per key: ``rows`` are (key, breakdown) pairs; keys sorted as text."""
    grouped: dict[str, list[Mapping[str, int]]] = {}
    for key, breakdown in rows:
        grouped.setdefault(str(key), []).append(breakdown)
    return {key: add_up(grouped[key]) for key in sorted(grouped)}


def ratio(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part / whole as a percentage to one decimal (None when nothing was certified).

    >>> ratio(240, 384), ratio(24, 63), ratio(1, 0)
    (Decimal('62.5'), Decimal('38.1'), None)
    """
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class HistoricalFigure:
    """One figure of a dataset from before the registry.

    Attributes:
        table: which table of the source it belongs to (credits, category, purpose, offset).
        key: the figure's code.
        label_ja: its name as the source gives it.
        value: the figure [万 t-CO2].
        source: where it comes from.
    """

    table: str
    key: str
    label_ja: str
    value: Decimal
    source: str


def historical(name: str = "2022-02-16") -> list[HistoricalFigure]:
    """The labelled historical dataset ``name`` (``data/historical_<name>.csv``)."""
    text = resources.files(__package__).joinpath("data", f"historical_{name}.csv").read_text(
        "utf-8")
    return [HistoricalFigure(row["table"], row["key"], row["label_ja"],
                             Decimal(row["value_10kt"]), row["source"])
            for row in csv.DictReader(text.splitlines())]


def historical_summary(figures: list[HistoricalFigure]) -> dict[str, Decimal | None]:
    """What the slide states, re-derived from its rows: the purposes' total, the offsets'
    sub-total, and the invalidation ratios of reduction and forest credits."""
    values = {(f.table, f.key): f.value for f in figures}
    purposes = sum((f.value for f in figures if f.table == "purpose"), Decimal(0))
    offsets = sum((f.value for f in figures if f.table == "offset"), Decimal(0))
    return {
        "purposes_total": purposes,
        "offset_subpurposes_total": offsets,
        "reduction_invalidation_ratio": ratio(values[("category", "REDUCTION_INVALIDATED")],
                                              values[("category", "REDUCTION_CERTIFIED")]),
        "forest_invalidation_ratio": ratio(values[("category", "FOREST_INVALIDATED")],
                                           values[("category", "FOREST_CERTIFIED")]),
    }
