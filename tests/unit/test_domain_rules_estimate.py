"""The STEP0 estimate of a project idea, as an applicant reads it: the boiler and forest
figures from the published factors, which assumptions they rest on, fees and support.
Found unguarded by mutation testing (docs/testing.md)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.factors import species_factors
from jcredit.domain.projects.estimate import estimate

C_TO_CO2 = F(44, 12)


def close(value: Decimal | str, expected: F) -> bool:
    return abs(F(str(value)) - expected) < F(1, 10**20)


def boiler(**extra: str) -> dict[str, str]:
    return {"fuel": "KEROSENE", "annual_fuel_use": "10", "current_efficiency": "0.8",
            "new_efficiency": "0.9"} | extra


def test_a_more_efficient_boiler_saves_the_share_of_fuel_its_efficiency_saves() -> None:
    result = estimate("BOILER", boiler(price_yen_per_tco2="2000"))
    now = 10 * F("36.7") * F("0.0185") * C_TO_CO2  # kerosene: GJ/kL, t-C/GJ
    assert close(result.annual_tco2, now * (1 - F("0.8") / F("0.9")))
    data = result.as_dict()
    assert close(data["annual_tco2"], now / 9)  # type: ignore[arg-type]
    assert close(data["period_tco2"], 8 * now / 9)  # type: ignore[arg-type]
    assert (data["kind"], data["period_credits"], data["price_yen_per_tco2"],
            data["revenue_yen"]) == ("BOILER", 22, "2000", "44000")
    assert [a["name"] for a in data["assumptions"]] == [  # type: ignore[attr-defined]
        "HV KEROSENE from FY2010", "C KEROSENE from FY2010", "PLANNING_SUPPORT_MIN",
        "AUDIT_SUPPORT_CAP", "validation fee ENERGY_SAVING NORMAL",
        "verification fee ENERGY_SAVING NORMAL"]


def test_audit_support_is_70_percent_of_each_fee_in_whole_yen_and_adds_up() -> None:
    data = estimate("BOILER", boiler()).as_dict()
    assert data["audit_fees_yen"] == {"validation": "663522", "verification": "317454"}
    assert data["audit_support_yen"] == {  # 464,465.4 and 222,217.8, rounded down
        "validation": "464465", "verification": "222217", "total": "686682"}


def test_a_pv_estimate_uses_the_applicants_own_yield_when_given() -> None:
    own = estimate("PV", {"capacity_kw": "50", "self_consumption_share": "0.8",
                          "annual_yield_kwh_per_kw": "1200"})
    typical = estimate("PV", {"capacity_kw": "50", "self_consumption_share": "0.8"})
    assert own.annual_tco2 / typical.annual_tco2 == Decimal("1.2")
    assert "PV_ANNUAL_YIELD" not in [a.name for a in own.assumptions]
    assert own.notes == ["only self-consumed electricity counts; exported (FIT) electricity "
                         "never"]


def forest(age: str) -> dict[str, str]:
    return {"area_ha": "300", "species": "SUGI", "annual_increment_m3_per_ha": "8",
            "stand_age_years": age}


@pytest.mark.parametrize(("age", "young"), [("20", True), ("21", False)])
def test_a_forest_estimate_uses_the_young_stand_factor_up_to_20_years(age: str,
                                                                     young: bool) -> None:
    f = species_factors("SUGI")
    bef = f.bef_young if young else f.bef_old
    result = estimate("FOREST", forest(age))
    expected = (300 * 8 * F(str(bef.value)) * (1 + F(str(f.root_shoot_ratio.value)))
                * F(str(f.basic_density.value)) * F(str(f.carbon_fraction.value)) * C_TO_CO2)
    assert close(result.annual_tco2, expected)
    assert [a.name for a in result.assumptions[:4]] == [
        bef.name, f.root_shoot_ratio.name, f.basic_density.name, f.carbon_fraction.name]
    assert result.notes == ["forest credits need a 森林経営計画 and permanence for 10 years "
                            "after"]


def test_an_unknown_kind_of_project_is_refused_with_the_kinds_there_are() -> None:
    with pytest.raises(ValidationError) as refused:
        estimate("wind", {})
    assert (refused.value.field, refused.value.valid) == ("kind", ("PV", "BOILER", "FOREST"))


@pytest.mark.parametrize(("current", "new"), [("0.9", "0.9"), ("0.8", "1"), ("0.01", "0.02")])
def test_a_boiler_as_efficient_as_now_or_perfect_is_a_valid_idea(current: str,
                                                                 new: str) -> None:
    result = estimate("BOILER", boiler(current_efficiency=current, new_efficiency=new))
    assert result.annual_tco2 >= 0


@pytest.mark.parametrize(("current", "new"), [("0", "0.9"), ("0.9", "0.8"), ("0.8", "1.1")])
def test_boiler_efficiencies_out_of_order_or_range_are_refused(current: str,
                                                               new: str) -> None:
    with pytest.raises(ValidationError) as refused:
        estimate("BOILER", boiler(current_efficiency=current, new_efficiency=new))
    assert refused.value.field == "inputs.new_efficiency"


@pytest.mark.parametrize(("years", "ok"), [("8", True), ("16", True), ("7", False),
                                           ("17", False)])
def test_a_forest_estimate_takes_8_to_16_crediting_years(years: str, ok: bool) -> None:
    raw = forest("30") | {"crediting_years": years}
    if ok:
        assert estimate("FOREST", raw).crediting_years == int(years)
    else:
        with pytest.raises(ValidationError) as refused:
            estimate("FOREST", raw)
        assert refused.value.field == "inputs.crediting_years"
