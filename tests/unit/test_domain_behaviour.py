"""Behaviour that mutation testing found unguarded (issue 17), named as users would name it.

Each test states a rule of the scheme; the comment says which mutant it kills, so the next
mutation run can be read against it.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F
from typing import Any

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import reporting_years_open_on
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.invalidations import check_reporting_year
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import is_keidanren_marked
from jcredit.domain.methodologies import methodology
from jcredit.domain.methodologies.base import ActivityResult
from jcredit.domain.methodologies.base import add_years
from jcredit.domain.methodologies.base import certified_amounts
from jcredit.domain.methodologies.base import split_period
from jcredit.domain.numbers import D
from jcredit.domain.projects import eligibility as e


def exact(value: Any) -> F:
    return F(str(value))


# --- fiscal years and reporting years -----------------------------------------------------

@pytest.mark.parametrize("day", [date(2026, 4, 1), date(2026, 5, 31), date(2026, 6, 30)])
def test_an_invalidation_completed_april_to_june_may_count_for_the_previous_year(day: date
                                                                                 ) -> None:
    # kills fiscal_year.py (4, 5, 6) → (4, 6, 6) and friends
    assert reporting_years_open_on(day) == (2026, 2025)


@pytest.mark.parametrize("day", [date(2026, 3, 31), date(2026, 7, 1), date(2027, 1, 15)])
def test_outside_april_to_june_only_the_current_year_is_open(day: date) -> None:
    assert len(reporting_years_open_on(day)) == 1


def test_uses_outside_the_reporting_laws_may_name_the_next_fiscal_year() -> None:
    # kills invalidations.py current + 1 → current − 1 / + 2
    on = date(2026, 11, 23)  # FY2026
    for year in (2025, 2026, 2027):
        check_reporting_year(InvalidationUse.OFFSET, year, on)
    for year in (2024, 2028):
        with pytest.raises(ValidationError) as refused:
            check_reporting_year(InvalidationUse.OFFSET, year, on)
        assert list(refused.value.valid) == ["2025", "2026", "2027"]
    with pytest.raises(ValidationError):  # a reporting law never takes the next year
        check_reporting_year(InvalidationUse.ONTAIHO_EMISSIONS, 2027, on)


# --- uses -------------------------------------------------------------------------------

@pytest.mark.parametrize(("scheme", "credit_type", "marked"), [
    ("JCL", "ERL", True), ("JC", "FM", True), ("JP", "FM", True), ("JCL", "FM", True),
    ("JP", "JRM", True), ("JP", "KRM", True), ("JC", "ER", False), ("JP", "ER", False),
    ("KC", "KC", False), ("KCP", "KCP", False),
])
def test_keidanren_marking_follows_scheme_and_type(scheme: str, credit_type: str,
                                                   marked: bool) -> None:
    # kills uses.py is_keidanren_marked comparisons and tuple members
    attributes = CreditAttributes(
        SchemeCode(scheme), CreditType(credit_type),
        Category.FOREST if credit_type == "FM" else Category.RENEWABLE_POWER,
        "P-1", "EN-R-002", "3.0", "C-1", 2025)
    assert is_keidanren_marked(attributes) is marked


# --- serial ranges ------------------------------------------------------------------------

def test_ranges_that_share_only_their_edge_serial_overlap() -> None:
    # kills serials.py overlaps <= → <
    assert SerialRange(1, 5).overlaps(SerialRange(5, 9))
    assert SerialRange(5, 9).overlaps(SerialRange(1, 5))
    assert not SerialRange(1, 5).overlaps(SerialRange(6, 9))
    assert not SerialRange(6, 9).overlaps(SerialRange(1, 5))


def test_a_range_of_one_credit_starting_at_serial_1_is_valid() -> None:
    one = SerialRange(1, 1)
    assert one.quantity == 1 and one.take_first(1) == one
    with pytest.raises(ValidationError):
        SerialRange(0, 1)


# --- periods, vintages, certification -------------------------------------------------

def test_equipment_started_in_august_reaches_two_and_a_half_years_in_february() -> None:
    # kills base.py add_years + month_index // 12 → −
    assert add_years(date(2025, 8, 15), 2, 6) == date(2028, 2, 15)
    assert add_years(date(2025, 7, 1), 0, 6) == date(2026, 1, 1)
    assert add_years(date(2025, 12, 31), 2, 6) == date(2028, 6, 30)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_two_segments_of_one_fiscal_year_add_up() -> None:
    # kills base.py ActivityResult.add + → −
    r = ActivityResult("X", "1")
    r.add(2025, D(10), D(1))
    r.add(2025, D(5), D(2))
    (line,) = r.lines
    assert (line.baseline, line.project, line.reduction) == (D(15), D(3), D(12))


def test_a_vintage_with_no_net_reduction_is_certified_no_credit() -> None:
    # kills base.py CertifiedAmount(…, 0, …) → 1
    zero, negative = ActivityResult("X", "1"), ActivityResult("X", "1")
    zero.add(2025, D(5), D(5))
    negative.add(2026, D(1), D(3))
    amounts = certified_amounts([zero, negative])
    assert [(a.vintage, a.credits, a.total_tco2) for a in amounts] == [
        (2025, 0, D(0)), (2026, 0, D(-2))]


def test_a_period_ending_on_1_april_puts_that_day_in_the_new_fiscal_year() -> None:
    segments = split_period(date(2026, 3, 1), date(2026, 4, 1))
    assert [(s.start, s.end, s.vintage) for s in segments] == [
        (date(2026, 3, 1), date(2026, 3, 31), 2025), (date(2026, 4, 1), date(2026, 4, 1), 2026)]
    assert exact(segments[1].share) == F(1, 32)


CROSSING = {"period_start": "2025-03-01", "period_end": "2025-04-30"}  # 31 + 30 days


@pytest.mark.parametrize(("method", "inputs"), [
    ("EN-R-002", {"el_self_kwh": "6100", "el_aux_kwh": "61"}),
    ("EN-S-001", {"heat_output_gj": "610", "project_fuel": "LPG", "project_fuel_amount": "12.2",
                  "baseline_fuel": "KEROSENE", "baseline_efficiency": "0.8",
                  "auxiliary_electricity_kwh": "610"}),
    ("FO-001", {"stands": [{"stand_id": "1", "species": "SUGI", "age_years": "30",
                            "volume_increment_m3": "61", "felled_volume_m3": "6.1",
                            "forest_type": "PLANTED", "managed_since_1990": True}]}),
])
def test_a_period_crossing_1_april_is_shared_by_days_and_loses_nothing(
        method: str, inputs: dict[str, Any]) -> None:
    # kills "× segment.share" → "÷" in en_r_002, heat and fo_001
    m = methodology(method)
    crossing = m.calculate(CROSSING | inputs)
    by_vintage = {line.vintage: exact(line.reduction) for line in crossing.lines}
    assert set(by_vintage) == {2024, 2025}
    total = sum(by_vintage.values())
    assert abs(by_vintage[2024] - total * F(31, 61)) < F(1, 10**30)
    assert abs(by_vintage[2025] - total * F(30, 61)) < F(1, 10**30)
    whole = m.calculate({"period_start": "2025-04-01", "period_end": "2025-05-31"} | inputs)
    assert abs(exact(whole.reduction) - total) < F(1, 10**30)  # the same factors in both FYs


# --- eligibility dates --------------------------------------------------------------------

def test_an_application_dated_29_february_keeps_the_two_year_rule() -> None:
    # kills eligibility.py years_before/years_after fallback year − years → +
    assert e.years_before(date(2028, 2, 29), 2) == date(2026, 2, 28)
    assert e.years_after(date(2028, 2, 29), 2) == date(2030, 2, 28)
    assert e.check_two_year_rule(date(2026, 3, 1), date(2028, 2, 29)).passed
    assert not e.check_two_year_rule(date(2026, 2, 27), date(2028, 2, 29)).passed


def test_a_one_year_crediting_period_ends_the_day_before_its_anniversary() -> None:
    period = e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), years=1)
    assert (period.start, period.end, period.years) == (date(2026, 4, 1), date(2027, 3, 31), 1)
    with pytest.raises(ValidationError):
        e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), years=0)
