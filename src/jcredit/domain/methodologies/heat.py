"""Heat-source methodologies: EN-S-001 ボイラーの導入 and EN-R-001 木質バイオマス.

Both compare the fuel a baseline boiler would have burnt to produce the project's heat
output with what the project burns: EM_BL = Q_PJ / η_BL × EF_BL (baseline), EM_PJ =
F_PJ × HV_PJ × EF_PJ + auxiliary electricity (project). Woody biomass counts as zero CO2.

The symbols follow the standard heat-source template; they are **unverified** against
the EN-S-001 and EN-R-001 PDFs (jcredit-rules.md §2.4), and so is the ID EN-S-001
(jcredit-rules-verification.md §4 lists it from a 2014 methodology list).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import Issue
from jcredit.domain.ledger.credits import Category
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import Equation
from jcredit.domain.methodologies.base import InputSpec
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.methodologies.base import co2_from_carbon
from jcredit.domain.methodologies.base import divide
from jcredit.domain.methodologies.base import emission_reductions
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.methodologies.baseline_rules import BaselineDecision
from jcredit.domain.methodologies.baseline_rules import BaselineKind
from jcredit.domain.methodologies.baseline_rules import baseline_kind
from jcredit.domain.methodologies.factors import FUELS
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import fuel_factors
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.domain.numbers import ONE
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D  # noqa: F401  (the examples use it)

FOSSIL_FUELS = tuple(f for f in FUELS if f != "WOODY_BIOMASS")


def fuel_emission_factor(carbon_t_per_gj: Decimal) -> Decimal:
    """Fuel CO2 factor, EF = C × 44/12.

    Parameters
    ----------
    carbon_t_per_gj : Decimal
        Carbon emission factor of the fuel [t-C/GJ].

    Returns
    -------
    Decimal
        CO2 emission factor [t-CO2/GJ].

    References
    ----------
    算定省令 別表; jcredit-rules.md §2.8 (灯油 0.0185 t-C/GJ → 2.489 t-CO2/kL at 36.7 GJ/kL).

    Examples
    --------
    >>> round(fuel_emission_factor(D("0.0185")) * D("36.7"), 3)
    Decimal('2.489')
    """
    return co2_from_carbon(carbon_t_per_gj)


def heat_from_fuel(fuel_amount: Decimal, heating_value: Decimal, efficiency: Decimal) -> Decimal:
    """Heat output when it is not metered, Q_PJ = F_PJ × HV_PJ × η_PJ [GJ].

    Examples
    --------
    >>> heat_from_fuel(D("10"), D("36.7"), D("0.9"))
    Decimal('330.30')
    """
    return fuel_amount * heating_value * efficiency


def baseline_heat_emissions(q_pj_gj: Decimal, eta_bl: Decimal, ef_bl: Decimal) -> Decimal:
    """Baseline emissions, EM_BL = Q_PJ / η_BL × EF_BL.

    Parameters
    ----------
    q_pj_gj : Decimal
        Heat produced by the project equipment [GJ].
    eta_bl : Decimal
        Efficiency of the baseline boiler [-].
    ef_bl : Decimal
        CO2 factor of the baseline fuel [t-CO2/GJ].

    Examples
    --------
    330.3 GJ of heat that an 80 % kerosene boiler would have made:

    >>> round(baseline_heat_emissions(D("330.3"), D("0.8"), D("0.0185") * 44 / 12), 6)
    Decimal('28.006688')
    """
    return divide(q_pj_gj, eta_bl) * ef_bl


def project_fuel_emissions(fuel_amount: Decimal, heating_value: Decimal, ef: Decimal
                           ) -> Decimal:
    """Project fuel emissions, EM_PJ,fuel = F_PJ × HV_PJ × EF_PJ (0 for woody biomass).

    Examples
    --------
    >>> project_fuel_emissions(D("10"), D("36.7"), D("0.0185") * 44 / 12) > 0
    True
    """
    return fuel_amount * heating_value * ef


def auxiliary_electricity_emissions(el_aux_kwh: Decimal, cef_grid: Decimal) -> Decimal:
    """Auxiliary emissions (fans, pumps, conveyors), EM_aux = EL_aux × CEF_grid [t-CO2]."""
    return el_aux_kwh * cef_grid


def _inputs(project_fuels: tuple[str, ...], project_default: str | None) -> tuple[InputSpec, ...]:
    return (
        InputSpec("period_start", "-", "date", "monitoring period start"),
        InputSpec("period_end", "-", "date", "monitoring period end, inclusive"),
        InputSpec("heat_output_gj", "GJ", "decimal",
                  "metered heat output of the project equipment (Q_PJ); or give the project "
                  "efficiency to derive it from fuel", required=False),
        InputSpec("project_fuel", "-", "choice", "fuel burnt after the project",
                  required=project_default is None, default=project_default,
                  choices=project_fuels),
        InputSpec("project_fuel_amount", "kL, t or thousand m3", "decimal",
                  "fuel burnt after the project (F_PJ), in the unit of its heating value"),
        InputSpec("project_heating_value_gj", "GJ/unit", "decimal",
                  "measured heating value of the project fuel (wood: GJ/t); default from the "
                  "fuel table", required=False),
        InputSpec("project_efficiency", "-", "decimal",
                  "efficiency of the project boiler (η_PJ), when heat is not metered",
                  required=False),
        InputSpec("baseline_fuel", "-", "choice", "fuel of the baseline boiler",
                  choices=FOSSIL_FUELS),
        InputSpec("baseline_efficiency", "-", "decimal",
                  "efficiency of the baseline boiler (η_BL): the replaced one, or standard "
                  "equipment for a new installation (§2.2)"),
        InputSpec("auxiliary_electricity_kwh", "kWh", "decimal",
                  "electricity for fans, pumps, conveyors (付随的排出)", required=False,
                  default=ZERO),
        InputSpec("grid_factor_type", "-", "choice", "grid factor for auxiliary electricity",
                  required=False, default="SUBSTITUTE",
                  choices=tuple(t.value for t in GridFactorType)),
    )


def _applicability(v: Mapping[str, Any]) -> list[Issue]:
    findings = []
    if v["heat_output_gj"] is None and v["project_efficiency"] is None:
        findings.append(Issue("HEAT_OUTPUT", "give heat_output_gj (metered) or "
                              "project_efficiency to derive it", "inputs.heat_output_gj"))
    for name in ("baseline_efficiency", "project_efficiency"):
        if v[name] is not None and not ZERO < v[name] <= ONE:
            findings.append(Issue("EFFICIENCY", f"{name} is above 0 and at most 1",
                                  f"inputs.{name}"))
    return findings


def _compute(v: Mapping[str, Any], r: ActivityResult, ref: str) -> None:
    for segment in split_period(v["period_start"], v["period_end"]):
        subject = f"{segment.start}..{segment.end} (FY{segment.vintage})"
        project = fuel_factors(v["project_fuel"], segment.vintage, field="project_fuel")
        baseline = fuel_factors(v["baseline_fuel"], segment.vintage, field="baseline_fuel")
        hv_pj = v["project_heating_value_gj"]
        if hv_pj is None:
            hv_pj = r.use(project.heating_value)
        fuel_amount = v["project_fuel_amount"] * segment.share
        if v["heat_output_gj"] is not None:
            q_pj = v["heat_output_gj"] * segment.share
        else:
            q_pj = r.step(f"{ref} Q_PJ", "F_PJ × HV_PJ × η_PJ",
                          heat_from_fuel(fuel_amount, hv_pj, v["project_efficiency"]), "GJ",
                          subject)
        ef_bl = r.step(f"{ref} EF_BL", "C_BL × 44/12",
                       fuel_emission_factor(r.use(baseline.carbon_factor)), "t-CO2/GJ", subject)
        em_bl = r.step(f"{ref} EM_BL", "Q_PJ / η_BL × EF_BL",
                       baseline_heat_emissions(q_pj, baseline_efficiency(v), ef_bl), "t-CO2",
                       subject)
        ef_pj = fuel_emission_factor(r.use(project.carbon_factor))
        em_fuel = r.step(f"{ref} EM_PJ,fuel", "F_PJ × HV_PJ × EF_PJ",
                         project_fuel_emissions(fuel_amount, hv_pj, ef_pj), "t-CO2", subject)
        cef = r.use(grid_factor(segment.vintage, GridFactorType(v["grid_factor_type"])))
        em_aux = r.step(f"{ref} EM_PJ,aux", "EL_aux × CEF_grid",
                        auxiliary_electricity_emissions(
                            v["auxiliary_electricity_kwh"] * segment.share, cef), "t-CO2",
                        subject)
        em_pj = em_fuel + em_aux
        r.step("式1", "EM_BL − EM_PJ", emission_reductions(em_bl, em_pj), "t-CO2", subject)
        r.add(segment.vintage, em_bl, em_pj)


_EQUATIONS = (
    Equation("式1", "ER = EM_BL − EM_PJ", "ER reductions; EM_BL baseline emissions; "
             "EM_PJ project emissions (t-CO2)",
             "ER 排出削減量、EM_BL ベースライン排出量、EM_PJ プロジェクト排出量 (t-CO2)"),
    Equation("EF", "EF_fuel = C_fuel × 44/12", "C_fuel t-C/GJ from the fuel table",
             "C_fuel 燃料の炭素排出係数 (t-C/GJ、燃料表)、44/12 は炭素から CO2 への換算"),
    Equation("Q_PJ", "Q_PJ = F_PJ × HV_PJ × η_PJ (when heat is not metered)",
             "heat output from fuel used F_PJ, heating value HV_PJ and efficiency η_PJ",
             "熱量を計測しない場合: 燃料使用量 F_PJ × 発熱量 HV_PJ × ボイラー効率 η_PJ"),
    Equation("EM_BL", "EM_BL = Q_PJ / η_BL × EF_BL",
             "the same heat from the baseline boiler (efficiency η_BL, fuel factor EF_BL)",
             "同じ熱量をベースラインのボイラー (効率 η_BL、燃料の排出係数 EF_BL) で"
             "得た場合の排出量"),
    Equation("EM_PJ", "EM_PJ = F_PJ × HV_PJ × EF_PJ + EL_aux × CEF_grid (biomass EF = 0)",
             "fuel burnt plus auxiliary electricity EL_aux (biomass counts as zero)",
             "燃料の燃焼による排出 + 付随的な電力消費 EL_aux による排出 "
             "(バイオマスの排出係数は 0)"),
)


BASELINE_RULE_INPUTS = (
    InputSpec("is_replacement", "-", "bool", "the project boiler replaces an existing one",
              required=False, default=True),
    InputSpec("old_age_years", "yr", "decimal", "age of the replaced boiler", required=False),
    InputSpec("old_useful_life_years", "yr", "decimal",
              "statutory useful life (法定耐用年数) of the replaced boiler", required=False),
    InputSpec("old_capacity_kw", "kW", "decimal", "rated capacity of the replaced boiler",
              required=False),
    InputSpec("new_capacity_kw", "kW", "decimal", "rated capacity of the project boiler",
              required=False),
    InputSpec("standard_efficiency", "-", "decimal",
              "efficiency of standard equipment (標準的な設備): the baseline when §2.2 makes "
              "the replacement a new installation", required=False),
)


def _baseline_decision(v: Mapping[str, Any]) -> BaselineDecision:
    return baseline_kind(is_replacement=v["is_replacement"], old_age_years=v["old_age_years"],
                         old_useful_life_years=v["old_useful_life_years"],
                         old_capacity=v["old_capacity_kw"], new_capacity=v["new_capacity_kw"])


def baseline_efficiency(v: Mapping[str, Any]) -> Decimal:
    """η_BL: the replaced boiler's, or standard equipment's when §2.2 says so."""
    if "is_replacement" in v and _baseline_decision(v).kind is BaselineKind.NEW_INSTALLATION:
        result: Decimal = v["standard_efficiency"]
        return result
    result = v["baseline_efficiency"]
    return result


def _boiler_applicability(v: Mapping[str, Any]) -> list[Issue]:
    findings = _applicability(v)
    decision = _baseline_decision(v)
    if decision.kind is BaselineKind.NEW_INSTALLATION and v["standard_efficiency"] is None:
        findings.append(Issue("STANDARD_EQUIPMENT", "the baseline is standard equipment ("
                              + "; ".join(decision.reasons) + "): give standard_efficiency",
                              "inputs.standard_efficiency"))
    if v["project_fuel"] == "WOODY_BIOMASS":
        findings.append(Issue("USE_EN_R_001", "a switch to woody biomass is EN-R-001",
                              "inputs.project_fuel"))
    return findings


def _boiler_compute(v: Mapping[str, Any], r: ActivityResult) -> None:
    _compute(v, r, "EN-S-001")


BOILER = Methodology(
    id="EN-S-001",
    version="2.0",
    name_ja="ボイラーの導入",
    name_en="Boiler installation / fuel switch",
    category=Category.ENERGY_SAVING,
    summary="A more efficient boiler, or one on a lower-carbon fossil fuel, produces the same "
            "heat with less CO2 than the baseline boiler.",
    summary_ja="高効率のボイラー、又はより低炭素な化石燃料のボイラーにより、ベースラインの"
               "ボイラーより少ない CO2 で同じ熱量を得る。",
    inputs=_inputs(FOSSIL_FUELS, None) + BASELINE_RULE_INPUTS,
    equations=_EQUATIONS,
    applicability_conditions=(
        "the project boiler replaces or avoids a fossil-fuel boiler",
        "baseline: the replaced boiler, or standard equipment for a new installation, or "
        "when the old one is older than 2× its useful life or the new capacity is more "
        "than 1.5× the old (§2.2)",
    ),
    applicability_conditions_ja=(
        "化石燃料ボイラーを更新し、又はその導入を回避すること",
        "ベースライン: 更新前のボイラー。新設の場合、更新前の設備が法定耐用年数の2倍を超えて"
        "使用されていた場合、又は新設備の能力が旧設備の1.5倍を超える場合は標準的な設備 (§2.2)",
    ),
    monitoring_parameters=("F_PJ fuel used", "Q_PJ heat output (or η_PJ)", "EL_aux"),
    monitoring_parameters_ja=("F_PJ 燃料使用量", "Q_PJ 熱量 (又は η_PJ)",
                              "EL_aux 付随的な電力消費量"),
    sources=("jcredit-rules.md §2.4 (symbols UNVERIFIED)",
             "https://expydoc.com/doc/7420739/ (ID list, 2014)"),
    applicability=_boiler_applicability,
    compute=_boiler_compute,
    id_confidence="unverified",
)


def _biomass_applicability(v: Mapping[str, Any]) -> list[Issue]:
    findings = _applicability(v)
    if not v["unused_woody_biomass"]:
        findings.append(Issue("FEEDSTOCK", "the fuel must be unused woody biomass (未利用木質"
                              "バイオマス), legally harvested", "inputs.unused_woody_biomass"))
    if v["heat_output_gj"] is None and v["project_heating_value_gj"] is None:
        findings.append(Issue("HEATING_VALUE", "woody biomass has no default heating value: "
                              "give project_heating_value_gj (measured, GJ/t) or meter the heat",
                              "inputs.project_heating_value_gj"))
    if v["household_heating"] and v["construction_waste_wood"]:
        findings.append(Issue("CONSTRUCTION_WASTE", "household heating may not burn "
                              "construction waste wood", "inputs.construction_waste_wood"))
    return findings


def _biomass_compute(v: Mapping[str, Any], r: ActivityResult) -> None:
    _compute(v, r, "EN-R-001")


BIOMASS = Methodology(
    id="EN-R-001",
    version="2.0",
    name_ja="バイオマス固形燃料(木質バイオマス)による化石燃料又は系統電力の代替",
    name_en="Woody biomass solid fuel replacing fossil fuel",
    category=Category.RENEWABLE_HEAT,
    summary="Pellets, chips or firewood replace a fossil fuel in a boiler or stove; "
            "biomass CO2 counts as zero.",
    summary_ja="ペレット、チップ又は薪がボイラーやストーブの化石燃料を代替する。"
               "バイオマス由来の CO2 は排出量ゼロとみなす。",
    inputs=(*_inputs(("WOODY_BIOMASS",), "WOODY_BIOMASS"),
            InputSpec("unused_woody_biomass", "-", "bool",
                      "the feedstock is unused woody biomass, legally harvested"),
            InputSpec("household_heating", "-", "bool", "household heating use",
                      required=False, default=False),
            InputSpec("construction_waste_wood", "-", "bool",
                      "the fuel includes construction waste wood", required=False,
                      default=False)),
    equations=_EQUATIONS,
    applicability_conditions=(
        "woody solid biofuel (pellets, chips, firewood) replaces fossil fuel or grid power",
        "heat or power is at least partly self-consumed",
        "feedstock is unused woody biomass, legally harvested",
        "household heating may not use construction waste wood",
    ),
    applicability_conditions_ja=(
        "木質固形バイオ燃料 (ペレット、チップ、薪) が化石燃料又は系統電力を代替すること",
        "熱又は電力の少なくとも一部を自家消費すること",
        "原料は合法に伐採された未利用の木質バイオマスであること",
        "家庭の暖房用では建設廃材を使用しないこと",
    ),
    monitoring_parameters=("F_PJ biomass used (t)", "HV_PJ (GJ/t)", "Q_PJ or η_PJ",
                           "EL_aux"),
    monitoring_parameters_ja=("F_PJ バイオマス使用量 (t)", "HV_PJ 発熱量 (GJ/t)",
                              "Q_PJ 熱量 又は η_PJ ボイラー効率", "EL_aux 付随的な電力消費量"),
    sources=("https://expydoc.com/doc/7420692/", "jcredit-rules.md §2.4"),
    applicability=_biomass_applicability,
    compute=_biomass_compute,
)
