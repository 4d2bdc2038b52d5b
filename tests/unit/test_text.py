"""domain/text.py: what text the registry stores, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jcredit.domain.errors import ValidationError
from jcredit.domain.text import MAX_DB_INT
from jcredit.domain.text import check_db_int
from jcredit.domain.text import check_db_ints
from jcredit.domain.text import check_nested_text
from jcredit.domain.text import clean_text
from jcredit.domain.text import fits_db_int
from jcredit.domain.text import shown
from jcredit.service_layer import commands as c
from jcredit.service_layer.validation import validated


@pytest.mark.parametrize(("value", "multiline", "fragment"), [
    ("a\x00b", False, "U+0000"), ("a\nb", False, "U+000A"), ("a\tb", False, "U+0009"),
    ("a\x1bb", True, "U+001B"), ("a\u202eb", True, "U+202E"), ("a\u2066b", False, "U+2066"),
    ("a\ud800", True, "surrogate"), ("a\u2028b", False, "U+2028"), ("あ" * 11, False, "10"),
])
def test_refused_text_names_the_field_and_the_rule(value: str, multiline: bool,
                                                   fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        clean_text(value, field="address", max_length=10, multiline=multiline)
    assert error.value.field == "address" and fragment in error.value.message


@pytest.mark.parametrize("value", ["a\nb\tc\r\n", "全角\u3000スペース", "👩\u200d💻", "ｶﾞ"])
def test_allowed_text(value: str) -> None:
    assert clean_text(value, field="f", max_length=20, multiline=True) == \
        unicodedata.normalize("NFC", value)


@given(st.text())
def test_accepted_text_is_nfc_and_stable(value: str) -> None:
    try:
        text = clean_text(value, field="f", max_length=10_000, multiline=True)
    except ValidationError:
        return
    assert unicodedata.is_normalized("NFC", text)
    assert clean_text(text, field="f", max_length=10_000, multiline=True) == text
    text.encode("utf-8")  # no lone surrogate got through


def test_integers_and_nested_documents() -> None:
    assert check_db_int(MAX_DB_INT, field="id") == MAX_DB_INT
    with pytest.raises(ValidationError):
        check_db_int(0, field="id")
    with pytest.raises(ValidationError) as error:
        check_nested_text({"inputs": [{"name": "x\ud800"}]}, field="plan")
    assert error.value.field == "plan.inputs[0].name"


def test_commands_are_validated_and_normalised_in_one_place() -> None:
    command = validated(c.CreateOrganisation(name="株式会社カ\u3099ス",
                                             corporate_number="7000012050002"))
    assert command.name == "株式会社ガス"
    same = c.TransferCredits(from_account="H-0000006-7", to_account="H-0000007-5", quantity=1)
    assert validated(same) is same
    with pytest.raises(ValidationError) as error:
        validated(c.ApplyInvalidation(from_account="H-0000006-7", use="OFFSET",
                                      purpose_details="x", credit_user_name="A\x00",
                                      fiscal_year=2026))
    assert error.value.field == "credit_user_name"
    with pytest.raises(ValidationError):
        validated(c.CreateUser(username="u", password="p\udc80", role="HOLDER"))
    assert validated(c.CreateUser(username="u", password="ｶﾞ\x01", role="HOLDER")).password \
        == "ｶﾞ\x01"  # passwords are hashed as typed


def refused_text(value: str, **options: object) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        clean_text(value, field="name", max_length=10, **options)  # type: ignore[arg-type]
    assert error.value.field == "name"
    return error.value


def test_a_one_line_field_refuses_a_line_break_unless_it_is_declared_multiline() -> None:
    assert refused_text("a\nb").message == \
        "name must not contain the control character U+000A (no line breaks or tabs)"
    assert refused_text("a\u2029b").message.startswith(
        "name must not contain the control character U+2029")  # paragraph separator
    assert refused_text("a\x1bb", multiline=True).message == \
        "name must not contain the control character U+001B (only tab and line breaks)"
    assert refused_text("a\ud800").message == \
        "name contains a lone surrogate U+D800, which is not a character"


def test_the_length_limit_counts_characters_after_normalisation() -> None:
    assert clean_text("あ" * 10, field="name", max_length=10) == "あ" * 10
    assert clean_text("カ\u3099" * 10, field="name", max_length=10) == "ガ" * 10
    assert refused_text("a" * 11).message == "name must be at most 10 characters, got 11"


def test_ascii_text_is_kept_as_typed() -> None:
    assert clean_text("ACME Corp. 2026", field="name", max_length=20) == "ACME Corp. 2026"


def test_a_refusal_shows_unprintable_characters_escaped() -> None:
    assert shown("a\u202eb\x00") == "a\\u202eb\\u0000"
    assert shown("株式会社 ACME") == "株式会社 ACME"
    assert (shown(None), shown(12)) == ("", "12")


def test_ids_fit_a_bigint_and_start_at_one() -> None:
    assert (fits_db_int(1), fits_db_int(MAX_DB_INT)) == (True, True)
    assert (fits_db_int(0), fits_db_int(MAX_DB_INT + 1)) == (False, False)
    assert check_db_int(1, field="id") == 1
    assert check_db_int(0, field="offset", minimum=0) == 0
    with pytest.raises(ValidationError) as error:
        check_db_int(MAX_DB_INT + 1, field="application_id")
    assert error.value.field == "application_id"


def test_every_id_of_a_list_is_checked() -> None:
    check_db_ints([1, 2, MAX_DB_INT], field="ids")
    with pytest.raises(ValidationError) as error:
        check_db_ints([1, 0, 3], field="ids")
    assert (error.value.field, error.value.message) == (
        "ids", f"ids must be between 1 and {MAX_DB_INT}, got 0")


def nested_refusal(value: object, **limits: int) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        check_nested_text(value, field="plan", **limits)
    return error.value


def test_nested_strings_may_have_lines_and_tabs_up_to_10000_characters() -> None:
    check_nested_text({"memo": ["line 1\n\tline 2\r\n", "x" * 10_000]}, field="plan")
    refused = nested_refusal({"memo": ["ok", "x" * 10_001]})
    assert refused.field == "plan.memo[1]" and "at most 10000" in refused.message
    assert nested_refusal({"memo": "x" * 6}, max_length=5).field == "plan.memo"


def test_a_nested_document_of_100000_items_is_checked_and_a_larger_one_refused() -> None:
    check_nested_text([0] * 99_999, field="plan")  # the list and its 99,999 items
    refused = nested_refusal([0] * 100_000)
    assert (refused.field, refused.message) == ("plan", "plan has more than 100000 items")
    check_nested_text({"a": [1, 2]}, field="plan", max_items=4)
    assert nested_refusal({"a": [1, 2, 3]}, max_items=4).message == \
        "plan has more than 4 items"


def test_a_refused_key_is_named_as_a_key_and_keys_may_have_200_characters() -> None:
    check_nested_text({"k" * 200: 1}, field="plan")
    refused = nested_refusal({"inputs": {"k" * 201: 1}})
    assert refused.field == "plan.inputs (a key)"
    assert nested_refusal({"a\nb": 1}).field == "plan (a key)"  # a key is one line


@pytest.mark.parametrize("key", [1, None, "a\u200db"])  # an int, None, an unprintable key
def test_a_value_under_a_key_that_cannot_be_shown_is_named_by_its_parent(key: object) -> None:
    assert nested_refusal({"inputs": {key: "x\x00"}}).field == "plan.inputs"
