"""What every methodology shares (methodologies/base.py), as a project developer or a
verifier meets it: declared inputs and their errors, the calculation trace, the description,
certified amounts and dates. Found unguarded by mutation testing (docs/testing.md).

A small methodology declared here stands for the real ones, so each rule is seen alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from jcredit.domain import methodologies
from jcredit.domain.errors import Issue
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.credits import Category
from jcredit.domain.methodologies import CATALOGUE
from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import Equation
from jcredit.domain.methodologies.base import InputSpec
from jcredit.domain.methodologies.base import Methodology
from jcredit.domain.methodologies.base import NotApplicableError
from jcredit.domain.methodologies.base import add_years
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.domain.methodologies.base import parse_inputs
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.numbers import D

STAND = (InputSpec("area", "ha", "decimal", "面積", minimum=D(1)),
         InputSpec("species", "-", "choice", "樹種", choices=("SUGI", "HINOKI")))
INPUTS = (
    InputSpec("fuel_kl", "kL", "decimal", "燃料使用量"),
    InputSpec("start", "-", "date", "開始日"),
    InputSpec("metered", "-", "bool", "計量の有無", required=False, default=False),
    InputSpec("fuel", "-", "choice", "燃料", required=False, default="A_HEAVY_OIL",
              choices=("A_HEAVY_OIL", "KEROSENE")),
    InputSpec("site", "-", "text", "サイト名", required=False),
    InputSpec("stands", "-", "list", "林分", required=False, items=STAND),
)


def applicability(values: Mapping[str, Any]) -> list[Issue]:
    if values["fuel_kl"] > 1000:
        return [Issue("TOO_LARGE", "over 1000 kL", "inputs.fuel_kl"), Issue("ALSO", "again")]
    if values["fuel_kl"] > 500:
        return [Issue("NO_SUBJECT", "over 500 kL")]
    return []


def compute(values: Mapping[str, Any], result: ActivityResult) -> None:
    baseline = result.step("X-1 式1", "EM_BL = F × 2", values["fuel_kl"] * 2, "t-CO2",
                           "FY2025")
    result.add(2025, baseline, D("0.5"))


TOY = Methodology(
    id="X-1", version="2.0", name_ja="試験", name_en="Test", category=Category.ENERGY_SAVING,
    summary="a toy", inputs=INPUTS,
    equations=(Equation("式1", "ER = BL − PJ", "ER: reductions", "ER: 削減量"),),
    applicability_conditions=("condition 1",), monitoring_parameters=("fuel used",),
    sources=("https://example.org/x-1",), applicability=applicability, compute=compute,
    summary_ja="おもちゃ", applicability_conditions_ja=("条件1",),
    monitoring_parameters_ja=("燃料使用量",))


def given(**overrides: object) -> dict[str, Any]:
    return {"fuel_kl": "10", "start": "2025-04-01", **overrides}


# --- inputs -----------------------------------------------------------------------------

def test_a_methodology_describes_its_inputs_equations_conditions_and_sources() -> None:
    described = TOY.describe()
    assert described["inputs"] == [
        {"name": "fuel_kl", "unit": "kL", "kind": "decimal", "description": "燃料使用量",
         "required": True},
        {"name": "start", "unit": "-", "kind": "date", "description": "開始日",
         "required": True},
        {"name": "metered", "unit": "-", "kind": "bool", "description": "計量の有無",
         "required": False, "default": "False"},
        {"name": "fuel", "unit": "-", "kind": "choice", "description": "燃料",
         "required": False, "default": "A_HEAVY_OIL", "choices": ["A_HEAVY_OIL", "KEROSENE"]},
        {"name": "site", "unit": "-", "kind": "text", "description": "サイト名",
         "required": False},
        {"name": "stands", "unit": "-", "kind": "list", "description": "林分",
         "required": False, "items": [
             {"name": "area", "unit": "ha", "kind": "decimal", "description": "面積",
              "required": True},
             {"name": "species", "unit": "-", "kind": "choice", "description": "樹種",
              "required": True, "choices": ["SUGI", "HINOKI"]}]},
    ]
    assert described["equations"] == [{"ref": "式1", "formula": "ER = BL − PJ",
                                       "symbols": "ER: reductions", "symbols_ja": "ER: 削減量"}]
    assert described["applicability_conditions"] == ["condition 1"]
    assert described["applicability_conditions_ja"] == ["条件1"]
    assert described["monitoring_parameters"] == ["fuel used"]
    assert described["monitoring_parameters_ja"] == ["燃料使用量"]
    assert (described["summary"], described["summary_ja"]) == ("a toy", "おもちゃ")
    assert described["sources"] == ["https://example.org/x-1"]


@pytest.mark.parametrize("method", CATALOGUE, ids=lambda m: m.key)
def test_every_methodology_says_in_japanese_what_it_says_in_english(method: Methodology
                                                                    ) -> None:
    """The web shows a Japanese reader the *_ja texts: none may be missing."""
    assert method.summary_ja
    assert len(method.applicability_conditions_ja) == len(method.applicability_conditions)
    assert len(method.monitoring_parameters_ja) == len(method.monitoring_parameters)
    assert all(e.symbols_ja for e in method.equations if e.symbols)


@pytest.mark.parametrize("raw", [["fuel_kl"], "fuel_kl=10", None])
def test_inputs_that_are_not_named_are_refused(raw: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, raw)
    assert refused.value.field == "inputs"


def test_a_misspelt_input_is_refused_with_the_inputs_there_are() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, given(fuel_k="3"))
    assert refused.value.field == "inputs.fuel_k"
    assert refused.value.valid == ("fuel", "fuel_kl", "metered", "site", "stands", "start")


def test_optional_inputs_take_their_defaults_and_given_ones_are_converted() -> None:
    values = parse_inputs(INPUTS, given(site="  本社工場 "))
    assert values == {"fuel_kl": D(10), "start": date(2025, 4, 1), "metered": False,
                      "fuel": "A_HEAVY_OIL", "site": "本社工場", "stands": None}
    assert parse_inputs(INPUTS, given(fuel="kerosene"))["fuel"] == "KEROSENE"


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), (" Yes ", True), ("1", True), ("ON", True), (True, True),
    ("false", False), ("No", False), ("0", False), (" off", False), (False, False),
])
def test_a_yes_no_input_reads_the_usual_words(text: object, expected: bool) -> None:
    assert parse_inputs(INPUTS, given(metered=text))["metered"] is expected


def test_a_yes_no_input_refuses_anything_else() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, given(metered="maybe"))
    assert refused.value.field == "inputs.metered"


def test_a_choice_outside_the_list_is_refused_with_the_list() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, given(fuel="COAL"))
    assert refused.value.field == "inputs.fuel"
    assert refused.value.valid == ("A_HEAVY_OIL", "KEROSENE")


def test_a_number_below_its_minimum_is_refused_with_its_unit() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, given(stands=[{"area": "0.5", "species": "SUGI"}]))
    assert refused.value.field == "inputs.stands[0].area"
    assert "[ha]" in str(refused.value) and "at least 1" in str(refused.value)
    with pytest.raises(ValidationError) as negative:
        parse_inputs(INPUTS, given(fuel_kl="-1"))
    assert "[kL]" in str(negative.value)


@pytest.mark.parametrize("stands", [[], (), "SUGI", {"area": "2"}])
def test_a_list_input_needs_a_list_of_at_least_one_element(stands: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, given(stands=stands))
    assert refused.value.field == "inputs.stands"


def test_each_element_of_a_list_input_is_checked_and_named_by_its_position() -> None:
    stands = [{"area": "2", "species": "sugi"}, {"area": "3", "species": "MATSU"}]
    with pytest.raises(ValidationError) as refused:
        parse_inputs(INPUTS, given(stands=stands))
    assert refused.value.field == "inputs.stands[1].species"
    ok = parse_inputs(INPUTS, given(stands=stands[:1]))
    assert ok["stands"] == [{"area": D(2), "species": "SUGI"}]


# --- calculation ------------------------------------------------------------------------

def test_a_calculation_keeps_its_methodology_every_step_and_its_vintages() -> None:
    result = TOY.calculate(given())
    assert result.as_dict() == {
        "methodology": "X-1", "version": "2.0",
        "baseline_tco2": "20", "project_tco2": "0.5", "reduction_tco2": "19.5",
        "vintages": [{"vintage": 2025, "baseline_tco2": "20", "project_tco2": "0.5",
                      "reduction_tco2": "19.5"}],
        "steps": [{"equation": "X-1 式1", "expression": "EM_BL = F × 2", "value": "20",
                   "unit": "t-CO2", "subject": "FY2025"}],
        "factors": [], "unverified_factors": [], "findings": [],
    }


def test_inputs_outside_the_conditions_are_refused_naming_the_methodology_and_each_finding(
) -> None:
    with pytest.raises(NotApplicableError) as refused:
        TOY.calculate(given(fuel_kl="2000"))
    assert str(refused.value) == (
        "X-1 v2.0 does not apply: TOO_LARGE: over 1000 kL; ALSO: again")
    assert refused.value.field == "inputs.fuel_kl"
    with pytest.raises(NotApplicableError) as no_subject:
        TOY.calculate(given(fuel_kl="600"))
    assert no_subject.value.field is None


def test_an_activity_without_periods_reduces_exactly_nothing() -> None:
    empty = ActivityResult("X-1", "2.0")
    for total in (empty.baseline, empty.project, empty.reduction):
        assert isinstance(total, Decimal) and total == 0


def test_certified_amounts_keep_each_vintage_and_what_was_cut_off() -> None:
    short, long = ActivityResult("X-1", "2.0"), ActivityResult("X-1", "2.0")
    short.add(2024, D("3"), D("5"))
    long.add(2025, D("10.75"), D("0.5"))
    assert [a.as_dict() for a in certified_amounts([short, long])] == [
        {"vintage": 2024, "total_tco2": "-2", "credits": 0, "remainder_tco2": "-2"},
        {"vintage": 2025, "total_tco2": "10.25", "credits": 10, "remainder_tco2": "0.25"},
    ]


# --- dates --------------------------------------------------------------------------------

def test_half_a_year_after_31_august_is_the_last_day_of_february() -> None:
    assert add_years(date(2023, 8, 31), 0, 6) == date(2024, 2, 29)  # leap year
    assert add_years(date(2024, 8, 31), 0, 6) == date(2025, 2, 28)
    assert add_years(date(2025, 5, 31), 0, 4) == date(2025, 9, 30)


def test_a_one_day_period_is_one_segment_of_the_whole_share() -> None:
    (segment,) = split_period(date(2026, 4, 1), date(2026, 4, 1))
    assert (segment.start, segment.end, segment.share, segment.days) == (
        date(2026, 4, 1), date(2026, 4, 1), 1, 1)
    with pytest.raises(ValidationError) as refused:
        split_period(date(2026, 4, 2), date(2026, 4, 1))
    assert refused.value.field == "period_end"


@pytest.mark.parametrize("version", [None, "3.0", "v3.0", " V3.0 "])
def test_a_methodology_is_found_by_its_id_in_any_case_and_its_version_with_or_without_v(
        version: str | None) -> None:
    found = methodology(" en-r-002 ", version)
    assert (found.id, found.version) == ("EN-R-002", "3.0")


@pytest.mark.parametrize(("wanted", "version"), [("EN-R-999", None), ("EN-R-002", "2.0"),
                                                 ("EN-R-002", "3.0v")])
def test_an_unknown_methodology_or_version_is_refused_with_the_catalogue(
        wanted: str, version: str | None) -> None:
    with pytest.raises(NotFoundError) as refused:
        methodology(wanted, version)
    assert refused.value.field == "methodology"
    assert refused.value.valid is not None and "EN-R-002 v3.0" in refused.value.valid
    assert str(refused.value) == f"no methodology {wanted}" + (
        f" version {version}" if version else "")


def test_without_a_version_the_latest_is_taken_by_number(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    pv = methodology("EN-R-002")
    versions = [dataclasses.replace(pv, version=v) for v in ("3.0", "10.0", "9.1")]
    monkeypatch.setattr(methodologies, "CATALOGUE", tuple(versions))
    assert methodology("EN-R-002").version == "10.0"  # not "9.1", as text would sort
    assert methodology("EN-R-002", "v9.1").version == "9.1"
