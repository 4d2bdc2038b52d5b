"""Lighting (EN-S-006), forest management (FO-001), the §2.2 baseline rules and typed
decimals and dates, as an applicant or verifier meets them. Found unguarded by mutation
testing (docs/testing.md)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F
from typing import Any

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import NotApplicableError
from jcredit.domain.methodologies.baseline_rules import BaselineKind
from jcredit.domain.methodologies.baseline_rules import baseline_kind
from jcredit.domain.numbers import D
from jcredit.domain.parsing import parse_date
from jcredit.domain.parsing import parse_decimal

LIGHTING, FOREST = methodology("EN-S-006"), methodology("FO-001")


def lighting(**extra: Any) -> dict[str, Any]:
    return {"period_start": "2025-04-01", "period_end": "2026-03-31", "el_pj_kwh": "10000",
            "p_pj_w": "40", "p_bl_w": "100"} | extra


def test_lighting_across_1_april_is_shared_by_days_and_each_step_names_its_period() -> None:
    result = LIGHTING.calculate(lighting(period_start="2025-03-01", period_end="2025-04-30",
                                         el_pj_kwh="610"))
    assert [line.vintage for line in result.lines] == [2024, 2025]
    march = F(str(result.lines[0].project)) / F(str(result.project))
    assert abs(march - F(31, 61)) < F(1, 10**40)  # 31 of 61 days
    subjects = {s.subject for s in result.steps}
    assert subjects == {"2025-03-01..2025-03-31 (FY2024)", "2025-04-01..2025-04-30 (FY2025)"}
    for_march = [s for s in result.steps if s.subject.startswith("2025-03")]
    assert [s.equation for s in for_march] == ["EN-S-006 EM_BL", "EN-S-006 EM_PJ", "式1"]
    em_bl, em_pj, er = (F(str(s.value)) for s in for_march)
    assert er == em_bl - em_pj


@pytest.mark.parametrize(("extra", "codes"), [
    ({"p_pj_w": "0"}, ["RATED_POWER"]),
    ({"old_specs_known": False}, ["STANDARD_EQUIPMENT"]),
    ({"is_replacement": False}, ["STANDARD_EQUIPMENT"]),
])
def test_lighting_without_power_or_a_known_baseline_is_refused(extra: dict[str, Any],
                                                               codes: list[str]) -> None:
    with pytest.raises(NotApplicableError) as refused:
        LIGHTING.calculate(lighting(**extra))
    assert [f.code for f in refused.value.findings] == codes


def test_unknown_old_fittings_make_standard_equipment_the_baseline() -> None:
    with pytest.raises(NotApplicableError) as refused:
        LIGHTING.calculate(lighting(old_specs_known=False))
    assert "specifications cannot be obtained" in str(refused.value)
    standard = LIGHTING.calculate(lighting(old_specs_known=False, standard_p_bl_w="80"))
    replaced = LIGHTING.calculate(lighting())
    assert F(str(standard.baseline)) / F(str(replaced.baseline)) == F(80, 100)


def test_a_new_installation_and_a_replacement_say_why_in_the_decision() -> None:
    new = baseline_kind(is_replacement=False)
    assert (new.kind, new.reasons) == (BaselineKind.NEW_INSTALLATION, ("new installation",))
    same = baseline_kind(is_replacement=True)
    assert (same.kind, same.reasons) == (
        BaselineKind.REPLACEMENT, ("replacement: the old equipment is the baseline",))


def stand(stand_id: str, **extra: Any) -> dict[str, Any]:
    return {"stand_id": stand_id, "species": "SUGI", "age_years": "30",
            "volume_increment_m3": "100", "forest_type": "PLANTED",
            "managed_since_1990": True} | extra


def test_an_ineligible_stand_is_named_and_the_stands_after_it_still_count() -> None:
    result = FOREST.calculate({
        "period_start": "2025-04-01", "period_end": "2026-03-31",
        "stands": [stand("1-い-1", managed_since_1990=False),
                   stand("1-い-2", forest_type="NATURAL", protected=False),
                   stand("1-い-3")]})
    assert [(f.code, f.subject) for f in result.findings] == [
        ("STAND_NOT_MANAGED", "1-い-1"), ("STAND_NOT_PROTECTED", "1-い-2")]
    assert {s.subject for s in result.steps} == {"stand 1-い-3 2025-04-01..2026-03-31"}
    assert result.reduction > 0


def test_a_typed_decimal_names_its_unit_only_when_it_has_one() -> None:
    with pytest.raises(ValidationError) as with_unit:
        parse_decimal("-1", field="area", unit="ha")
    assert str(with_unit.value) == "area must be at least 0 [ha], got -1"
    with pytest.raises(ValidationError) as without:
        parse_decimal("-1", field="share")
    assert str(without.value) == "share must be at least 0, got -1"
    with pytest.raises(ValidationError) as missing:
        parse_decimal(None, field="share")
    assert missing.value.field == "share"
    assert parse_decimal(D(0), field="share", minimum=None) == 0


def test_a_date_object_is_taken_as_it_is() -> None:
    class Day(date):
        """A date subclass, as a form library may hand over."""

    day = Day(2026, 4, 1)
    assert parse_date(day, field="start") is day


@pytest.mark.parametrize("value", [1.5, True, None])
def test_a_float_or_yes_no_is_refused_with_the_advice_to_write_the_number_exactly(
        value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_decimal(value, field="el_self_kwh", unit="kWh")
    assert "must be a decimal number written exactly" in str(refused.value)
