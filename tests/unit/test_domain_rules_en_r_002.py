"""EN-R-002 (solar PV) rules a verifier checks in the trace, found unguarded by mutation
testing (docs/testing.md): where the 移行限界電源方式 tiers change for equipment started in
the middle of a fiscal year, which factors are used and marked, and what each step names.
"""

from __future__ import annotations

from typing import Any

import pytest

from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import NotApplicableError
from jcredit.domain.methodologies.en_r_002 import EQ_BATTERY
from jcredit.domain.methodologies.en_r_002 import EQ_BL
from jcredit.domain.methodologies.en_r_002 import EQ_PJ
from jcredit.domain.methodologies.en_r_002 import EQ_SELF
from jcredit.domain.methodologies.en_r_002 import EQ_TRANSITION

PV = methodology("EN-R-002")


def transitional(**extra: Any) -> dict[str, Any]:
    """Equipment started on 1 August 2020; a period from July 2021 to February 2023."""
    return {"period_start": "2021-07-01", "period_end": "2023-02-28",
            "operation_start": "2020-08-01", "grid_factor_method": "TRANSITIONAL",
            "el_self_kwh": "608"} | extra


def test_equipment_started_in_august_changes_tier_on_its_anniversary_and_after_30_months(
) -> None:
    result = PV.calculate(transitional())
    tiers = [(s.subject, s.expression.split(":")[0]) for s in result.steps
             if s.equation == EQ_TRANSITION]
    assert tiers == [
        ("2021-07-01..2021-07-31 (FY2021)", "tier 0"),
        ("2021-08-01..2022-03-31 (FY2021)", "tier 1"),  # one year after 1 August 2020
        ("2022-04-01..2023-01-31 (FY2022)", "tier 1"),
        ("2023-02-01..2023-02-28 (FY2022)", "tier 2"),  # two and a half years after
    ]


def test_without_plan_factors_the_published_marginal_and_all_source_factors_are_used(
) -> None:
    result = PV.calculate(transitional())
    names = [f["name"] for f in result.as_dict()["factors"]]
    assert names == ["CEF_grid MARGINAL FY2010", "CEF_grid ALL_SOURCES FY2013"]


def test_factors_fixed_by_the_plan_are_used_and_marked_for_the_validator() -> None:
    result = PV.calculate(transitional(marginal_factor_kg_per_kwh="0.600",
                                       all_sources_factor_kg_per_kwh="0.500"))
    factors = {f["name"]: f for f in result.as_dict()["factors"]}
    assert set(factors) == {"CEF_grid MARGINAL (plan)", "CEF_grid ALL_SOURCES (plan)"}
    assert factors["CEF_grid MARGINAL (plan)"]["value"] == "0.0006"
    assert factors["CEF_grid MARGINAL (plan)"]["confidence"] == "unverified"
    assert result.as_dict()["unverified_factors"] == [
        "CEF_grid ALL_SOURCES (plan)", "CEF_grid MARGINAL (plan)"]


def test_each_step_names_its_equation_and_the_period_it_covers() -> None:
    result = PV.calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31", "e_gen_kwh": "4000",
        "e_export_kwh": "2500", "battery_routing_ratio": "0.4", "battery_efficiency": "0.9",
        "el_aux_kwh": "10"})
    subject = "2025-04-01..2026-03-31 (FY2025)"
    assert [(s.equation, s.subject) for s in result.steps] == [
        (EQ_SELF, ""), (EQ_BATTERY, ""), (EQ_BL, subject), (EQ_PJ, subject), ("式1", subject)]
    em_bl, em_pj, er = (s.value for s in result.steps[2:])
    assert er == em_bl - em_pj == result.reduction


@pytest.mark.parametrize(("inputs", "code"), [
    ({"e_gen_kwh": "10"}, "SELF_CONSUMPTION_BASIS"),  # generation without the export meter
    ({"e_export_kwh": "10"}, "SELF_CONSUMPTION_BASIS"),
    ({"el_self_kwh": "10", "operation_start": "2025-05-01"}, "PERIOD_BEFORE_OPERATION"),
])
def test_a_period_without_both_meters_or_before_operation_is_refused(
        inputs: dict[str, str], code: str) -> None:
    with pytest.raises(NotApplicableError) as refused:
        PV.calculate({"period_start": "2025-04-01", "period_end": "2026-03-31"} | inputs)
    assert [f.code for f in refused.value.findings] == [code]


@pytest.mark.parametrize("inputs", [
    {"e_gen_kwh": "10", "e_export_kwh": "10"},  # everything exported: nothing self-consumed
    {"el_self_kwh": "10", "battery_routing_ratio": "1"},  # everything through the battery
])
def test_exporting_all_output_or_routing_all_through_a_battery_is_allowed(
        inputs: dict[str, str]) -> None:
    result = PV.calculate({"period_start": "2025-04-01", "period_end": "2026-03-31"} | inputs)
    assert result.findings == [] and result.reduction >= 0


def test_a_pv_without_a_battery_records_no_battery_step() -> None:
    result = PV.calculate({"period_start": "2025-04-01", "period_end": "2026-03-31",
                           "el_self_kwh": "10", "battery_routing_ratio": "0"})
    assert EQ_BATTERY not in [s.equation for s in result.steps]
