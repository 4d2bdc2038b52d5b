"""Figures for people: factors named (which, which fiscal year), the grid factor of every
fiscal year, units scaled so that no figure needs more than 3 decimals."""

from __future__ import annotations

from decimal import Decimal

from jcredit.entrypoints.web.figures import factor_name
from jcredit.entrypoints.web.figures import figure
from jcredit.entrypoints.web.figures import grid_years
from jcredit.entrypoints.web.figures import yen
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import translator


def named(name: str, lang: str = "ja") -> str:
    return factor_name(name, labeller(lang), translator(lang), lang)


def test_a_factor_is_named_with_its_kind_and_fiscal_year() -> None:
    assert named("CEF_grid SUBSTITUTE FY2023") == "系統電力の排出係数 (代替値、2023年度)"
    assert named("CEF_grid SUBSTITUTE FY2023", "en") == (
        "Grid emission factor (Substitute value, FY2023)")
    assert named("HV KEROSENE from FY2013") == "発熱量 (灯油、2013年度以降)"
    assert named("BEF HINOKI age<=20") == "拡大係数 BEF (ヒノキ、林齢20年以下)"
    assert named("validation fee RENEWABLE NORMAL").startswith("妥当性確認の審査費用")
    assert named("PV_ANNUAL_YIELD") == "太陽光発電 1kWあたりの年間発電量 (標準値)"


def test_small_units_are_scaled_and_rounded_for_people() -> None:
    assert figure("0.000434", "t-CO2/kWh", "ja") == "0.434 kg-CO2/kWh"
    assert figure("0.0185", "t-C/GJ", "en") == "18.5 kg-C/GJ"
    assert figure("600000", "yen", "ja") == "600,000 円"
    assert yen(Decimal("258212.0"), "ja") == "258,212円" and yen("5", "en") == "¥5"


def test_every_fiscal_year_from_2009_shows_the_value_it_uses_and_whose_it_is() -> None:
    table = grid_years(2026)
    years = [row["year"] for row in table["years"]]
    assert years == list(range(2009, 2027))
    kinds = table["kinds"]
    by_year = {row["year"]: dict(zip(kinds, row["cells"], strict=True))
               for row in table["years"]}
    assert by_year[2009]["ALL_SOURCES"] is None  # nothing published that early in the table
    later = by_year[2020]["ALL_SOURCES"]
    assert later is not None and later["from_year"] == 2013  # the latest earlier value
    assert by_year[2012]["ALL_SOURCES"]["from_year"] == 2012  # type: ignore[index]
    assert by_year[2012]["ALL_SOURCES"]["kg"] == Decimal("0.487")  # type: ignore[index]
