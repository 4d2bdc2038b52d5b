"""AG-004 バイオ炭の農地施用 (biochar applied to farmland).

Carbon in biochar that will still be in the soil after 100 years counts when it is
applied: CO2 = Σ M × F_C × F_perm × 44/12, less production and transport emissions
(IPCC 2019 Refinement Vol. 4 Ch. 2 Appendix 4, which AG-004 follows; jcredit-rules.md §2.7).

Conditions: made at more than 350 °C without burning, confirmed by 精煉度 (0-9) or a
fixed-carbon ratio of at least 55 %; domestic biomass with no other use; applied to the
mineral soil of cropland or grassland. F_C and F_perm defaults are **unverified** against
the AG-004 v1.4 別表 (``data/biochar.csv``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import Issue
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.credits import Category
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import Equation
from jcredit.domain.methodologies.base import InputSpec
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.methodologies.base import co2_from_carbon
from jcredit.domain.methodologies.base import divide
from jcredit.domain.methodologies.factors import biochar_factor
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D

ID = "AG-004"
MIN_TEMPERATURE_C = D(350)
MEDIUM_FROM_C = D(450)
HIGH_ABOVE_C = D(600)
MIN_FIXED_CARBON_PCT = D(55)
FEEDSTOCKS = ("WOOD", "HERBACEOUS", "RICE_HUSK", "NUT_SHELLS", "ANIMAL_MANURE", "BIOSOLIDS")


def biochar_sequestration(mass_dry_t: Decimal, carbon_fraction: Decimal,
                          permanence: Decimal) -> Decimal:
    """CO2 stored for 100 years by one lot, M × F_C × F_perm × 44/12.

    Parameters
    ----------
    mass_dry_t : Decimal
        Dry mass of biochar applied [t].
    carbon_fraction : Decimal
        Organic carbon fraction F_C [t-C/t].
    permanence : Decimal
        Fraction of that carbon remaining after 100 years F_perm [-].

    Returns
    -------
    Decimal
        Stored CO2 [t-CO2].

    References
    ----------
    IPCC 2019 Refinement Vol. 4 Ch. 2 Ap. 4 eq. 2A.1; AG-004 v1.4.

    Examples
    --------
    10 t of wood biochar made at 700 °C (F_C 0.77, F_perm 0.89):

    >>> round(biochar_sequestration(D(10), D("0.77"), D("0.89")), 10)
    Decimal('25.1276666667')
    """
    return co2_from_carbon(mass_dry_t * carbon_fraction * permanence)


def permanence_class(temperature_c: Decimal) -> str:
    """F_perm class by production temperature: HIGH > 600 °C, MEDIUM 450-600, LOW 350-450.

    >>> [permanence_class(D(t)) for t in (351, 450, 600, 601)]
    ['LOW', 'MEDIUM', 'MEDIUM', 'HIGH']
    """
    if temperature_c > HIGH_ABOVE_C:
        return "HIGH"
    if temperature_c >= MEDIUM_FROM_C:
        return "MEDIUM"
    return "LOW"


LOT = (
    InputSpec("lot_id", "-", "text", "lot identifier (施用記録)"),
    InputSpec("applied_on", "-", "date", "date the biochar was applied to the field"),
    InputSpec("mass_dry_t", "t", "decimal", "dry mass applied"),
    InputSpec("feedstock", "-", "choice", "biomass the char was made from",
              choices=FEEDSTOCKS),
    InputSpec("temperature_c", "°C", "decimal", "highest production temperature"),
    InputSpec("fixed_carbon_pct", "%", "decimal", "fixed-carbon ratio (固定炭素)",
              required=False),
    InputSpec("seirendo", "-", "decimal", "精煉度 measured with a charcoal meter (0-9)",
              required=False),
    InputSpec("carbon_fraction", "t-C/t", "decimal", "measured organic carbon fraction "
              "(overrides the feedstock default)", required=False),
    InputSpec("soil", "-", "choice", "soil the char went into", choices=("MINERAL", "ORGANIC")),
    InputSpec("land_use", "-", "choice", "farmland (農地) or grassland (採草放牧地)",
              choices=("CROPLAND", "GRASSLAND", "OTHER")),
    InputSpec("domestic_unused_feedstock", "-", "bool",
              "made from domestic biomass that has no other use"),
)

INPUTS = (
    InputSpec("lots", "-", "list", "biochar lots applied", items=LOT),
    InputSpec("project_emissions_t", "t-CO2", "decimal",
              "emissions of production and transport of the lots", required=False,
              default=ZERO),
)


def lot_findings(lot: Mapping[str, Any]) -> list[Issue]:
    subject = f"lot {lot['lot_id']}"
    findings = []
    if lot["temperature_c"] <= MIN_TEMPERATURE_C:
        findings.append(Issue("TEMPERATURE", "biochar must be made above 350 °C", subject))
    fixed_ok = lot["fixed_carbon_pct"] is not None and lot["fixed_carbon_pct"] >= \
        MIN_FIXED_CARBON_PCT
    seirendo_ok = lot["seirendo"] is not None and ZERO <= lot["seirendo"] <= D(9)
    if not (fixed_ok or seirendo_ok):
        findings.append(Issue("CARBONISATION", "confirm the temperature by 精煉度 0-9 or a "
                              "fixed-carbon ratio of at least 55 %", subject))
    if lot["soil"] != "MINERAL":
        findings.append(Issue("SOIL", "biochar must go into mineral soil", subject))
    if lot["land_use"] == "OTHER":
        findings.append(Issue("LAND_USE", "only cropland (農地) or grassland (採草放牧地)",
                              subject))
    if not lot["domestic_unused_feedstock"]:
        findings.append(Issue("FEEDSTOCK", "feedstock must be domestic biomass with no other "
                              "use", subject))
    return findings


def applicability(v: Mapping[str, Any]) -> list[Issue]:
    return [f for lot in v["lots"] for f in lot_findings(lot)]


def compute(v: Mapping[str, Any], r: ActivityResult) -> None:
    stored_by_vintage: dict[int, Decimal] = {}
    total_mass = sum((lot["mass_dry_t"] for lot in v["lots"]), ZERO)
    for lot in v["lots"]:
        subject = f"lot {lot['lot_id']}"
        f_c = lot["carbon_fraction"]
        if f_c is None:
            f_c = r.use(biochar_factor("CARBON_FRACTION", lot["feedstock"], field="feedstock"))
        f_perm = r.use(biochar_factor("PERMANENCE", permanence_class(lot["temperature_c"]),
                                      field="temperature_c"))
        stored = r.step(f"{ID} eq. 2A.1", "M × F_C × F_perm × 44/12",
                        biochar_sequestration(lot["mass_dry_t"], f_c, f_perm), "t-CO2",
                        subject)
        vintage = fiscal_year_of(lot["applied_on"])
        stored_by_vintage[vintage] = stored_by_vintage.get(vintage, ZERO) + stored
        # Production and transport emissions are shared out by mass.
        share = divide(lot["mass_dry_t"], total_mass) if total_mass > ZERO else ZERO
        r.add(vintage, ZERO, v["project_emissions_t"] * share - stored)


METHODOLOGY = Methodology(
    id=ID,
    version="1.4",
    name_ja="バイオ炭の農地施用",
    name_en="Biochar applied to farmland",
    category=Category.AGRICULTURE,
    summary_ja="鉱質土壌に100年間残るバイオ炭の炭素: M × F_C × F_perm × 44/12 から"
               "製造・運搬による排出量を差し引く。",
    summary="Biochar carbon that stays in mineral soil for 100 years: M × F_C × F_perm × 44/12 "
            "less production and transport emissions.",
    inputs=INPUTS,
    equations=(
        Equation("eq. 2A.1", "CO2 = Σ_p M_p × F_C,p × F_perm,p × 44/12",
                 "F_perm: > 600 °C HIGH, 450-600 MEDIUM, 350-450 LOW",
                 "ロット p ごとに 施用量 M × 炭素含有率 F_C × 100年後の残存率 F_perm × 44/12。"
                 "F_perm は製造温度で決まる (600 °C 超: 高、450〜600 °C: 中、350〜450 °C: 低)"),
        Equation("net", "ER = stored − project emissions",
                 "net: carbon stored less production and transport emissions",
                 "純削減量 = 貯留量 − 製造・運搬による排出量"),
    ),
    applicability_conditions=(
        "made above 350 °C with oxygen controlled (精煉度 0-9 or fixed carbon ≥ 55 %)",
        "domestic biomass with no other use",
        "applied to the mineral soil of cropland or grassland",
    ),
    applicability_conditions_ja=(
        "350 °C 超で酸素を制御して製造されたこと (精煉度 0〜9、又は固定炭素 55 % 以上)",
        "他に用途のない国内のバイオマスを原料とすること",
        "農地又は採草放牧地の鉱質土壌に施用すること",
    ),
    monitoring_parameters=("mass applied per lot", "production temperature",
                           "精煉度 or fixed carbon", "application records"),
    monitoring_parameters_ja=("ロットごとの施用量", "製造温度", "精煉度 又は 固定炭素",
                              "施用記録"),
    sources=("http://yamamototaku.jp/article/bio-char_j-credit/",
             "https://japancredit.go.jp/pdf/methodology/AG-004_v1.4.pdf",
             "jcredit-rules.md §2.7 (F_C, F_perm UNVERIFIED)"),
    applicability=applicability,
    compute=compute,
)
