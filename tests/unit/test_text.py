"""domain/text.py: what text the registry stores, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jcredit.domain.errors import ValidationError
from jcredit.domain.text import MAX_DB_INT
from jcredit.domain.text import check_db_int
from jcredit.domain.text import check_nested_text
from jcredit.domain.text import clean_text
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
