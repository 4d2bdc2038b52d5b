"""FO-001 森林経営活動 (forest management): removals by growing stock.

Removals of each eligible stand are ΔV × BEF × (1 + R) × D × CF × 44/12; carbon lost at
final felling (主伐) is subtracted the same way. Species factors come from the table in
``data/forest_species.csv`` (**unverified**, Japan GHG inventory defaults; jcredit-rules.md
§2.6). Carbon stored in harvested wood products (2022 revision) is not yet counted, which
is conservative.

Eligible stands: planted forest (人工林) with management (施業) since 1990; natural forest
(天然生林) that is protected (保安林 etc.), since the 2022 revision
(https://www.rinya.maff.go.jp/j/press/sin_riyou/220810_25.html items 4(4), 4(5)). Other
stands are left out and reported as findings.
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
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.methodologies.factors import species_factors
from jcredit.domain.methodologies.factors import species_names
from jcredit.domain.numbers import ONE
from jcredit.domain.numbers import ZERO
from jcredit.domain.numbers import D

ID = "FO-001"
YOUNG_STAND_MAX_AGE = D(20)


def carbon_in_volume(volume_m3: Decimal, bef: Decimal, root_shoot_ratio: Decimal,
                     basic_density: Decimal, carbon_fraction: Decimal) -> Decimal:
    """Carbon in a stem volume with branches and roots, C = V × BEF × (1 + R) × D × CF.

    Parameters
    ----------
    volume_m3 : Decimal
        Stem volume (an increment ΔV, or a felled volume) [m3].
    bef : Decimal
        Biomass expansion factor (拡大係数) [-].
    root_shoot_ratio : Decimal
        Root-to-shoot ratio R (地上部・地下部比) [-].
    basic_density : Decimal
        Basic wood density D (容積密度) [t/m3].
    carbon_fraction : Decimal
        Carbon fraction CF (炭素含有率) [t-C/t].

    Returns
    -------
    Decimal
        Carbon [t-C].

    References
    ----------
    Japan GHG inventory method as applied by FO-001; jcredit-rules.md §2.6.

    Examples
    --------
    100 m3 of スギ older than 20 years (BEF 1.23, R 0.25, D 0.314, CF 0.51):

    >>> carbon_in_volume(D(100), D("1.23"), D("0.25"), D("0.314"), D("0.51"))
    Decimal('24.621525000')
    """
    return volume_m3 * bef * (ONE + root_shoot_ratio) * basic_density * carbon_fraction


def carbon_to_co2(carbon_t: Decimal) -> Decimal:
    """t-C to t-CO2, × 44/12.

    >>> round(carbon_to_co2(D(12)), 20)
    Decimal('44.00000000000000000000')
    """
    return co2_from_carbon(carbon_t)


STAND = (
    InputSpec("stand_id", "-", "text", "stand (林小班) identifier"),
    InputSpec("species", "-", "choice", "tree species", choices=tuple(species_names())),
    InputSpec("age_years", "yr", "decimal", "stand age at the start of the period"),
    InputSpec("volume_increment_m3", "m3", "decimal",
              "stem volume increment ΔV over the period (収穫表 or measured)"),
    InputSpec("felled_volume_m3", "m3", "decimal", "stem volume felled (主伐) in the period",
              required=False, default=ZERO),
    InputSpec("forest_type", "-", "choice", "人工林 (PLANTED) or 天然生林 (NATURAL)",
              choices=("PLANTED", "NATURAL")),
    InputSpec("managed_since_1990", "-", "bool", "施業 (thinning etc.) recorded since 1990",
              required=False, default=False),
    InputSpec("protected", "-", "bool", "protected forest (保安林 etc.)", required=False,
              default=False),
)

INPUTS = (
    InputSpec("period_start", "-", "date", "monitoring period start"),
    InputSpec("period_end", "-", "date", "monitoring period end, inclusive"),
    InputSpec("stands", "-", "list", "the stands of the forest management plan area",
              items=STAND),
)


def stand_eligibility(stand: Mapping[str, Any]) -> Issue | None:
    """Why a stand does not count, or None when it does."""
    if stand["forest_type"] == "PLANTED" and not stand["managed_since_1990"]:
        return Issue("STAND_NOT_MANAGED", "planted forest counts only with management "
                     "since 1990", stand["stand_id"])
    if stand["forest_type"] == "NATURAL" and not stand["protected"]:
        return Issue("STAND_NOT_PROTECTED", "natural forest counts only when protected "
                     "(保安林 etc.)", stand["stand_id"])
    return None


def applicability(v: Mapping[str, Any]) -> list[Issue]:
    if all(stand_eligibility(s) is not None for s in v["stands"]):
        return [Issue("NO_ELIGIBLE_STAND", "no stand is eligible (planted with management "
                      "since 1990, or protected natural forest)", "inputs.stands")]
    return []


def compute(v: Mapping[str, Any], r: ActivityResult) -> None:
    segments = split_period(v["period_start"], v["period_end"])
    for stand in v["stands"]:
        finding = stand_eligibility(stand)
        if finding is not None:
            r.findings.append(finding)
            continue
        f = species_factors(stand["species"], field="stands.species")
        bef = r.use(f.bef_young if stand["age_years"] <= YOUNG_STAND_MAX_AGE else f.bef_old)
        factors = (bef, r.use(f.root_shoot_ratio), r.use(f.basic_density),
                   r.use(f.carbon_fraction))
        for segment in segments:
            subject = f"stand {stand['stand_id']} {segment.start}..{segment.end}"
            removals = r.step(f"{ID} removals", "ΔV × BEF × (1+R) × D × CF × 44/12",
                              carbon_to_co2(carbon_in_volume(
                                  stand["volume_increment_m3"] * segment.share, *factors)),
                              "t-CO2", subject)
            felling = r.step(f"{ID} felling", "V_felled × BEF × (1+R) × D × CF × 44/12",
                             carbon_to_co2(carbon_in_volume(
                                 stand["felled_volume_m3"] * segment.share, *factors)),
                             "t-CO2", subject)
            # Removals are negative project emissions against a zero baseline.
            r.add(segment.vintage, ZERO, felling - removals)


METHODOLOGY = Methodology(
    id=ID,
    version="2.4",
    name_ja="森林経営活動",
    name_en="Forest management",
    category=Category.FOREST,
    summary_ja="経営された森林の成長による CO2 吸収量: ΔV × BEF × (1+R) × D × CF × 44/12 から"
               "主伐で失われる炭素を差し引く。",
    summary="Growth of managed stands removes CO2: ΔV × BEF × (1+R) × D × CF × 44/12, less "
            "carbon lost at final felling.",
    inputs=INPUTS,
    equations=(
        Equation("removals", "ΔV × BEF × (1 + R) × D × CF × 44/12",
                 "BEF by age (≤ 20 / > 20 years); R, D, CF by species",
                 "吸収量: 幹材積の成長量 ΔV × 拡大係数 BEF (林齢 20年以下/超) × (1 + 地下部比 R)"
                 " × 容積密度 D × 炭素含有率 CF (R, D, CF は樹種別) × 44/12"),
        Equation("felling", "V_felled × BEF × (1 + R) × D × CF × 44/12",
                 "carbon lost with the stem volume felled V_felled",
                 "主伐による排出量: 伐採した幹材積 V_felled から同じ係数で換算"),
        Equation("net", "ER = removals − felling emissions",
                 "net removals: removals less felling emissions",
                 "純吸収量 = 吸収量 − 主伐による排出量"),
    ),
    applicability_conditions=(
        "the whole 森林経営計画 area, or the part the implementer owns (partial enrolment "
        "only from 500 ha, without picking stands)",
        "planted forest with management since 1990; protected natural forest",
        "crediting period up to 16 years; permanence for 10 years after, with the yearly "
        "30 June filing",
    ),
    applicability_conditions_ja=(
        "森林経営計画の対象森林の全体、又は実施者が所有する部分 (一部のみの登録は 500 ha "
        "以上からで、林小班の選り好みは不可)",
        "1990年以降に施業が行われた人工林、及び保護されている天然生林",
        "認証対象期間は最長16年。その後10年間の永続性の確保 (毎年6月30日までの報告)",
    ),
    monitoring_parameters=("ΔV per stand", "felled volume", "management records"),
    monitoring_parameters_ja=("林小班ごとの幹材積成長量 ΔV", "伐採材積", "施業の記録"),
    sources=("https://www.rinya.maff.go.jp/j/press/sin_riyou/220810_25.html",
             "jcredit-rules.md §2.6 (species factors UNVERIFIED)"),
    applicability=applicability,
    compute=compute,
)
