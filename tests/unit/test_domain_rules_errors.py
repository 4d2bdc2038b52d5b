"""How a refusal reads to a client (errors.py) and what an organisation's legal name must
be (organisations.py): two domain modules no unit test reached before mutation testing
(docs/testing.md)."""

from __future__ import annotations

import pytest

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import InsufficientCreditsError
from jcredit.domain.errors import Issue
from jcredit.domain.errors import TooManyAttemptsError
from jcredit.domain.errors import ValidationError
from jcredit.domain.organisations import parse_legal_name


def test_a_refusal_names_its_code_message_field_and_valid_values() -> None:
    refusal = ValidationError("use is not valid", field="use", valid=("OFFSET", "CDP"))
    assert refusal.as_dict() == {"code": "invalid_input", "message": "use is not valid",
                                 "field": "use", "valid": ["OFFSET", "CDP"]}
    assert str(refusal) == refusal.message == "use is not valid"


def test_a_refusal_without_a_field_or_valid_values_leaves_them_out() -> None:
    refusal = InsufficientCreditsError("too few")
    assert refusal.as_dict() == {"code": "insufficient_credits", "message": "too few"}
    assert (refusal.field, refusal.valid, refusal.errors) == (None, None, None)


def test_a_refusal_of_many_lines_lists_each_problem_as_given() -> None:
    problems = [{"line": 2, "column": "quantity", "message": "not a number"}]
    refusal = ValidationError("2 problems", errors=problems)
    problems[0]["line"] = 99  # the caller's list may change afterwards
    assert refusal.as_dict()["errors"] == [
        {"line": 2, "column": "quantity", "message": "not a number"}]
    assert ValidationError("none", errors=[]).as_dict() == {"code": "invalid_input",
                                                            "message": "none"}


def test_too_many_attempts_says_when_to_try_again() -> None:
    refusal = TooManyAttemptsError("slow down", retry_after=30, field="password")
    assert (refusal.retry_after, refusal.field, refusal.code) == (
        30, "password", "too_many_attempts")
    assert isinstance(refusal, DomainError)


def test_a_finding_reads_code_subject_and_message() -> None:
    assert str(Issue("SERIAL_OVERLAP", "blocks overlap", "block 12")) == (
        "SERIAL_OVERLAP [block 12]: blocks overlap")
    assert str(Issue("CHAIN", "hash differs")) == "CHAIN: hash differs"


@pytest.mark.parametrize(("value", "expected"), [
    ("  株式会社\n サンプル ", "株式会社 サンプル"), ("AB", "AB"), ("字" * 200, "字" * 200)])
def test_a_legal_name_of_2_to_200_characters_is_kept_with_single_spaces(
        value: str, expected: str) -> None:
    assert parse_legal_name(value) == expected


@pytest.mark.parametrize("value", [None, "", "  ", "A", "字" * 201])
def test_a_missing_abbreviated_or_overlong_legal_name_is_refused(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_legal_name(value, field="organisation_name")
    assert refused.value.field == "organisation_name"
    assert "full legal name (2-200 characters)" in str(refused.value)


def test_field_checks_refuse_every_problem_at_once() -> None:
    from jcredit.domain.errors import FieldChecks
    from jcredit.domain.errors import NotFoundError
    from jcredit.domain.errors import PermissionDeniedError
    from jcredit.domain.errors import ValidationError

    checks = FieldChecks()
    assert checks(lambda: "ok") == "ok"

    def bad_name() -> str:
        raise ValidationError("name is required", field="name")

    def unknown_account() -> str:
        raise NotFoundError("no account H-1", field="holder_account", valid=["H-2"])

    assert checks(bad_name) is None and checks(unknown_account) is None
    with pytest.raises(ValidationError) as refused:
        checks.done()
    assert refused.value.field == "name"  # the first problem's field, and what is valid there
    assert refused.value.valid is None
    assert refused.value.message.startswith("2 fields to correct: name is required; ")
    assert refused.value.errors == [
        {"field": "name", "code": "invalid_input", "message": "name is required"},
        {"field": "holder_account", "code": "not_found", "message": "no account H-1",
         "valid": ["H-2"]}]

    first_valid = FieldChecks()
    first_valid(unknown_account)
    first_valid(bad_name)
    with pytest.raises(ValidationError) as both:
        first_valid.done()
    assert both.value.field == "holder_account" and both.value.valid == ("H-2",)

    one = FieldChecks()
    one(unknown_account)
    with pytest.raises(NotFoundError):  # a single problem is raised as it is
        one.done()

    def forbidden() -> str:
        raise PermissionDeniedError("not yours")

    with pytest.raises(PermissionDeniedError):  # not a field's problem: stops at once
        FieldChecks()(forbidden)
