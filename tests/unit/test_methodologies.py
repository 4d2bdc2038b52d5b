"""Methodologies: the official worked examples (TV1-TV3) and hand-computed cases.

Expected values are computed here with exact fractions from the equations and the cited
factor values, independently of the code under test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

import pytest

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import NotApplicableError
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.numbers import D

KG = F(1, 1000)
C_TO_CO2 = F(44, 12)
SUBSTITUTE = F("0.434") * KG  # grid_emission_factors.csv, SUBSTITUTE from FY2023


def exact(value: Decimal) -> F:
    return F(str(value))


def close(value: Decimal, expected: F) -> bool:
    """Equal up to the one inexact step, a quotient at 50 digits (44/12, a day share)."""
    return abs(exact(value) - expected) < F(1, 10**40)


def pv(period_start: str, period_end: str, **extra: Any) -> dict[str, Any]:
    """EN-R-002 inputs for TV1: a household started on 2020-04-01, factors of the plan."""
    return {
        "period_start": period_start, "period_end": period_end,
        "operation_start": "2020-04-01", "grid_factor_method": "TRANSITIONAL",
        "marginal_factor_kg_per_kwh": "0.540", "all_sources_factor_kg_per_kwh": "0.487",
    } | extra


# --- TV1: EN-R-002 household PV, 移行限界電源方式 --------------------------------------------

@pytest.mark.parametrize(("period", "expected_kg"), [
    (("2020-04-01", "2021-03-31"), F("850.5")),       # 0 ≤ t < 1: 0.540
    (("2021-04-01", "2022-03-31"), F("808.7625")),    # 1 ≤ t < 2.5: (0.540 + 0.487)/2
    (("2023-04-01", "2024-03-31"), F("767.025")),     # t ≥ 2.5: 0.487
])
def test_tv1_annual_reduction_per_tier(period: tuple[str, str], expected_kg: F) -> None:
    result = methodology("EN-R-002").calculate(pv(*period, el_self_kwh="1575"))
    assert exact(result.baseline) == expected_kg * KG
    assert exact(result.reduction) == expected_kg * KG
    assert exact(result.project) == 0


def test_tv1_eight_years_sum_to_6_28_t_and_round_down_once() -> None:
    m = methodology("EN-R-002")
    periods = [  # 1 + 1.5 + 5.5 years, 1,575 kWh a year
        m.calculate(pv("2020-04-01", "2021-03-31", el_self_kwh="1575")),
        m.calculate(pv("2021-04-01", "2022-09-30", el_self_kwh="2362.5")),
        m.calculate(pv("2022-10-01", "2028-03-31", el_self_kwh="8662.5")),
    ]
    total = sum((exact(r.reduction) for r in periods), F(0))
    assert total == (F("850.5") + F("1.5") * F("808.7625") + F("5.5") * F("767.025")) * KG
    assert total == F("6.28228125")
    # one household alone: vintages are rounded down separately, never per period
    assert sum(a.credits for a in certified_amounts(periods)) <= 6


def test_tv1_rounding_happens_after_aggregating_all_households() -> None:
    household = methodology("EN-R-002").calculate(
        pv("2020-04-01", "2021-03-31", el_self_kwh="1575"))
    (amount,) = certified_amounts([household] * 50)
    assert exact(amount.total_tco2) == 50 * F("0.8505")
    assert amount.credits == 42  # 42.525 t; rounding each household first would give 0
    assert exact(amount.remainder_tco2) == F("0.525")


# --- TV2: EN-R-002 second plan (±0.5 kg; auxiliary PCS emissions) ------------------------

@pytest.mark.parametrize(("period", "em_bl_kg", "aux_kg"), [
    (("2020-04-01", "2021-03-31"), 479, F("3.1")),
    (("2021-04-01", "2022-03-31"), 455, F("2.9")),
    (("2023-04-01", "2024-03-31"), 432, F("2.8")),
])
def test_tv2_tiers_and_auxiliary_emissions(period: tuple[str, str], em_bl_kg: int,
                                           aux_kg: F) -> None:
    result = methodology("EN-R-002").calculate(
        pv(*period, el_self_kwh="887", el_aux_kwh="5.75"))
    assert abs(exact(result.baseline) / KG - em_bl_kg) <= F("0.5")
    # the plan prints one decimal of a derived PCS consumption (5.75 kWh/yr)
    assert abs(exact(result.project) / KG - aux_kg) < F("0.1")
    share = exact(result.project) / exact(result.baseline)
    assert F("0.0064") < share < F("0.0066")  # the plan's "0.6 %" impact


# --- TV3: plan-level rounding ---------------------------------------------------------------

def test_tv3_plan_level_reduction_rounds_down_to_134() -> None:
    result = ActivityResult("EN-R-002", "3.0")
    result.add(2025, D("134.4"), D("0.0"))
    (amount,) = certified_amounts([result])
    assert (amount.credits, amount.remainder_tco2) == (134, D("0.4"))


# --- EN-R-002 other rules ---------------------------------------------------------------------

def test_marginal_below_all_sources_uses_all_sources() -> None:
    result = methodology("EN-R-002").calculate(pv(
        "2020-04-01", "2021-03-31", el_self_kwh="1000", marginal_factor_kg_per_kwh="0.476",
        all_sources_factor_kg_per_kwh="0.570"))
    assert exact(result.baseline) == 1000 * F("0.570") * KG


def test_self_consumption_from_meters_and_battery_losses() -> None:
    result = methodology("EN-R-002").calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31",
        "e_gen_kwh": "4000", "e_export_kwh": "2500",
        "battery_routing_ratio": "0.4", "battery_efficiency": "0.9"})
    el_self = (4000 - 2500) * (1 - F("0.4") * (1 - F("0.9")))
    assert exact(result.baseline) == el_self * SUBSTITUTE
    assert "CEF_grid SUBSTITUTE FY2023" in result.as_dict()["unverified_factors"]


def test_a_period_crossing_1_april_is_split_by_vintage_without_losing_a_kwh() -> None:
    result = methodology("EN-R-002").calculate({
        "period_start": "2025-03-01", "period_end": "2025-04-30", "el_self_kwh": "610"})
    assert [v.vintage for v in result.lines] == [2024, 2025]
    assert close(result.lines[0].baseline, 610 * F(31, 61) * SUBSTITUTE)  # 31 of 61 days
    assert close(result.lines[1].baseline, 610 * F(30, 61) * SUBSTITUTE)
    assert exact(result.baseline) == 610 * SUBSTITUTE  # exactly: nothing lost by the split
    parts = split_period(date(2025, 1, 1), date(2025, 4, 2))  # 90 + 2 days
    assert sum((s.share for s in parts), D(0)) == 1


@pytest.mark.parametrize(("inputs", "code"), [
    ({"el_self_kwh": "10", "e_gen_kwh": "10", "e_export_kwh": "0"}, "SELF_CONSUMPTION_BASIS"),
    ({"e_gen_kwh": "10", "e_export_kwh": "11"}, "EXPORT_EXCEEDS_GENERATION"),
    ({"el_self_kwh": "10", "battery_routing_ratio": "1.1"}, "BATTERY_RATIO"),
    ({"el_self_kwh": "10", "battery_efficiency": "0"}, "BATTERY_EFFICIENCY"),
    ({"el_self_kwh": "10", "grid_factor_method": "TRANSITIONAL"}, "OPERATION_START"),
])
def test_en_r_002_refuses_inputs_outside_its_applicability(inputs: dict[str, str],
                                                           code: str) -> None:
    with pytest.raises(NotApplicableError) as raised:
        methodology("EN-R-002").calculate(
            {"period_start": "2025-04-01", "period_end": "2026-03-31"} | inputs)
    assert code in [f.code for f in raised.value.findings]


@pytest.mark.parametrize(("inputs", "field"), [
    ({"el_self_kwh": 1.5}, "inputs.el_self_kwh"),           # a float
    ({"el_self_kwh": "-1"}, "inputs.el_self_kwh"),          # negative
    ({"el_self_kwh": "10", "el_slef_kwh": "1"}, "inputs.el_slef_kwh"),  # misspelt
    ({"el_self_kwh": "10", "period_start": "2025-13-01"}, "inputs.period_start"),
    ({"el_self_kwh": "10", "period_end": None}, "inputs.period_end"),  # missing
    ({"el_self_kwh": "10", "grid_factor_type": "AVERAGE"}, "inputs.grid_factor_type"),
])
def test_bad_inputs_name_the_field(inputs: dict[str, Any], field: str) -> None:
    raw = {"period_start": "2025-04-01", "period_end": "2026-03-31"} | inputs
    with pytest.raises(ValidationError) as raised:
        methodology("EN-R-002").calculate({k: v for k, v in raw.items() if v is not None})
    assert raised.value.field == field


def test_unknown_methodology_lists_the_catalogue() -> None:
    with pytest.raises(NotFoundError) as raised:
        methodology("EN-R-999")
    assert "EN-R-002 v3.0" in (raised.value.valid or ())


# --- EN-S-001 boiler and EN-R-001 woody biomass -------------------------------------------------

def test_boiler_fuel_switch_kerosene_to_lpg() -> None:
    result = methodology("EN-S-001").calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31",
        "heat_output_gj": "1000", "project_fuel": "LPG", "project_fuel_amount": "21",
        "baseline_fuel": "KEROSENE", "baseline_efficiency": "0.8"})
    em_bl = F(1000) / F("0.8") * F("0.0185") * C_TO_CO2    # 灯油 0.0185 t-C/GJ
    em_pj = 21 * F("50.8") * F("0.0161") * C_TO_CO2        # LPG 50.8 GJ/t, 0.0161 t-C/GJ
    assert close(result.reduction, em_bl - em_pj)


def test_woody_biomass_counts_zero_co2_and_deducts_auxiliary_power() -> None:
    result = methodology("EN-R-001").calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31",
        "project_fuel_amount": "100", "project_heating_value_gj": "15",
        "project_efficiency": "0.85", "baseline_fuel": "FUEL_OIL_A",
        "baseline_efficiency": "0.85", "auxiliary_electricity_kwh": "1000",
        "unused_woody_biomass": True})
    q = 100 * 15 * F("0.85")
    em_bl = q / F("0.85") * F("0.0189") * C_TO_CO2         # A重油 0.0189 t-C/GJ
    assert close(result.baseline, em_bl)
    assert exact(result.project) == 1000 * SUBSTITUTE
    assert close(result.reduction, F("103.95") - F("0.434"))


def test_woody_biomass_conditions() -> None:
    base = {"period_start": "2025-04-01", "period_end": "2026-03-31",
            "project_fuel_amount": "1", "heat_output_gj": "10", "baseline_fuel": "KEROSENE",
            "baseline_efficiency": "0.8", "unused_woody_biomass": False}
    with pytest.raises(NotApplicableError, match="FEEDSTOCK"):
        methodology("EN-R-001").calculate(base)


# --- EN-S-006 lighting and the §2.2 baseline rules ----------------------------------------------

LIGHTING = {"period_start": "2025-04-01", "period_end": "2026-03-31", "el_pj_kwh": "10000",
            "p_pj_w": "40", "p_bl_w": "100"}


def test_lighting_replacement() -> None:
    result = methodology("EN-S-006").calculate(LIGHTING)
    assert exact(result.reduction) == 10000 * (F(100, 40) - 1) * SUBSTITUTE


def test_lighting_older_than_twice_its_life_is_a_new_installation() -> None:
    old = LIGHTING | {"old_age_years": "21", "old_rated_life_years": "10"}
    with pytest.raises(NotApplicableError, match="STANDARD_EQUIPMENT"):
        methodology("EN-S-006").calculate(old)
    result = methodology("EN-S-006").calculate(old | {"standard_p_bl_w": "80"})
    assert exact(result.reduction) == 10000 * (F(80, 40) - 1) * SUBSTITUTE
    # exactly twice the life is still a replacement
    at_limit = methodology("EN-S-006").calculate(LIGHTING | {
        "old_age_years": "20", "old_rated_life_years": "10"})
    assert exact(at_limit.reduction) == 10000 * (F(100, 40) - 1) * SUBSTITUTE


def test_lighting_must_save_power() -> None:
    with pytest.raises(NotApplicableError, match="NO_SAVING"):
        methodology("EN-S-006").calculate(LIGHTING | {"p_pj_w": "100"})


# --- FO-001 forest management ------------------------------------------------------------------

def stand(**extra: Any) -> dict[str, Any]:
    return {"stand_id": "1-ろ-3", "species": "SUGI", "age_years": "30",
            "volume_increment_m3": "100", "forest_type": "PLANTED",
            "managed_since_1990": True} | extra


def test_forest_removals_less_felling_and_ineligible_stands_left_out() -> None:
    result = methodology("FO-001").calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31",
        "stands": [stand(felled_volume_m3="10"),
                   stand(stand_id="2-い-1", managed_since_1990=False)]})
    carbon_per_m3 = F("1.23") * F("1.25") * F("0.314") * F("0.51")  # スギ > 20 yr
    assert close(result.reduction, (100 - 10) * carbon_per_m3 * C_TO_CO2)
    assert [f.code for f in result.findings] == ["STAND_NOT_MANAGED"]


def test_forest_young_stands_use_the_young_expansion_factor() -> None:
    result = methodology("FO-001").calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31",
        "stands": [stand(age_years="20", species="HINOKI")]})
    assert close(result.reduction,
                 100 * F("1.55") * F("1.26") * F("0.407") * F("0.51") * C_TO_CO2)


def test_forest_with_no_eligible_stand_is_refused() -> None:
    with pytest.raises(NotApplicableError, match="NO_ELIGIBLE_STAND"):
        methodology("FO-001").calculate({
            "period_start": "2025-04-01", "period_end": "2026-03-31",
            "stands": [stand(forest_type="NATURAL", protected=False)]})


# --- AG-004 biochar --------------------------------------------------------------------------

def lot(**extra: Any) -> dict[str, Any]:
    return {"lot_id": "L1", "applied_on": "2025-05-10", "mass_dry_t": "10",
            "feedstock": "WOOD", "temperature_c": "700", "fixed_carbon_pct": "80",
            "soil": "MINERAL", "land_use": "CROPLAND", "domestic_unused_feedstock": True} | extra


def test_biochar_stored_carbon_less_project_emissions() -> None:
    result = methodology("AG-004").calculate({"lots": [lot()], "project_emissions_t": "1"})
    assert close(result.reduction, 10 * F("0.77") * F("0.89") * C_TO_CO2 - 1)
    assert [v.vintage for v in result.lines] == [2025]


@pytest.mark.parametrize(("extra", "ok"), [
    ({"temperature_c": "350"}, False), ({"temperature_c": "351"}, True),
    ({"fixed_carbon_pct": "54.9"}, False), ({"fixed_carbon_pct": "55"}, True),
    ({"fixed_carbon_pct": None, "seirendo": "9"}, True),
    ({"fixed_carbon_pct": None, "seirendo": "10"}, False),
    ({"soil": "ORGANIC"}, False), ({"land_use": "OTHER"}, False),
    ({"domestic_unused_feedstock": False}, False),
])
def test_biochar_applicability_boundaries(extra: dict[str, Any], ok: bool) -> None:
    lot_inputs = {k: v for k, v in (lot() | extra).items() if v is not None}
    if ok:
        assert methodology("AG-004").calculate({"lots": [lot_inputs]}).reduction > 0
    else:
        with pytest.raises(NotApplicableError):
            methodology("AG-004").calculate({"lots": [lot_inputs]})


def test_biochar_permanence_class_follows_temperature() -> None:
    low = methodology("AG-004").calculate({"lots": [lot(temperature_c="449")]})
    medium = methodology("AG-004").calculate({"lots": [lot(temperature_c="450")]})
    assert close(low.reduction, 10 * F("0.77") * F("0.65") * C_TO_CO2)
    assert close(medium.reduction, 10 * F("0.77") * F("0.80") * C_TO_CO2)


def test_boiler_capacity_more_than_1_5_times_uses_standard_equipment() -> None:
    base = {"period_start": "2025-04-01", "period_end": "2026-03-31",
            "heat_output_gj": "1000", "project_fuel": "LPG", "project_fuel_amount": "21",
            "baseline_fuel": "KEROSENE", "baseline_efficiency": "0.8",
            "old_capacity_kw": "100"}
    same = methodology("EN-S-001").calculate(base | {"new_capacity_kw": "150"})  # 1.5×: old
    with pytest.raises(NotApplicableError, match="STANDARD_EQUIPMENT"):
        methodology("EN-S-001").calculate(base | {"new_capacity_kw": "151"})
    bigger = methodology("EN-S-001").calculate(base | {"new_capacity_kw": "151",
                                                      "standard_efficiency": "0.9"})
    kerosene = F("0.0185") * C_TO_CO2
    assert close(same.baseline, F(1000) / F("0.8") * kerosene)
    assert close(bigger.baseline, F(1000) / F("0.9") * kerosene)
