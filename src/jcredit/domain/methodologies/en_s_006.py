"""EN-S-006 照明設備の導入 (lighting, e.g. LED).

New lighting that draws less power than the baseline lighting. The project's metered
electricity is scaled by the rated-power ratio to give the baseline:
EM_BL = EL_PJ × (P_BL / P_PJ) × CEF_grid, EM_PJ = EL_PJ × CEF_grid.

The symbols are **unverified** against the EN-S-006 PDF (jcredit-rules.md §2.5); the
baseline (replaced lamps or standard equipment) follows ``baseline_rules``.
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
from jcredit.domain.methodologies.base import divide
from jcredit.domain.methodologies.base import emission_reductions
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.methodologies.baseline_rules import BaselineDecision
from jcredit.domain.methodologies.baseline_rules import BaselineKind
from jcredit.domain.methodologies.baseline_rules import baseline_kind
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D  # noqa: F401  (the examples use it)

ID = "EN-S-006"


def baseline_lighting_emissions(el_pj_kwh: Decimal, p_bl_w: Decimal, p_pj_w: Decimal,
                                cef_grid: Decimal) -> Decimal:
    """Baseline emissions, EM_BL = EL_PJ × (P_BL / P_PJ) × CEF_grid.

    Parameters
    ----------
    el_pj_kwh : Decimal
        Electricity used by the project lighting [kWh].
    p_bl_w : Decimal
        Rated power of the baseline lighting [W].
    p_pj_w : Decimal
        Rated power of the project lighting [W].
    cef_grid : Decimal
        Grid emission factor [t-CO2/kWh].

    Examples
    --------
    10,000 kWh of LEDs (40 W) replacing 100 W fluorescent fittings, at 0.434 kg/kWh:

    >>> baseline_lighting_emissions(D(10000), D(100), D(40), D("0.000434"))
    Decimal('10.8500000')
    """
    return el_pj_kwh * divide(p_bl_w, p_pj_w) * cef_grid


def project_lighting_emissions(el_pj_kwh: Decimal, cef_grid: Decimal) -> Decimal:
    """Project emissions, EM_PJ = EL_PJ × CEF_grid.

    >>> project_lighting_emissions(D(10000), D("0.000434"))
    Decimal('4.340000')
    """
    return el_pj_kwh * cef_grid


INPUTS = (
    InputSpec("period_start", "-", "date", "monitoring period start"),
    InputSpec("period_end", "-", "date", "monitoring period end, inclusive"),
    InputSpec("el_pj_kwh", "kWh", "decimal", "electricity used by the new lighting (EL_PJ)"),
    InputSpec("p_pj_w", "W", "decimal", "rated power of the new lighting, total (P_PJ)"),
    InputSpec("p_bl_w", "W", "decimal", "rated power of the baseline lighting, total (P_BL): "
              "the replaced fittings, or standard equipment for a new installation"),
    InputSpec("is_replacement", "-", "bool", "the new lighting replaces existing lighting",
              required=False, default=True),
    InputSpec("old_specs_known", "-", "bool", "the old fittings' specifications are known",
              required=False, default=True),
    InputSpec("old_age_years", "yr", "decimal", "age of the old fittings", required=False),
    InputSpec("old_rated_life_years", "yr", "decimal",
              "rated (or statutory useful) life of the old fittings", required=False),
    InputSpec("standard_p_bl_w", "W", "decimal",
              "rated power of standard equipment (baseline when the replacement counts as a "
              "new installation)", required=False),
    InputSpec("grid_factor_type", "-", "choice", "grid factor", required=False,
              default="SUBSTITUTE", choices=tuple(t.value for t in GridFactorType)),
)


def applicability(v: Mapping[str, Any]) -> list[Issue]:
    findings = []
    if v["p_pj_w"] <= ZERO:
        findings.append(Issue("RATED_POWER", "p_pj_w must be above 0", "inputs.p_pj_w"))
    elif v["p_pj_w"] >= _baseline_power(v):
        findings.append(Issue("NO_SAVING", "the new lighting must draw less power than the "
                              "baseline lighting (P_PJ < P_BL)", "inputs.p_pj_w"))
    decision = _decision(v)
    if decision.kind is BaselineKind.NEW_INSTALLATION and v["standard_p_bl_w"] is None:
        findings.append(Issue("STANDARD_EQUIPMENT", "the baseline is standard equipment ("
                              + "; ".join(decision.reasons) + "): give standard_p_bl_w",
                              "inputs.standard_p_bl_w"))
    return findings


def _decision(v: Mapping[str, Any]) -> BaselineDecision:
    return baseline_kind(is_replacement=v["is_replacement"],
                         old_specs_known=v["old_specs_known"],
                         old_age_years=v["old_age_years"],
                         old_useful_life_years=v["old_rated_life_years"])


def _baseline_power(v: Mapping[str, Any]) -> Decimal:
    if _decision(v).kind is BaselineKind.NEW_INSTALLATION and v["standard_p_bl_w"] is not None:
        result: Decimal = v["standard_p_bl_w"]
        return result
    result = v["p_bl_w"]
    return result


def compute(v: Mapping[str, Any], r: ActivityResult) -> None:
    p_bl = _baseline_power(v)
    for segment in split_period(v["period_start"], v["period_end"]):
        subject = f"{segment.start}..{segment.end} (FY{segment.vintage})"
        cef = r.use(grid_factor(segment.vintage, GridFactorType(v["grid_factor_type"])))
        el = v["el_pj_kwh"] * segment.share
        em_bl = r.step(f"{ID} EM_BL", "EL_PJ × (P_BL / P_PJ) × CEF_grid",
                       baseline_lighting_emissions(el, p_bl, v["p_pj_w"], cef), "t-CO2",
                       subject)
        em_pj = r.step(f"{ID} EM_PJ", "EL_PJ × CEF_grid",
                       project_lighting_emissions(el, cef), "t-CO2", subject)
        r.step("式1", "EM_BL − EM_PJ", emission_reductions(em_bl, em_pj), "t-CO2", subject)
        r.add(segment.vintage, em_bl, em_pj)


METHODOLOGY = Methodology(
    id=ID,
    version="2.2",
    name_ja="照明設備の導入",
    name_en="Lighting (LED) installation",
    category=Category.ENERGY_SAVING,
    summary_ja="ベースラインより消費電力の小さい照明を導入する: "
               "ER = EL_PJ × (P_BL/P_PJ − 1) × CEF_grid。",
    summary="Lighting that draws less power than the baseline: ER = EL_PJ × (P_BL/P_PJ − 1) "
            "× CEF_grid.",
    inputs=INPUTS,
    equations=(
        Equation("式1", "ER = EM_BL − EM_PJ", "ER reductions; EM_BL baseline emissions; "
                 "EM_PJ project emissions (t-CO2)",
                 "ER 排出削減量、EM_BL ベースライン排出量、EM_PJ プロジェクト排出量 (t-CO2)"),
        Equation("EM_BL", "EM_BL = EL_PJ × (P_BL / P_PJ) × CEF_grid",
                 "the electricity the baseline lighting would have used (rated powers P_BL, "
                 "P_PJ) times the grid factor",
                 "ベースラインの照明 (定格消費電力 P_BL) が同じ時間点灯した場合の電力量 × "
                 "系統電力の排出係数"),
        Equation("EM_PJ", "EM_PJ = EL_PJ × CEF_grid",
                 "electricity used by the new lighting EL_PJ times the grid factor",
                 "導入後の照明の電力使用量 EL_PJ × 系統電力の排出係数"),
    ),
    applicability_conditions=(
        "the new lighting uses less power than the baseline lighting",
        "baseline: replaced fittings, or standard equipment when §2.2 makes the replacement "
        "a new installation (for lamps the rated life stands in for the statutory life)",
    ),
    applicability_conditions_ja=(
        "導入後の照明の消費電力がベースラインの照明より小さいこと",
        "ベースライン: 更新前の照明器具。§2.2 により新設とみなされる場合は標準的な設備 "
        "(ランプは法定耐用年数の代わりに定格寿命を用いる)",
    ),
    monitoring_parameters=("EL_PJ (kWh)",),
    monitoring_parameters_ja=("EL_PJ 導入後の照明の電力使用量 (kWh)",),
    sources=("https://pdfslide.tips/documents/en-s-006-ver2-2-een-s-006ver21-ce-aece.html",
             "jcredit-rules.md §2.5 (symbols UNVERIFIED)"),
    applicability=applicability,
    compute=compute,
)
