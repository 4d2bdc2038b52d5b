"""Default factor tables: grid electricity, fuels, forest species, biochar.

The values live in CSV files beside this module (``data/``), one row per value, each with
its source and a confidence tag (``primary``, ``secondary`` or ``unverified``, as in
jcredit-rules.md). Nothing here is a bare constant: a calculation that uses a factor
reports the row it used, so a verifier sees the source and whether it is confirmed.

Year-varying defaults: "値が毎年度変化するデフォルト値については、排出削減が生じた期間に対応する
年度の値を用いなければならない" (モニタリング・算定規程 2.4.1, https://expydoc.com/doc/10281902/).
A lookup takes the value of the reduction's fiscal year, or the latest published one
before it when that year has none yet.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from importlib import resources

from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import D


class Confidence(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class Factor:
    """One factor value with its provenance.

    Attributes:
        name: what it is, e.g. ``CEF_grid ALL_SOURCES FY2012``.
        value: the value [unit].
        unit: unit of ``value``.
        confidence: primary, secondary or unverified.
        source: where it comes from (document and URL).
    """

    name: str
    value: Decimal
    unit: str
    confidence: Confidence
    source: str

    @property
    def verified(self) -> bool:
        return self.confidence is not Confidence.UNVERIFIED

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "value": str(self.value), "unit": self.unit,
                "confidence": self.confidence.value, "source": self.source}


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


class GridFactorType(StrEnum):
    """Kinds of grid emission factor in the 別表 (all at the receiving end, 受電端)."""

    ALL_SOURCES = "ALL_SOURCES"  # 全電源平均
    MARGINAL = "MARGINAL"  # 限界電源
    SUBSTITUTE = "SUBSTITUTE"  # 温対法 代替値


@functools.cache
def _grid_rows() -> tuple[tuple[int, GridFactorType, Factor], ...]:
    rows = []
    for row in _rows("grid_emission_factors.csv"):
        year, kind = int(row["fiscal_year"]), GridFactorType(row["factor_type"])
        rows.append((year, kind, Factor(
            name=f"CEF_grid {kind.value} FY{year}",
            value=D(row["kg_co2_per_kwh"]) / 1000,
            unit="t-CO2/kWh",
            confidence=Confidence(row["confidence"]),
            source=row["source"],
        )))
    return tuple(sorted(rows, key=lambda r: r[0]))


def grid_factor(fiscal_year: int, kind: GridFactorType) -> Factor:
    """The grid emission factor of ``kind`` for a reduction in ``fiscal_year`` [t-CO2/kWh]."""
    candidates = [f for year, k, f in _grid_rows() if k is kind and year <= fiscal_year]
    if not candidates:
        years = sorted({y for y, k, _ in _grid_rows() if k is kind})
        raise ValidationError(
            f"no {kind.value} grid emission factor published for FY{fiscal_year} or before; "
            f"the table has FY{', FY'.join(map(str, years))}",
            field="grid_factor",
        )
    return candidates[-1]


def grid_factor_table() -> list[dict[str, object]]:
    return [f.as_dict() | {"fiscal_year": y, "type": k.value} for y, k, f in _grid_rows()]


@dataclass(frozen=True, slots=True)
class FuelFactors:
    fuel: str
    heating_value: Factor  # [GJ/unit of fuel]
    carbon_factor: Factor  # [t-C/GJ]


@functools.cache
def _fuel_rows() -> tuple[tuple[str, int, FuelFactors], ...]:
    rows = []
    for row in _rows("fuels.csv"):
        fuel, year = row["fuel"], int(row["valid_from_fy"])
        confidence, source = Confidence(row["confidence"]), row["source"]
        rows.append((fuel, year, FuelFactors(
            fuel=fuel,
            heating_value=Factor(f"HV {fuel} from FY{year}", D(row["heating_value"]),
                                 row["heating_value_unit"], confidence, source),
            carbon_factor=Factor(f"C {fuel} from FY{year}", D(row["carbon_t_per_gj"]),
                                 "t-C/GJ", confidence, source),
        )))
    return tuple(sorted(rows, key=lambda r: r[1]))


FUELS = ("KEROSENE", "FUEL_OIL_A", "LPG", "CITY_GAS", "WOODY_BIOMASS")


def fuel_factors(fuel: str, fiscal_year: int, *, field: str = "fuel") -> FuelFactors:
    """Heating value and carbon factor of ``fuel`` in force in ``fiscal_year``."""
    candidates = [f for name, year, f in _fuel_rows() if name == fuel and year <= fiscal_year]
    if not candidates:
        raise ValidationError(
            f"{field}: no factors for fuel {fuel!r} in FY{fiscal_year}", field=field,
            valid=FUELS,
        )
    return candidates[-1]


@dataclass(frozen=True, slots=True)
class SpeciesFactors:
    species: str
    name_ja: str
    bef_young: Factor  # stands of age <= 20 years
    bef_old: Factor  # stands older than 20 years
    root_shoot_ratio: Factor
    basic_density: Factor  # [t/m3]
    carbon_fraction: Factor  # [t-C/t]


@functools.cache
def _species() -> dict[str, SpeciesFactors]:
    table = {}
    for row in _rows("forest_species.csv"):
        conf, src, sp = Confidence(row["confidence"]), row["source"], row["species"]
        table[sp] = SpeciesFactors(
            species=sp, name_ja=row["name_ja"],
            bef_young=Factor(f"BEF {sp} age<=20", D(row["bef_young"]), "-", conf, src),
            bef_old=Factor(f"BEF {sp} age>20", D(row["bef_old"]), "-", conf, src),
            root_shoot_ratio=Factor(f"R {sp}", D(row["root_shoot_ratio"]), "-", conf, src),
            basic_density=Factor(f"D {sp}", D(row["basic_density_t_per_m3"]), "t/m3", conf,
                                 src),
            carbon_fraction=Factor(f"CF {sp}", D(row["carbon_fraction"]), "t-C/t", conf, src),
        )
    return table


def species_factors(species: str, *, field: str = "species") -> SpeciesFactors:
    table = _species()
    if species not in table:
        raise ValidationError(f"{field}: unknown species {species!r}", field=field,
                              valid=sorted(table))
    return table[species]


def species_names() -> list[str]:
    return sorted(_species())


@functools.cache
def _biochar() -> dict[tuple[str, str], Factor]:
    return {
        (row["kind"], row["key"]): Factor(
            f"{'F_perm' if row['kind'] == 'PERMANENCE' else 'F_C'} {row['key']}",
            D(row["value"]), "-", Confidence(row["confidence"]), row["source"])
        for row in _rows("biochar.csv")
    }


def biochar_factor(kind: str, key: str, *, field: str) -> Factor:
    table = _biochar()
    if (kind, key) not in table:
        raise ValidationError(f"{field}: unknown value {key!r}", field=field,
                              valid=sorted(k for (c, k) in table if c == kind))
    return table[(kind, key)]
