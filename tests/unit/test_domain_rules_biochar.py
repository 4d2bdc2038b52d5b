"""Biochar (AG-004) lots as an applicant files them: each refusal names its lot, a measured
carbon fraction wins over the default, emissions are shared by mass. Found unguarded by
mutation testing (docs/testing.md)."""

from __future__ import annotations

from fractions import Fraction as F
from typing import Any

import pytest

from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import NotApplicableError

BIOCHAR = methodology("AG-004")
C_TO_CO2 = F(44, 12)
WOOD_HIGH = F("0.77") * F("0.89")  # default F_C of wood × F_perm above 600 °C


def lot(lot_id: str, **extra: Any) -> dict[str, Any]:
    return {"lot_id": lot_id, "applied_on": "2025-05-10", "mass_dry_t": "10",
            "feedstock": "WOOD", "temperature_c": "700", "fixed_carbon_pct": "80",
            "soil": "MINERAL", "land_use": "CROPLAND", "domestic_unused_feedstock": True} | extra


def close(value: Any, expected: F) -> bool:
    """Equal up to the one inexact step, 44/12 at 50 digits."""
    return abs(F(str(value)) - expected) < F(1, 10**40)


def test_every_refused_lot_is_named_with_each_reason() -> None:
    lots = [lot("A"), lot("B", temperature_c="300", fixed_carbon_pct=None, soil="ORGANIC",
                          land_use="OTHER", domestic_unused_feedstock=False)]
    with pytest.raises(NotApplicableError) as refused:
        BIOCHAR.calculate({"lots": lots})
    assert [(f.code, f.subject) for f in refused.value.findings] == [
        ("TEMPERATURE", "lot B"), ("CARBONISATION", "lot B"), ("SOIL", "lot B"),
        ("LAND_USE", "lot B"), ("FEEDSTOCK", "lot B")]


def test_a_measured_carbon_fraction_replaces_the_feedstock_default() -> None:
    result = BIOCHAR.calculate({"lots": [lot("A", carbon_fraction="0.5")]})
    assert close(result.reduction, 10 * F("0.5") * F("0.89") * C_TO_CO2)
    assert [s.subject for s in result.steps] == ["lot A"]


def test_production_emissions_are_shared_between_lots_by_mass() -> None:
    result = BIOCHAR.calculate({"lots": [
        lot("A", mass_dry_t="10"), lot("B", mass_dry_t="30", applied_on="2026-04-10")],
        "project_emissions_t": "4"})
    (fy2025, fy2026) = result.lines
    assert (fy2025.vintage, fy2026.vintage) == (2025, 2026)
    assert close(fy2025.project, 1 - 10 * WOOD_HIGH * C_TO_CO2)
    assert close(fy2026.project, 3 - 30 * WOOD_HIGH * C_TO_CO2)


def test_lots_of_no_mass_store_nothing_and_take_no_emissions() -> None:
    result = BIOCHAR.calculate({"lots": [lot("A", mass_dry_t="0")],
                                "project_emissions_t": "2"})
    assert result.reduction == 0


@pytest.mark.parametrize(("seirendo", "ok"), [("0", True), ("9", True), ("9.5", False)])
def test_carbonisation_is_confirmed_by_a_seirendo_of_0_to_9(seirendo: str, ok: bool) -> None:
    raw = {"lots": [lot("A", fixed_carbon_pct=None, seirendo=seirendo)]}
    if ok:
        assert BIOCHAR.calculate(raw).reduction > 0
    else:
        with pytest.raises(NotApplicableError) as refused:
            BIOCHAR.calculate(raw)
        assert [f.code for f in refused.value.findings] == ["CARBONISATION"]
