"""Eligibility rules on both sides of each boundary, the lifecycle tables, the estimate."""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest

from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import D
from jcredit.domain.projects import eligibility as e
from jcredit.domain.projects.estimate import estimate
from jcredit.domain.projects.lifecycle import PERIOD_TRANSITIONS
from jcredit.domain.projects.lifecycle import PROJECT_TRANSITIONS
from jcredit.domain.projects.lifecycle import Party
from jcredit.domain.projects.lifecycle import PeriodState
from jcredit.domain.projects.lifecycle import ProjectState
from jcredit.domain.projects.lifecycle import allowed_actions
from jcredit.domain.projects.lifecycle import transition

APPLIED = date(2026, 11, 23)


# --- 2-year rule and equipment age ----------------------------------------------------------

@pytest.mark.parametrize(("start", "ok"), [
    (date(2024, 11, 23), True),   # exactly two years before: "2年前の日以降"
    (date(2024, 11, 22), False),
])
def test_two_year_rule_boundary(start: date, ok: bool) -> None:
    assert e.check_two_year_rule(start, APPLIED).passed is ok
    assert e.check_equipment_age(start, APPLIED).passed is ok


def test_forest_is_exempt_from_the_two_year_rule() -> None:
    assert e.check_two_year_rule(date(1990, 1, 1), APPLIED, forest=True).passed


def test_in_japan() -> None:
    assert e.check_in_japan("岐阜県").passed
    assert not e.check_in_japan("Bangkok").passed


# --- crediting period ------------------------------------------------------------------------

def test_crediting_period_starts_at_the_later_date_and_lasts_8_years() -> None:
    period = e.crediting_period(date(2026, 4, 1), date(2026, 7, 1))
    assert (period.start, period.end) == (date(2026, 7, 1), date(2034, 6, 30))
    period = e.crediting_period(date(2026, 7, 1), date(2026, 4, 1))
    assert period.start == date(2026, 7, 1)


@pytest.mark.parametrize(("years", "forest", "ok"), [
    (8, False, True), (9, False, False), (16, True, True), (17, True, False),
])
def test_crediting_period_length_limits(years: int, forest: bool, ok: bool) -> None:
    if ok:
        period = e.crediting_period(APPLIED, APPLIED, forest=forest, years=years)
        assert period.end == date(2026 + years, 11, 22)
    else:
        with pytest.raises(ValidationError) as raised:
            e.crediting_period(APPLIED, APPLIED, forest=forest, years=years)
        assert raised.value.field == "crediting_years"


def test_the_2031_cap_is_a_configurable_rule() -> None:
    capped = e.crediting_period(APPLIED, APPLIED, cap=date(2031, 3, 31))
    assert (capped.end, capped.capped) == (date(2031, 3, 31), True)
    assert e.crediting_period(APPLIED, APPLIED).end == date(2034, 11, 22)


@pytest.mark.parametrize(("start", "first"), [
    (date(2026, 6, 30), date(2026, 6, 30)),  # the day itself counts
    (date(2026, 7, 1), date(2027, 6, 30)),
])
def test_forest_permanence_filings_run_10_years_past_the_period(start: date, first: date
                                                                 ) -> None:
    period = e.crediting_period(start, start, forest=True, years=16)
    filings = e.permanence_filings(period)
    assert filings[0] == first
    assert filings[-1] <= e.years_after(period.end, 10) < filings[-1].replace(
        year=filings[-1].year + 1)


# --- additionality --------------------------------------------------------------------------

@pytest.mark.parametrize(("investment", "income", "ok"), [
    ("3000", "1000", True),     # exactly 3.0 years
    ("2999", "1000", False),    # 2.999 years
])
def test_payback_boundary_at_three_years(investment: str, income: str, ok: bool) -> None:
    payback = e.payback_years(D(investment), D(0), D(income), D(0))
    assert e.check_additionality(payback=payback).passed is ok


def test_tv3_payback_13_9_years_is_additional_and_subsidy_is_deducted() -> None:
    assert e.check_additionality(payback=D("13.9")).passed
    payback = e.payback_years(D(70200), D(20000), D(10624), D(3900))
    assert payback is not None and F(str(payback)) == pytest.approx(F(50200, 6724))
    assert e.payback_years(D(100), D(0), D(5), D(5)) is None  # never pays back
    assert e.check_additionality(payback=None).passed


def test_exemptions() -> None:
    household = e.AdditionalityExemption.HOUSEHOLD
    post_fit = e.AdditionalityExemption.POST_FIT_PV
    assert e.check_additionality(payback=D(1), exemption=household).passed
    assert not e.check_additionality(payback=None, exemption=post_fit).passed
    battery = e.check_additionality(payback=None, exemption=post_fit,
                                    post_fit_investments=["BATTERY"])
    assert battery.passed and not battery.manual_review
    ecocute = e.check_additionality(payback=None, exemption=post_fit,
                                    post_fit_investments=["ECOCUTE"])
    assert ecocute.passed and ecocute.manual_review
    with pytest.raises(ValidationError):
        e.check_additionality(payback=None, exemption=post_fit, post_fit_investments=["WIND"])


# --- programme activity size and double registration -----------------------------------------

@pytest.mark.parametrize(("tco2", "ok"), [("500", True), ("500.001", False)])
def test_programme_activity_limit(tco2: str, ok: bool) -> None:
    assert e.check_programme_activity_size(D(tco2)).passed is ok


def test_double_registration_matches_normalised_addresses() -> None:
    elsewhere = {e.site_key("岐阜県岐阜市1-2"): "JCP-000042"}
    finding = e.check_double_registration("岐阜県 岐阜市１－２", elsewhere)
    assert not finding.passed and "JCP-000042" in finding.message
    assert e.check_double_registration("岐阜県岐阜市1-3", elsewhere).passed


