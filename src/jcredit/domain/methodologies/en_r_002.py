"""EN-R-002 太陽光発電設備の導入 (solar PV, self-consumption).

Installing PV and consuming its output on site displaces grid electricity. Only
self-consumed electricity counts, never exported (FIT/FIP) electricity.

References: jcredit-rules.md §2.3; programme plans https://expydoc.com/doc/7629704/ and
https://expydoc.com/doc/7426643/; 移行限界電源方式 in the steering-committee paper
https://expydoc.com/doc/8105134/. Equation numbers follow the plan template (式1 ER,
式2 EM_BL, 式3 EM_PJ); the self-consumption and battery equations are labelled by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import Issue
from jcredit.domain.ledger.credits import Category
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import Equation
from jcredit.domain.methodologies.base import InputSpec
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.methodologies.base import add_years
from jcredit.domain.methodologies.base import divide
from jcredit.domain.methodologies.base import emission_reductions
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.methodologies.factors import Confidence
from jcredit.domain.methodologies.factors import Factor
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.domain.numbers import ONE
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D

ID, VERSION = "EN-R-002", "3.0"
EQ_SELF = "EN-R-002 自家消費量 (E_self = E_gen − E_exp, dmrv.md)"
EQ_BATTERY = "EN-R-002 蓄電池経由率 (battery routing)"
EQ_BL = "EN-R-002 式2"
EQ_PJ = "EN-R-002 式3"
EQ_TRANSITION = "EN-R-002 移行限界電源方式 (https://expydoc.com/doc/8105134/)"
TIER_RULES = ("t < 1 yr: 限界", "1 ≤ t < 2.5 yr: (限界 + 全電源) / 2", "t ≥ 2.5 yr: 全電源")


def self_consumption(e_gen_kwh: Decimal, e_export_kwh: Decimal) -> Decimal:
    """Self-consumed PV electricity, E_self = E_gen − E_exp.

    Parameters
    ----------
    e_gen_kwh : Decimal
        PV generation measured at the PCS output [kWh].
    e_export_kwh : Decimal
        Electricity exported to the grid (FIT/FIP meter) [kWh].

    Returns
    -------
    Decimal
        Self-consumed electricity [kWh].

    References
    ----------
    dmrv.md (self-consumption measurement basis); jcredit-rules.md §2.3.

    Examples
    --------
    >>> self_consumption(D("4200"), D("2625"))
    Decimal('1575')
    """
    return e_gen_kwh - e_export_kwh


def battery_adjusted_self_consumption(el_self_kwh: Decimal, routing_ratio: Decimal,
                                      efficiency: Decimal) -> Decimal:
    """Self-consumption net of storage losses, EL = E_self × (1 − r × (1 − η)).

    The share ``r`` of self-consumed electricity that passes through a battery loses
    (1 − η) in charge and discharge. Default routing ratios exist since 2018
    (jcredit-rules.md §1.6); their values are not confirmed, so ``r`` and ``η`` are inputs.

    Parameters
    ----------
    el_self_kwh : Decimal
        Self-consumed electricity before storage losses [kWh].
    routing_ratio : Decimal
        Battery-routed share r (経由率) [-], 0 to 1.
    efficiency : Decimal
        Charge-discharge efficiency η [-], above 0 up to 1.

    Examples
    --------
    >>> battery_adjusted_self_consumption(D("1000"), D("0.5"), D("0.9"))
    Decimal('950.00')
    """
    return el_self_kwh * (ONE - routing_ratio * (ONE - efficiency))


def transitional_grid_factor(years_since_start_tier: int, marginal: Decimal,
                             all_sources: Decimal) -> Decimal:
    """Baseline grid factor under 移行限界電源方式, by time since the equipment started.

    Tier 0 (0 ≤ t < 1 yr): the marginal-source factor; tier 1 (1 ≤ t < 2.5 yr): the mean
    of marginal and all-source; tier 2 (t ≥ 2.5 yr): the all-source average. When the
    marginal factor is lower than the all-source one, the all-source factor applies.

    Parameters
    ----------
    years_since_start_tier : int
        0, 1 or 2 as above.
    marginal : Decimal
        限界電源排出係数 (受電端) [t-CO2/kWh].
    all_sources : Decimal
        全電源平均排出係数 (受電端) [t-CO2/kWh].

    References
    ----------
    J-Credit steering committee 資料2, https://expydoc.com/doc/8105134/.

    Examples
    --------
    >>> [transitional_grid_factor(t, D("0.540"), D("0.487")) for t in (0, 1, 2)]
    [Decimal('0.540'), Decimal('0.5135'), Decimal('0.487')]
    """
    if marginal < all_sources or years_since_start_tier >= 2:
        return all_sources
    if years_since_start_tier == 0:
        return marginal
    return divide(marginal + all_sources, D(2))


def baseline_emissions(el_self_kwh: Decimal, cef_grid: Decimal) -> Decimal:
    """Baseline emissions, EM_BL = EL_self × CEF_grid.

    Parameters
    ----------
    el_self_kwh : Decimal
        Self-consumed PV electricity [kWh].
    cef_grid : Decimal
        Grid emission factor [t-CO2/kWh].

    Returns
    -------
    Decimal
        EM_BL [t-CO2].

    Notes
    -----
    式2 of the EN-R-002 plan template.

    Examples
    --------
    TV1 (jcredit-rules.md): 1,575 kWh at 0.540 kg-CO2/kWh.

    >>> baseline_emissions(D("1575"), D("0.000540"))
    Decimal('0.850500')
    """
    return el_self_kwh * cef_grid


def project_emissions(el_aux_kwh: Decimal, cef_grid: Decimal) -> Decimal:
    """Project emissions from auxiliary consumption (PCS standby), EM_PJ = EL_aux × CEF_grid.

    Notes
    -----
    式3 of the EN-R-002 plan template; the plans show about 0.6 % of EM_BL.

    Examples
    --------
    >>> project_emissions(D("5.75"), D("0.000540"))
    Decimal('0.00310500')
    """
    return el_aux_kwh * cef_grid


INPUTS = (
    InputSpec("period_start", "-", "date", "monitoring period start (モニタリング期間 開始日)"),
    InputSpec("period_end", "-", "date", "monitoring period end, inclusive"),
    InputSpec("operation_start", "-", "date",
              "date the PV system started operating (for 移行限界電源方式)", required=False),
    InputSpec("el_self_kwh", "kWh", "decimal",
              "self-consumed PV electricity in the period (自家消費量); or give e_gen_kwh and "
              "e_export_kwh", required=False),
    InputSpec("e_gen_kwh", "kWh", "decimal", "PV generation in the period (発電量)",
              required=False),
    InputSpec("e_export_kwh", "kWh", "decimal", "electricity exported (売電量)",
              required=False),
    InputSpec("el_aux_kwh", "kWh", "decimal", "auxiliary consumption, e.g. PCS standby",
              required=False, default=ZERO),
    InputSpec("battery_routing_ratio", "-", "decimal",
              "share of self-consumption routed through a battery (蓄電池経由率)",
              required=False, default=ZERO),
    InputSpec("battery_efficiency", "-", "decimal",
              "battery charge-discharge efficiency", required=False, default=ONE),
    InputSpec("grid_factor_method", "-", "choice",
              "FISCAL_YEAR: the factor of the reduction's fiscal year; TRANSITIONAL: "
              "移行限界電源方式", required=False, default="FISCAL_YEAR",
              choices=("FISCAL_YEAR", "TRANSITIONAL")),
    InputSpec("grid_factor_type", "-", "choice",
              "which factor FISCAL_YEAR uses", required=False, default="SUBSTITUTE",
              choices=tuple(t.value for t in GridFactorType)),
    InputSpec("marginal_factor_kg_per_kwh", "kg-CO2/kWh", "decimal",
              "限界電源排出係数 fixed by the plan (overrides the table)", required=False),
    InputSpec("all_sources_factor_kg_per_kwh", "kg-CO2/kWh", "decimal",
              "全電源平均排出係数 fixed by the plan (overrides the table)", required=False),
)


def applicability(v: Mapping[str, Any]) -> list[Issue]:
    findings = []
    has_self = v["el_self_kwh"] is not None
    has_meters = v["e_gen_kwh"] is not None and v["e_export_kwh"] is not None
    if has_self == has_meters:
        findings.append(Issue("SELF_CONSUMPTION_BASIS",
                              "give either el_self_kwh or both e_gen_kwh and e_export_kwh",
                              "inputs.el_self_kwh"))
    if has_meters and v["e_export_kwh"] > v["e_gen_kwh"]:
        findings.append(Issue("EXPORT_EXCEEDS_GENERATION",
                              "exported electricity exceeds generation: check the meters",
                              "inputs.e_export_kwh"))
    if v["battery_routing_ratio"] > ONE:
        findings.append(Issue("BATTERY_RATIO", "battery_routing_ratio is a share, 0 to 1",
                              "inputs.battery_routing_ratio"))
    if not ZERO < v["battery_efficiency"] <= ONE:
        findings.append(Issue("BATTERY_EFFICIENCY",
                              "battery_efficiency is above 0 and at most 1",
                              "inputs.battery_efficiency"))
    if v["grid_factor_method"] == "TRANSITIONAL" and v["operation_start"] is None:
        findings.append(Issue("OPERATION_START", "移行限界電源方式 needs operation_start",
                              "inputs.operation_start"))
    if v["operation_start"] is not None and v["operation_start"] > v["period_start"]:
        findings.append(Issue("PERIOD_BEFORE_OPERATION",
                              "the monitoring period starts before the PV system operated",
                              "inputs.period_start"))
    return findings


def _plan_factor(value_kg: Decimal | None, name: str) -> Factor | None:
    if value_kg is None:
        return None
    return Factor(f"{name} (plan)", value_kg / 1000, "t-CO2/kWh", Confidence.UNVERIFIED,
                  "fixed in the project plan (プロジェクト計画書); checked by the validator")


def _tier(day: date, operation_start: date) -> int:
    if day < add_years(operation_start, 1):
        return 0
    if day < add_years(operation_start, 2, 6):
        return 1
    return 2


def compute(v: Mapping[str, Any], r: ActivityResult) -> None:
    if v["el_self_kwh"] is not None:
        el_self = v["el_self_kwh"]
    else:
        el_self = r.step(EQ_SELF, "E_gen − E_exp",
                         self_consumption(v["e_gen_kwh"], v["e_export_kwh"]), "kWh")
    if v["battery_routing_ratio"] > ZERO:
        el_self = r.step(EQ_BATTERY, "E_self × (1 − r × (1 − η))",
                         battery_adjusted_self_consumption(
                             el_self, v["battery_routing_ratio"], v["battery_efficiency"]),
                         "kWh")
    transitional = v["grid_factor_method"] == "TRANSITIONAL"
    cuts = []
    if transitional:
        start = v["operation_start"]
        cuts = [add_years(start, 1), add_years(start, 2, 6)]
    marginal_plan = _plan_factor(v["marginal_factor_kg_per_kwh"], "CEF_grid MARGINAL")
    all_plan = _plan_factor(v["all_sources_factor_kg_per_kwh"], "CEF_grid ALL_SOURCES")
    for segment in split_period(v["period_start"], v["period_end"], cuts):
        subject = f"{segment.start}..{segment.end} (FY{segment.vintage})"
        if transitional:
            marginal = r.use(marginal_plan or grid_factor(segment.vintage,
                                                          GridFactorType.MARGINAL))
            all_sources = r.use(all_plan or grid_factor(segment.vintage,
                                                        GridFactorType.ALL_SOURCES))
            tier = _tier(segment.start, v["operation_start"])
            cef = r.step(EQ_TRANSITION, f"tier {tier}: {TIER_RULES[tier]}",
                         transitional_grid_factor(tier, marginal, all_sources), "t-CO2/kWh",
                         subject)
        else:
            cef = r.use(grid_factor(segment.vintage, GridFactorType(v["grid_factor_type"])))
        em_bl = r.step(EQ_BL, "EL_self × CEF_grid",
                       baseline_emissions(el_self * segment.share, cef), "t-CO2", subject)
        em_pj = r.step(EQ_PJ, "EL_aux × CEF_grid",
                       project_emissions(v["el_aux_kwh"] * segment.share, cef), "t-CO2",
                       subject)
        r.step("式1", "EM_BL − EM_PJ", emission_reductions(em_bl, em_pj), "t-CO2", subject)
        r.add(segment.vintage, em_bl, em_pj)


METHODOLOGY = Methodology(
    id=ID,
    version=VERSION,
    name_ja="太陽光発電設備の導入",
    name_en="Solar PV installation (self-consumption)",
    category=Category.RENEWABLE_POWER,
    summary="Self-consumed PV electricity displaces grid electricity: ER = EL_self × CEF − "
            "EL_aux × CEF. Exported (FIT/FIP) electricity never counts.",
    summary_ja="自家消費した太陽光発電の電力が系統電力を代替した分を削減量とする: "
               "ER = EL_self × CEF − EL_aux × CEF。売電 (FIT/FIP) した電力は対象外。",
    inputs=INPUTS,
    equations=(
        Equation("式1", "ER = EM_BL − EM_PJ", "ER reductions; EM_BL baseline emissions; "
                 "EM_PJ project emissions (t-CO2)",
                 "ER 排出削減量、EM_BL ベースライン排出量、EM_PJ プロジェクト排出量 (t-CO2)"),
        Equation(EQ_BL, "EM_BL = EL_self × CEF_grid",
                 "EL_self self-consumed kWh; CEF_grid t-CO2/kWh of the reduction's fiscal year",
                 "EL_self 自家消費電力量 (kWh)、CEF_grid 削減が生じた年度の系統電力の排出係数 "
                 "(t-CO2/kWh)"),
        Equation(EQ_PJ, "EM_PJ = EL_aux × CEF_grid", "EL_aux auxiliary (PCS standby) kWh",
                 "EL_aux 付随的な電力消費量 (パワコンの待機電力など、kWh)"),
        Equation(EQ_SELF, "E_self = E_gen − E_exp",
                 "E_gen generation; E_exp electricity exported (kWh)",
                 "E_gen 発電量、E_exp 売電量 (kWh)"),
        Equation(EQ_BATTERY, "EL_self = E_self × (1 − r × (1 − η))",
                 "r share routed through a battery; η its charge-discharge efficiency",
                 "r 蓄電池を経由する割合、η 蓄電池の充放電効率"),
        Equation(EQ_TRANSITION, "t<1: 限界; 1≤t<2.5: (限界+全電源)/2; t≥2.5: 全電源; "
                 "全電源 if 限界 < 全電源",
                 "t years since the equipment started: the marginal factor in the first year, "
                 "the mean of marginal and all-source until 2.5 years, then the all-source "
                 "factor (the all-source factor whenever it is the higher)",
                 "t は設備の稼働開始からの年数。1年未満は限界電源係数、2.5年未満は限界電源と"
                 "全電源平均の平均、それ以降は全電源平均係数 (全電源平均の方が高い場合は常に"
                 "全電源平均)"),
    ),
    applicability_conditions=(
        "PV installed and its output consumed on site, in whole or in part",
        "only self-consumed electricity is credited; exported electricity never",
        "卒FIT PV only with an additional investment (PCS with curtailment, battery, EV/PHEV; "
        "EcoCute reviewed manually)",
        "programme-type activity: expected reduction ≤ 500 t-CO2/yr",
    ),
    applicability_conditions_ja=(
        "太陽光発電設備を設置し、その発電電力の全部又は一部を自家消費すること",
        "クレジットの対象は自家消費した電力のみで、売電した電力は対象外",
        "卒FITの太陽光発電設備は追加投資 (出力制御機能付きパワコン、蓄電池、EV/PHEV) を"
        "伴う場合のみ (エコキュートは個別審査)",
        "プログラム型の削減活動: 1件あたりの見込み削減量が 500 t-CO2/年 以下",
    ),
    monitoring_parameters=("E_gen (発電量, kWh)", "E_exp (売電量, kWh)",
                           "EL_aux (付随的消費, kWh)"),
    monitoring_parameters_ja=("E_gen 発電量 (kWh)", "E_exp 売電量 (kWh)",
                              "EL_aux 付随的な電力消費量 (kWh)"),
    sources=("https://expydoc.com/doc/7629704/", "https://expydoc.com/doc/7426643/",
             "https://expydoc.com/doc/8105134/", "jcredit-rules.md §2.3, TV1, TV2"),
    applicability=applicability,
    compute=compute,
    additionality_waived=False,
)
