"""STEP0 創出量の概算: what a project could earn, before anyone writes a plan.

A self-serve estimate from a few figures a business or a forest owner knows: PV capacity
and how much of it they use themselves, how much fuel a boiler burns, how many hectares
of which species. It uses the same equations and factor tables as the methodologies, and
says which assumptions are unverified. The answer: expected t-CO2 a year and over the
crediting period, revenue at a chosen price, whether planning support applies
(≥ 100 t-CO2/yr) and what the audit-fee support would cover (70 % or 90 %, capped).
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_FLOOR
from decimal import Decimal
from importlib import resources
from typing import Any

from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.base import InputSpec
from jcredit.domain.methodologies.base import divide
from jcredit.domain.methodologies.base import exact_sum
from jcredit.domain.methodologies.base import parse_inputs
from jcredit.domain.methodologies.en_r_002 import baseline_emissions
from jcredit.domain.methodologies.factors import FUELS
from jcredit.domain.methodologies.factors import Confidence
from jcredit.domain.methodologies.factors import Factor
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import fuel_factors
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.domain.methodologies.factors import species_factors
from jcredit.domain.methodologies.factors import species_names
from jcredit.domain.methodologies.fo_001 import YOUNG_STAND_MAX_AGE
from jcredit.domain.methodologies.fo_001 import carbon_in_volume
from jcredit.domain.methodologies.fo_001 import carbon_to_co2
from jcredit.domain.methodologies.heat import fuel_emission_factor
from jcredit.domain.numbers import ONE
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D
from jcredit.domain.projects.eligibility import CREDITING_YEARS
from jcredit.domain.projects.eligibility import FOREST_MAX_CREDITING_YEARS

KINDS = ("PV", "BOILER", "FOREST")
SUPPORT_RATES = ("70", "90")


def _data(filename: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@functools.cache
def assumption(name: str) -> Factor:
    for row in _data("estimate_assumptions.csv"):
        if row["name"] == name:
            return Factor(name, D(row["value"]), row["unit"], Confidence(row["confidence"]),
                          row["source"])
    raise KeyError(name)


@functools.cache
def average_audit_fees(category: str, project_type: str) -> tuple[Factor, Factor] | None:
    for row in _data("audit_fees.csv"):
        if row["category"] == category and row["project_type"] == project_type:
            conf, src = Confidence(row["confidence"]), row["source"]
            return (Factor(f"validation fee {category} {project_type}",
                           D(row["validation_yen"]), "yen", conf, src),
                    Factor(f"verification fee {category} {project_type}",
                           D(row["verification_yen"]), "yen", conf, src))
    return None


INPUTS = {
    "PV": (
        InputSpec("capacity_kw", "kW", "decimal", "PV capacity (太陽光発電の容量)"),
        InputSpec("self_consumption_share", "-", "decimal",
                  "share of the output used on site (自家消費率), 0 to 1"),
        InputSpec("annual_yield_kwh_per_kw", "kWh/kW/yr", "decimal",
                  "yearly output per kW (default: a typical figure)", required=False),
        InputSpec("project_type", "-", "choice", "通常型 or プログラム型", required=False,
                  default="NORMAL", choices=("NORMAL", "PROGRAMME")),
    ),
    "BOILER": (
        InputSpec("fuel", "-", "choice", "fuel the boiler burns now",
                  choices=tuple(f for f in FUELS if f != "WOODY_BIOMASS")),
        InputSpec("annual_fuel_use", "kL, t or thousand m3", "decimal",
                  "fuel burnt a year now (unit of the fuel's heating value)"),
        InputSpec("current_efficiency", "-", "decimal", "efficiency of the boiler now"),
        InputSpec("new_efficiency", "-", "decimal", "efficiency of the new boiler"),
        InputSpec("project_type", "-", "choice", "通常型 or プログラム型", required=False,
                  default="NORMAL", choices=("NORMAL", "PROGRAMME")),
    ),
    "FOREST": (
        InputSpec("area_ha", "ha", "decimal", "forest area under management"),
        InputSpec("species", "-", "choice", "main species", choices=tuple(species_names())),
        InputSpec("annual_increment_m3_per_ha", "m3/ha/yr", "decimal",
                  "stem volume growth a year (from the 収穫表 of the area)"),
        InputSpec("stand_age_years", "yr", "decimal", "typical stand age"),
        InputSpec("crediting_years", "yr", "decimal", "crediting period (8 to 16)",
                  required=False, default=D(FOREST_MAX_CREDITING_YEARS)),
    ),
}
COMMON = (
    InputSpec("price_yen_per_tco2", "yen/t-CO2", "decimal", "credit price for the revenue "
              "estimate", required=False, default=ZERO),
    InputSpec("fiscal_year", "-", "decimal", "fiscal year whose factors to use",
              required=False, default=D(2025)),
    InputSpec("support_rate_pct", "%", "choice", "audit-fee support rate (条件あり)",
              required=False, default="70", choices=SUPPORT_RATES),
)


@dataclass
class Estimate:
    kind: str
    annual_tco2: Decimal
    crediting_years: int
    price_yen_per_tco2: Decimal
    planning_support: bool
    audit_fees: dict[str, Decimal] = field(default_factory=dict)
    audit_support: dict[str, Decimal] = field(default_factory=dict)
    assumptions: list[Factor] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def period_tco2(self) -> Decimal:
        return self.annual_tco2 * self.crediting_years

    @property
    def revenue_yen(self) -> Decimal:
        """Expected revenue over the period, on whole credits (they are issued whole)."""
        return self.price_yen_per_tco2 * int(self.period_tco2)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "annual_tco2": str(self.annual_tco2),
            "crediting_years": self.crediting_years,
            "period_tco2": str(self.period_tco2),
            "period_credits": int(self.period_tco2),
            "price_yen_per_tco2": str(self.price_yen_per_tco2),
            "revenue_yen": str(self.revenue_yen),
            "planning_support": self.planning_support,
            "audit_fees_yen": {k: str(v) for k, v in self.audit_fees.items()},
            "audit_support_yen": {k: str(v) for k, v in self.audit_support.items()},
            "assumptions": [a.as_dict() for a in self.assumptions],
            "unverified": sorted(a.name for a in self.assumptions if not a.verified),
            "notes": self.notes,
        }


def estimate(kind: str, raw: Mapping[str, Any]) -> Estimate:
    """Expected credits of a project idea (STEP0).

    Examples
    --------
    A 50 kW roof using 80 % of its output, at the default yield and FY2025 factor:

    >>> e = estimate("PV", {"capacity_kw": "50", "self_consumption_share": "0.8"})
    >>> e.annual_tco2, e.crediting_years, e.planning_support
    (Decimal('17.3600000'), 8, False)
    """
    kind = kind.strip().upper()
    if kind not in INPUTS:
        raise ValidationError(f"kind: unknown estimate kind {kind!r}", field="kind",
                              valid=KINDS)
    values = parse_inputs(INPUTS[kind] + COMMON, raw)
    fiscal_year = int(values["fiscal_year"])
    used: list[Factor] = []
    notes: list[str] = []
    if kind == "PV":
        if values["self_consumption_share"] > ONE:
            raise ValidationError("inputs.self_consumption_share is a share, 0 to 1",
                                  field="inputs.self_consumption_share")
        yield_factor = assumption("PV_ANNUAL_YIELD")
        per_kw = values["annual_yield_kwh_per_kw"]
        if per_kw is None:
            per_kw = yield_factor.value
            used.append(yield_factor)
        cef = grid_factor(fiscal_year, GridFactorType.SUBSTITUTE)
        used.append(cef)
        el_self = values["capacity_kw"] * per_kw * values["self_consumption_share"]
        annual = baseline_emissions(el_self, cef.value)
        years, category = CREDITING_YEARS, "RENEWABLE"
        notes.append("only self-consumed electricity counts; exported (FIT) electricity never")
    elif kind == "BOILER":
        if not ZERO < values["current_efficiency"] <= values["new_efficiency"] <= ONE:
            raise ValidationError("efficiencies must satisfy 0 < current ≤ new ≤ 1",
                                  field="inputs.new_efficiency")
        fuel = fuel_factors(values["fuel"], fiscal_year)
        used += [fuel.heating_value, fuel.carbon_factor]
        baseline = (values["annual_fuel_use"] * fuel.heating_value.value
                    * fuel_emission_factor(fuel.carbon_factor.value))
        saved_share = ONE - divide(values["current_efficiency"], values["new_efficiency"])
        annual = baseline * saved_share
        years, category = CREDITING_YEARS, "ENERGY_SAVING"
    else:
        years = int(values["crediting_years"])
        if not CREDITING_YEARS <= years <= FOREST_MAX_CREDITING_YEARS:
            raise ValidationError("inputs.crediting_years for forest is 8 to 16",
                                  field="inputs.crediting_years")
        f = species_factors(values["species"])
        bef = f.bef_young if values["stand_age_years"] <= YOUNG_STAND_MAX_AGE else f.bef_old
        used += [bef, f.root_shoot_ratio, f.basic_density, f.carbon_fraction]
        annual = carbon_to_co2(carbon_in_volume(
            values["area_ha"] * values["annual_increment_m3_per_ha"], bef.value,
            f.root_shoot_ratio.value, f.basic_density.value, f.carbon_fraction.value))
        category = "FOREST"
        notes.append("forest credits need a 森林経営計画 and permanence for 10 years after")
    minimum = assumption("PLANNING_SUPPORT_MIN")
    cap = assumption("AUDIT_SUPPORT_CAP")
    used += [minimum, cap]
    result = Estimate(kind=kind, annual_tco2=annual, crediting_years=years,
                      price_yen_per_tco2=values["price_yen_per_tco2"],
                      planning_support=annual >= minimum.value, assumptions=used, notes=notes)
    fees = average_audit_fees(category, values.get("project_type") or "NORMAL")
    if fees is not None:
        rate = D(values["support_rate_pct"]) / 100
        for fee in fees:
            used.append(fee)
            name = fee.name.split(" ")[0]
            result.audit_fees[name] = fee.value
            # whole yen, rounded down (a subsidy is never paid in fractions of a yen)
            support = (fee.value * rate).to_integral_value(rounding=ROUND_FLOOR)
            result.audit_support[name] = min(support, cap.value)
        result.audit_support["total"] = exact_sum(
            v for k, v in result.audit_support.items() if k != "total")
    return result
