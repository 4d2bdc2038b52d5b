"""Boilers (EN-S-001) and woody biomass (EN-R-001): which inputs an applicant may leave
out, which conditions refuse the inputs, and what the trace names. Found unguarded by
mutation testing (docs/testing.md)."""

from __future__ import annotations

from fractions import Fraction as F
from typing import Any

import pytest

from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import NotApplicableError
from jcredit.domain.methodologies.base import parse_inputs

BOILER, BIOMASS = methodology("EN-S-001"), methodology("EN-R-001")
FOSSIL = ["KEROSENE", "FUEL_OIL_A", "LPG", "CITY_GAS"]


def declared(m: Any) -> dict[str, tuple[object, object, object]]:
    return {i["name"]: (i["required"], i.get("default"), i.get("choices"))
            for i in m.describe()["inputs"]}


def test_a_boiler_needs_its_fuels_amounts_and_efficiency_and_nothing_else() -> None:
    inputs = declared(BOILER)
    assert {n for n, (required, _, _) in inputs.items() if required} == {
        "period_start", "period_end", "project_fuel", "project_fuel_amount", "baseline_fuel",
        "baseline_efficiency"}
    assert inputs["project_fuel"] == (True, None, FOSSIL)
    assert inputs["baseline_fuel"] == (True, None, FOSSIL)
    assert inputs["auxiliary_electricity_kwh"] == (False, "0", None)
    assert inputs["grid_factor_type"] == (False, "SUBSTITUTE",
                                          ["ALL_SOURCES", "MARGINAL", "SUBSTITUTE"])
    for optional in ("heat_output_gj", "project_heating_value_gj", "project_efficiency"):
        assert inputs[optional] == (False, None, None)


def test_woody_biomass_is_the_fuel_of_a_biomass_boiler_unless_said_otherwise() -> None:
    inputs = declared(BIOMASS)
    assert inputs["project_fuel"] == (False, "WOODY_BIOMASS", ["WOODY_BIOMASS"])
    assert inputs["unused_woody_biomass"] == (True, None, None)
    assert inputs["household_heating"] == (False, "False", None)


def boiler(**extra: Any) -> dict[str, Any]:
    return {"period_start": "2025-04-01", "period_end": "2026-03-31",
            "project_fuel": "LPG", "project_fuel_amount": "21", "project_efficiency": "0.9",
            "baseline_fuel": "KEROSENE", "baseline_efficiency": "0.8"} | extra


def test_a_boiler_without_metered_heat_or_auxiliary_power_is_calculated_from_its_fuel(
) -> None:
    result = BOILER.calculate(boiler())
    subject = "2025-04-01..2026-03-31 (FY2025)"
    assert [(s.equation, s.subject) for s in result.steps] == [
        ("EN-S-001 Q_PJ", subject), ("EN-S-001 EF_BL", subject), ("EN-S-001 EM_BL", subject),
        ("EN-S-001 EM_PJ,fuel", subject), ("EN-S-001 EM_PJ,aux", subject), ("式1", subject)]
    em_bl, em_fuel, em_aux, er = (F(str(result.steps[i].value)) for i in (2, 3, 4, 5))
    assert em_aux == 0 and er == em_bl - em_fuel - em_aux == F(str(result.reduction))
    assert parse_inputs(BOILER.inputs, boiler())["grid_factor_type"] == "SUBSTITUTE"


@pytest.mark.parametrize(("extra", "codes"), [
    ({"project_efficiency": None}, ["HEAT_OUTPUT"]),
    ({"baseline_efficiency": "1.2"}, ["EFFICIENCY"]),
    ({"project_efficiency": "0"}, ["EFFICIENCY"]),
    ({"old_age_years": "21", "old_useful_life_years": "10"}, ["STANDARD_EQUIPMENT"]),
])
def test_a_boiler_outside_its_conditions_is_refused_with_each_reason(
        extra: dict[str, Any], codes: list[str]) -> None:
    with pytest.raises(NotApplicableError) as refused:
        BOILER.calculate(boiler(**extra))
    assert [f.code for f in refused.value.findings] == codes


def test_an_old_boiler_at_twice_its_useful_life_is_still_the_baseline() -> None:
    at_limit = BOILER.calculate(boiler(old_age_years="20", old_useful_life_years="10"))
    older = BOILER.calculate(boiler(old_age_years="21", old_useful_life_years="10",
                                    standard_efficiency="0.9"))
    assert at_limit.baseline > older.baseline  # η_BL 0.8 vs standard equipment's 0.9
    with pytest.raises(NotApplicableError) as refused:
        BOILER.calculate(boiler(old_age_years="21", old_useful_life_years="10"))
    assert "(21 years) is older than 2 × its useful life (10 years)" in str(refused.value)


def test_a_boiler_switching_to_woody_biomass_is_told_to_use_en_r_001() -> None:
    values = parse_inputs(BOILER.inputs, boiler())
    assert [f.code for f in BOILER.applicability(values | {"project_fuel": "WOODY_BIOMASS"})
            ] == ["USE_EN_R_001"]


def biomass(**extra: Any) -> dict[str, Any]:
    return {"period_start": "2025-04-01", "period_end": "2026-03-31",
            "project_fuel_amount": "100", "heat_output_gj": "1000",
            "baseline_fuel": "FUEL_OIL_A", "baseline_efficiency": "0.85",
            "unused_woody_biomass": True} | extra


@pytest.mark.parametrize(("extra", "codes"), [
    ({"heat_output_gj": None, "project_efficiency": "0.8"}, ["HEATING_VALUE"]),
    ({"household_heating": True, "construction_waste_wood": True}, ["CONSTRUCTION_WASTE"]),
])
def test_biomass_without_a_heating_value_or_burning_waste_wood_at_home_is_refused(
        extra: dict[str, Any], codes: list[str]) -> None:
    with pytest.raises(NotApplicableError) as refused:
        BIOMASS.calculate(biomass(**extra))
    assert [f.code for f in refused.value.findings] == codes


@pytest.mark.parametrize("extra", [
    {"household_heating": True}, {"construction_waste_wood": True},
    {"project_heating_value_gj": "15", "heat_output_gj": None, "project_efficiency": "0.8"},
])
def test_biomass_at_home_or_waste_wood_in_industry_or_a_measured_heating_value_is_fine(
        extra: dict[str, Any]) -> None:
    assert BIOMASS.calculate(biomass(**extra)).reduction > 0


def test_a_boiler_of_efficiency_exactly_1_is_accepted() -> None:
    result = BOILER.calculate(boiler(project_efficiency="1", baseline_efficiency="1"))
    assert result.baseline > 0 and result.findings == []
