"""Factor tables as a verifier looks them up (factors.py): the factor in force for a fiscal
year, and refusals that list what the table has. Found unguarded by mutation testing
(docs/testing.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import biochar_factor
from jcredit.domain.methodologies.factors import fuel_factors
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.domain.methodologies.factors import grid_factor_table
from jcredit.domain.methodologies.factors import species_factors
from jcredit.domain.methodologies.factors import species_names


@pytest.mark.parametrize(("year", "kind", "name"), [
    (2009, GridFactorType.MARGINAL, "CEF_grid MARGINAL FY2009"),
    (2012, GridFactorType.MARGINAL, "CEF_grid MARGINAL FY2010"),  # the latest before
    (2012, GridFactorType.ALL_SOURCES, "CEF_grid ALL_SOURCES FY2012"),
    (2030, GridFactorType.ALL_SOURCES, "CEF_grid ALL_SOURCES FY2013"),
    (2030, GridFactorType.SUBSTITUTE, "CEF_grid SUBSTITUTE FY2023"),
])
def test_the_grid_factor_is_the_latest_of_its_kind_published_by_that_year(
        year: int, kind: GridFactorType, name: str) -> None:
    assert grid_factor(year, kind).name == name


def test_a_year_before_any_factor_of_its_kind_is_refused_with_the_years_published() -> None:
    with pytest.raises(ValidationError) as refused:
        grid_factor(2012, GridFactorType.SUBSTITUTE)
    assert refused.value.field == "grid_factor"
    assert str(refused.value).endswith("the table has FY2023")
    with pytest.raises(ValidationError) as early:
        grid_factor(2010, GridFactorType.ALL_SOURCES)
    assert str(early.value).endswith("the table has FY2011, FY2012, FY2013")


def test_the_published_grid_table_lists_each_factor_with_its_year_type_and_value() -> None:
    first = grid_factor_table()[0]
    assert (first["fiscal_year"], first["type"], first["name"]) == (
        2009, "MARGINAL", "CEF_grid MARGINAL FY2009")
    assert Decimal(str(first["value"])) == Decimal("0.000524")  # 0.524 kg → t-CO2/kWh
    assert len(grid_factor_table()) == 6


def test_unknown_fuels_species_and_feedstocks_are_refused_with_the_table_keys() -> None:
    with pytest.raises(ValidationError) as fuel:
        fuel_factors("COAL", 2025, field="baseline_fuel")
    assert (fuel.value.field, fuel.value.valid) == (
        "baseline_fuel", ("KEROSENE", "FUEL_OIL_A", "LPG", "CITY_GAS", "WOODY_BIOMASS"))
    with pytest.raises(ValidationError) as species:
        species_factors("MATSU")
    assert (species.value.field, species.value.valid) == ("species", ("HINOKI", "SUGI"))
    with pytest.raises(ValidationError) as feedstock:
        biochar_factor("PERMANENCE", "WOOD", field="temperature_c")
    assert (feedstock.value.field, feedstock.value.valid) == (
        "temperature_c", ("HIGH", "LOW", "MEDIUM"))
    assert species_names() == ["HINOKI", "SUGI"]


def test_city_gas_factors_change_in_fy2024() -> None:
    assert fuel_factors("CITY_GAS", 2023).heating_value.value == Decimal("44.8")
    assert fuel_factors("CITY_GAS", 2024).heating_value.value == Decimal("40.0")