# --- lifecycle ---------------------------------------------------------------------------------

def test_the_happy_path_through_both_tables() -> None:
    state = ProjectState.PLAN_DRAFT.value
    for action, party in [("submit_for_validation", Party.OPERATOR),
                          ("complete_validation", Party.VERIFIER),
                          ("apply_for_registration", Party.OPERATOR),
                          ("register", Party.COMMITTEE)]:
        state = transition(PROJECT_TRANSITIONS, state, action, party)
    assert state == ProjectState.REGISTERED
    period = PeriodState.MONITORING.value
    for action, party in [("submit_for_verification", Party.IMPLEMENTER),
                          ("complete_verification", Party.VERIFIER),
                          ("apply_for_certification", Party.IMPLEMENTER),
                          ("certify", Party.COMMITTEE), ("issue", Party.SECRETARIAT)]:
        period = transition(PERIOD_TRANSITIONS, period, action, party)
    assert period == PeriodState.ISSUED


def test_a_wrong_state_lists_the_allowed_actions() -> None:
    with pytest.raises(InvalidStateError) as raised:
        transition(PROJECT_TRANSITIONS, ProjectState.PLAN_DRAFT, "register", Party.COMMITTEE)
    assert raised.value.valid == ("submit_for_validation", "withdraw")


def test_a_wrong_party_is_refused() -> None:
    with pytest.raises(PermissionDeniedError, match="VERIFIER"):
        transition(PROJECT_TRANSITIONS, ProjectState.VALIDATION, "complete_validation",
                   Party.IMPLEMENTER)


def test_returned_goes_back_where_it_came_from() -> None:
    state = transition(PERIOD_TRANSITIONS, PeriodState.VERIFICATION, "return", Party.VERIFIER)
    assert state == PeriodState.RETURNED
    back = transition(PERIOD_TRANSITIONS, state, "resubmit", Party.IMPLEMENTER,
                      returned_from=PeriodState.VERIFICATION)
    assert back == PeriodState.VERIFICATION


def test_final_states_allow_nothing() -> None:
    assert allowed_actions(PERIOD_TRANSITIONS, PeriodState.ISSUED) == []
    assert allowed_actions(PROJECT_TRANSITIONS, ProjectState.WITHDRAWN) == []


# --- STEP0 estimate ---------------------------------------------------------------------------

def test_pv_estimate_with_revenue_and_audit_support() -> None:
    result = estimate("PV", {"capacity_kw": "500", "self_consumption_share": "0.9",
                             "price_yen_per_tco2": "3000", "support_rate_pct": "90"})
    annual = F(500) * 1000 * F("0.9") * F("0.434") / 1000
    assert F(str(result.annual_tco2)) == annual
    assert result.planning_support is (annual >= 100)
    assert result.revenue_yen == 3000 * int(annual * 8)
    # 再エネ normal type: 368,875 and 431,588 yen at 90 %, each capped at 600,000
    assert result.audit_support["validation"] == 331987  # 368,875 × 0.9 = 331,987.5, floored
    assert result.audit_support["verification"] == 388429  # 431,588 × 0.9 = 388,429.2
    assert "PV_ANNUAL_YIELD" in result.as_dict()["unverified"]


def test_planning_support_boundary_at_100_t() -> None:
    # 100 t/yr exactly: 100 / 0.000434 kWh of self-consumption
    just = estimate("PV", {"capacity_kw": str(D(100) / D("0.434")), "self_consumption_share": "1"})
    assert just.annual_tco2 >= 100 and just.planning_support
    below = estimate("PV", {"capacity_kw": "230", "self_consumption_share": "1"})
    assert below.annual_tco2 < 100 and not below.planning_support


def test_audit_support_is_capped() -> None:
    forest = estimate("FOREST", {"area_ha": "300", "species": "SUGI",
                                 "annual_increment_m3_per_ha": "8", "stand_age_years": "40"})
    assert forest.audit_support["validation"] == 600000  # 1,142,923 × 70 % > cap
    assert forest.crediting_years == 16


def test_estimate_refuses_bad_inputs() -> None:
    with pytest.raises(ValidationError) as raised:
        estimate("PV", {"capacity_kw": "10", "self_consumption_share": "1.2"})
    assert raised.value.field == "inputs.self_consumption_share"
    with pytest.raises(ValidationError):
        estimate("WIND", {})
    with pytest.raises(ValidationError):
        estimate("BOILER", {"fuel": "KEROSENE", "annual_fuel_use": "10",
                            "current_efficiency": "0.9", "new_efficiency": "0.8"})


def test_findings_show_people_a_rounded_payback_and_keep_the_full_figure() -> None:
    """Finding 17: "payback 2.6666…67 years" is unreadable; the data keeps every digit."""
    payback = e.payback_years(D(8), D(0), D(3), D(0))
    assert payback is not None
    finding = e.check_additionality(payback=payback)
    assert "payback 2.67 years < 3" in finding.message
    assert D(finding.as_dict()["values"]["payback_years"]) == payback  # type: ignore[index]
    size = e.check_programme_activity_size(D(1000) / D(7))
    assert "expected 142.86 t-CO2/yr" in size.message
    assert D(size.as_dict()["values"]["expected_tco2_per_year"]) == D(1000) / D(7)  # type: ignore[index]


def test_forest_permanence_ends_ten_years_after_the_crediting_end() -> None:
    period = e.crediting_period(date(2026, 12, 1), date(2026, 12, 1), forest=True, years=16)
    assert period.end == date(2042, 11, 30)
    assert e.permanence_end(period) == date(2052, 11, 30)
    assert e.permanence_filings(period)[-1] == date(2052, 6, 30)
