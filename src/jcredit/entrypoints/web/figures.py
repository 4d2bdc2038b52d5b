"""Figures explained for people: the estimate's results and the factors behind them, and
the grid emission factor that applies to each fiscal year.

The API (``/api/v1/estimate``) returns every digit and the factors' internal names; a page
shows each figure rounded, says what it means and how it was obtained, and names each
factor (which one, which fiscal year, how sure, from where) in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import DomainError
from jcredit.domain.methodologies.factors import FUELS
from jcredit.domain.methodologies.factors import GridFactorType
from jcredit.domain.methodologies.factors import grid_factor
from jcredit.domain.methodologies.factors import grid_factor_table
from jcredit.domain.methodologies.factors import species_names
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import fiscal_year_label
from jcredit.entrypoints.web.i18n import format_quantity

FIRST_GRID_YEAR = 2009
# Small units shown in a larger one so that a figure needs no more than 3 decimals.
SCALED_UNITS = {"t-CO2/kWh": ("kg-CO2/kWh", Decimal(1000)),
                "t-C/GJ": ("kg-C/GJ", Decimal(1000))}
UNITS_JA = {"yen": "円", "yr": "年", "t-CO2/yr": "t-CO2/年", "kWh/kW/yr": "kWh/kW/年"}
# The factors an estimate may use (the first word of Factor.name), named in labels.po.
FACTOR_HEADS = ("CEF_grid", "HV", "C", "BEF", "R", "D", "CF", "validation", "verification",
                "PV_ANNUAL_YIELD", "AUDIT_SUPPORT_CAP", "PLANNING_SUPPORT_MIN")
FEE_CATEGORIES = ("ENERGY_SAVING", "FOREST", "RENEWABLE")

Label = Callable[[str, object], str]
Translate = Callable[[str], str]


def unit_for_people(unit: str, lang: str) -> str:
    return UNITS_JA.get(unit, unit) if lang == "ja" else unit


def figure(value: object, unit: str, lang: str, places: int = 3) -> str:
    """``value`` in ``unit`` for people, scaled so that it needs at most ``places`` decimals."""
    number = Decimal(str(value))
    shown, factor = SCALED_UNITS.get(unit, (unit, Decimal(1)))
    text = format_quantity(number * factor, places)
    return f"{text} {unit_for_people(shown, lang)}".strip() if shown not in ("-", "") else text


def factor_name(name: str, label: Label, t: Translate, lang: str) -> str:
    """A factor's name for people: ``CEF_grid SUBSTITUTE FY2023`` → 系統電力の排出係数
    (温対法の代替値、2023年度)."""
    words = name.split()
    head = words[0]
    rest = words[2:] if head in ("validation", "verification") else words[1:]
    details = []
    since = False
    for word in rest:
        if word == "from":
            since = True
        elif word.startswith("FY") and word[2:].isdigit():
            year = fiscal_year_label(word[2:], lang)
            details.append(t("since_year").format(year=year) if since else year)
        elif word in GridFactorType.__members__:
            details.append(label("grid_factor_type", word))
        elif word in FUELS:
            details.append(label("fuel", word))
        elif word in species_names():
            details.append(label("species", word))
        elif word in FEE_CATEGORIES:
            details.append(label("fee_category", word))
        elif word in ("NORMAL", "PROGRAMME"):
            details.append(label("project_type", word))
        elif word.startswith("age"):
            details.append(t("stand_age_young") if "<=" in word else t("stand_age_old"))
        else:
            details.append(word)
    text = label("factor", head)
    separator = t("list_separator")
    return f"{text} ({separator.join(details)})" if details else text


def explained_factors(result: dict[str, Any], label: Label, t: Translate, lang: str
                      ) -> list[dict[str, str]]:
    """Each factor an estimate used: its name, value, how sure and where it comes from."""
    return [{"name": factor_name(str(a["name"]), label, t, lang),
             "value": figure(a["value"], str(a["unit"]), lang),
             "confidence": str(a["confidence"]), "source": str(a["source"])}
            for a in result["assumptions"]]


def grid_years(last_year: int) -> dict[str, Any]:
    """The grid emission factor of each kind that applies to each fiscal year from
    FY2009 to ``last_year``: the year's own value, or the latest published before it."""
    kinds = list(GridFactorType)
    years = []
    for year in range(FIRST_GRID_YEAR, last_year + 1):
        cells: list[dict[str, object] | None] = []
        for kind in kinds:
            try:
                found = grid_factor(year, kind)
            except DomainError:
                cells.append(None)
                continue
            cells.append({"kg": found.value * 1000, "confidence": found.confidence.value,
                          "from_year": int(found.name.rsplit("FY", 1)[1])})
        years.append({"year": year, "cells": cells})
    rows = [row | {"kg": Decimal(str(row["value"])) * 1000} for row in grid_factor_table()]
    return {"kinds": [k.value for k in kinds], "years": years, "rows": rows}


# Texts chosen by the estimate's kind (extraction cannot see a computed key).
ESTIMATE_TEXTS = (
    N_("explain_annual_PV"), N_("explain_annual_BOILER"), N_("explain_annual_FOREST"),
    N_("estimate_note_PV"), N_("estimate_note_BOILER"), N_("estimate_note_FOREST"),
)


def yen(value: object, lang: str) -> str:
    """Whole yen for people: 258,206円 / ¥258,206."""
    text = format_quantity(value, 0)
    return f"{text}円" if lang == "ja" else f"¥{text}"


def _grid_note(result: dict[str, Any], fiscal_year: int, label: Label, t: Translate,
               lang: str) -> str:
    """Which fiscal year's grid factor the estimate used, and why."""
    for used in result["assumptions"]:
        name = str(used["name"])
        if name.startswith("CEF_grid "):
            _, kind, year = name.split()
            return t("grid_note").format(
                chosen=fiscal_year_label(fiscal_year, lang),
                used=fiscal_year_label(year[2:], lang),
                kind=label("grid_factor_type", kind),
                value=figure(used["value"], str(used["unit"]), lang))
    return ""


def estimate_context(result: dict[str, Any], fiscal_year: int, label: Label, t: Translate,
                     lang: str) -> dict[str, Any]:
    """What the estimate page shows beside the figures: the chart's data (cumulative whole
    credits by year), each factor explained, and the grid factor's year."""
    annual, years = Decimal(str(result["annual_tco2"])), int(str(result["crediting_years"]))
    chart = {"labels": [t("year_n").format(n=year) for year in range(1, years + 1)],
             "values": [int(annual * year) for year in range(1, years + 1)],
             "label": t("cumulative_credits"), "x_title": t("crediting_period"),
             "y_title": "t-CO2"}
    return {"chart": chart, "factors": explained_factors(result, label, t, lang),
            "grid_note": _grid_note(result, fiscal_year, label, t, lang)}
