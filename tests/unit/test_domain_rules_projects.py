"""Project rules (eligibility, lifecycle) as an applicant or the secretariat reads them,
found unguarded by mutation testing (docs/testing.md)."""

from __future__ import annotations

from datetime import date

import pytest

from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import ValidationError
from jcredit.domain.numbers import D
from jcredit.domain.projects import eligibility as e
from jcredit.domain.projects.lifecycle import PROJECT_TRANSITIONS
from jcredit.domain.projects.lifecycle import Party
from jcredit.domain.projects.lifecycle import transition


def test_a_site_in_a_prefecture_is_in_japan_and_a_foreign_one_is_not() -> None:
    tokyo, seoul = e.check_in_japan("東京都"), e.check_in_japan("ソウル特別市")
    assert (tokyo.passed, tokyo.message) == (True, "site prefecture '東京都' is in Japan")
    assert (seoul.passed, seoul.message) == (
        False, "site prefecture 'ソウル特別市' is not a Japanese prefecture")


def test_an_emission_reduction_project_cannot_ask_for_more_than_eight_years() -> None:
    with pytest.raises(ValidationError) as refused:
        e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), years=9)
    assert refused.value.field == "crediting_years"
    assert e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), forest=True, years=9).years == 9


def test_a_cap_after_the_natural_end_changes_nothing_and_one_before_it_ends_the_period(
) -> None:
    later = e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), cap=date(2040, 3, 31))
    assert (later.end, later.capped) == (date(2034, 3, 31), False)
    earlier = e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), cap=date(2031, 3, 31))
    assert (earlier.end, earlier.capped) == (date(2031, 3, 31), True)


def test_each_finding_about_a_site_or_activity_names_it() -> None:
    assert e.check_equipment_age(date(2025, 1, 1), date(2026, 1, 1),
                                 subject="site A").subject == "site A"
    assert e.check_programme_activity_size(D(10), subject="household 3").subject == "household 3"
    free = e.check_double_registration("岐阜市1-2", {}, subject="device 7")
    taken = e.check_double_registration("岐阜市 1-2", {"岐阜市1-2": "JCM"}, subject="device 8")
    assert (free.passed, free.subject) == (True, "device 7")
    assert (taken.passed, taken.subject, taken.message) == (
        False, "device 8", "already registered in JCM")


def test_site_keys_are_kept_in_capitals_without_spaces() -> None:
    assert e.site_key(" gifu-shi １－２ a ") == "GIFU-SHI1-2A"


def test_a_methodology_that_waives_additionality_passes_it() -> None:
    finding = e.check_additionality(payback=D(1),
                                    exemption=e.AdditionalityExemption.METHODOLOGY)
    assert finding.passed is True


def test_post_fit_pv_needs_a_known_additional_investment() -> None:
    post_fit = e.AdditionalityExemption.POST_FIT_PV
    with pytest.raises(ValidationError) as unknown:
        e.check_additionality(payback=None, exemption=post_fit, post_fit_investments=["SOLAR"])
    assert unknown.value.field == "post_fit_investments"
    assert unknown.value.valid == e.POST_FIT_INVESTMENTS
    assert e.check_additionality(payback=None, exemption=post_fit).passed is False
    with_two = e.check_additionality(payback=None, exemption=post_fit,
                                     post_fit_investments=["EV_PHEV", "BATTERY"])
    assert (with_two.passed, with_two.message) == (
        True, "卒FIT PV with an additional investment (BATTERY, EV_PHEV): payback test omitted")


def test_a_payback_under_three_years_is_not_additional_and_says_so() -> None:
    finding = e.check_additionality(payback=D("2.5"))
    assert (finding.passed, finding.message) == (False, "payback 2.5 years < 3: not additional")
    assert dict(finding.values) == {"payback_years": "2.5", "threshold_years": "3"}
    assert e.check_additionality(payback=D(3)).message == "payback 3 years ≥ 3: additional"


def test_a_programme_activity_reports_the_500_t_limit() -> None:
    finding = e.check_programme_activity_size(D("500.5"))
    assert finding.passed is False
    assert dict(finding.values) == {"expected_tco2_per_year": "500.5",
                                    "limit_tco2_per_year": "500"}


def test_a_refused_action_lists_what_is_allowed_or_says_the_state_is_final() -> None:
    with pytest.raises(InvalidStateError) as refused:
        transition(PROJECT_TRANSITIONS, "PLAN_DRAFT", "register", Party.SECRETARIAT)
    assert str(refused.value) == (
        "project is PLAN_DRAFT: 'register' is not possible now; allowed: "
        "submit_for_validation, withdraw")
    assert refused.value.valid == ("submit_for_validation", "withdraw")
    with pytest.raises(InvalidStateError) as final:
        transition(PROJECT_TRANSITIONS, "TERMINATED", "withdraw", Party.IMPLEMENTER)
    assert str(final.value).endswith("allowed: nothing (final state)")
    assert final.value.field == "action"


def test_a_crediting_period_contains_its_first_and_last_day() -> None:
    period = e.crediting_period(date(2026, 4, 1), date(2026, 4, 1))
    assert period.contains(date(2026, 4, 1)) and period.contains(date(2034, 3, 31))
    assert not period.contains(date(2026, 3, 31)) and not period.contains(date(2034, 4, 1))


def test_a_cap_on_the_natural_last_day_does_not_mark_the_period_capped() -> None:
    period = e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), cap=date(2034, 3, 31))
    assert (period.end, period.capped) == (date(2034, 3, 31), False)


def test_a_crediting_period_is_shown_with_its_dates_length_and_cap() -> None:
    period = e.crediting_period(date(2026, 4, 1), date(2026, 4, 1), cap=date(2031, 3, 31))
    assert period.as_dict() == {"start": "2026-04-01", "end": "2031-03-31", "years": 8,
                                "capped": True}
