"""Typed input from people and files (``domain/parsing.py``): JSON bodies and plan files read
safely and exactly, numbers and dates refused with the field named."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jcredit.domain.errors import MalformedInputError
from jcredit.domain.errors import PayloadTooLargeError
from jcredit.domain.errors import ValidationError
from jcredit.domain.parsing import MAX_JSON_DEPTH
from jcredit.domain.parsing import parse_date
from jcredit.domain.parsing import parse_decimal
from jcredit.domain.parsing import parse_json


def refusal(raw: bytes | str, **limits: int) -> MalformedInputError:
    with pytest.raises(MalformedInputError) as refused:
        parse_json(raw, field="plan", **limits)
    assert refused.value.field == "plan"
    return refused.value


def nested(depth: int, *, inner: bytes = b"1") -> bytes:
    """``depth`` objects, each inside the previous one."""
    return b'{"a": ' * depth + inner + b"}" * depth


def test_a_json_document_reads_numbers_exactly_from_bytes_or_text() -> None:
    assert parse_json(b'{"factor": 0.540, "n": 2}') == {"factor": Decimal("0.540"), "n": 2}
    assert parse_json('{"名前": "ガス", "factor": 1.10}') == {"名前": "ガス",
                                                              "factor": Decimal("1.10")}


@pytest.mark.parametrize("raw", [b"", ""])
def test_an_empty_body_is_an_empty_object(raw: bytes | str) -> None:
    assert parse_json(raw) == {}


def test_a_body_at_the_size_limit_is_read_and_one_byte_more_is_refused() -> None:
    assert parse_json(b"[1, 2]", max_bytes=6) == [1, 2]
    with pytest.raises(PayloadTooLargeError) as refused:
        parse_json(b"[1, 22]", field="plan", max_bytes=6)
    assert refused.value.field == "plan"
    assert refused.value.message == "plan is larger than 6 bytes"


def test_the_size_limit_counts_the_utf8_bytes_of_a_text_body() -> None:
    assert parse_json('"ガ"', max_bytes=5) == "ガ"  # 1 character, 3 bytes, 2 quotes
    with pytest.raises(PayloadTooLargeError):
        parse_json('"ガ"', max_bytes=4)


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"a": "\xff"}', "plan is not UTF-8 (byte 7)"),
    ('{"a": "\ud800"}', "plan is not UTF-8 (byte 7)"),  # a text body with a lone surrogate
])
def test_a_body_that_is_not_utf8_is_refused_with_the_byte(raw: bytes | str,
                                                          message: str) -> None:
    assert refusal(raw).message == message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_naming_the_field(constant: str) -> None:
    refused = refusal(f'{{"factor": {constant}}}')
    assert refused.message == f"plan: {constant} is not a number in JSON: write a decimal"


def test_invalid_json_is_refused_with_the_parser_s_reason() -> None:
    assert refusal(b'{"a": }').message.startswith("plan is not valid JSON: Expecting value")


def test_a_document_nested_to_the_limit_is_read_and_one_level_deeper_is_refused() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    refused = refusal(nested(MAX_JSON_DEPTH + 1))
    assert refused.message == f"plan is nested deeper than {MAX_JSON_DEPTH} levels"


@pytest.mark.parametrize("raw", [
    b"[[[]]]", b"[[[]], [], {}]", b'{"a": [[]], "b": {"c": 1}}', b"[[], [[]], []]",
])
def test_documents_within_the_depth_limit_are_read_whatever_their_brackets(raw: bytes) -> None:
    assert parse_json(raw, max_depth=3) is not None


@pytest.mark.parametrize("raw", [
    b"[[[[]]]]", b"[[[[]]], []]", b'{"a": [[{}]]}', b'{"a": {"b": {"c": {}}}}',
    b'[{"a": [[]]}, 1]',
])
def test_documents_one_level_too_deep_are_refused_wherever_the_nesting_is(raw: bytes) -> None:
    assert "nested deeper than 3 levels" in refusal(raw, max_depth=3).message


def test_a_document_too_deep_for_the_parser_itself_is_refused_not_crashed() -> None:
    assert "nested deeper than" in refusal(b"[" * 100_000 + b"]" * 100_000).message


@pytest.mark.parametrize("raw", [
    rb'"\ud800"', rb'{"a": "x\udfff"}', rb'{"\uDBFF": 1}', rb'[1, {"a": ["\ud9ab"]}]',
    rb'{"a": {"\udc00b": 2}}',
])
def test_an_escaped_lone_surrogate_anywhere_is_refused(raw: bytes) -> None:
    assert refusal(raw).message == (
        "plan contains a lone surrogate (\\ud800-\\udfff), which is not a character")


def test_an_escaped_surrogate_pair_is_one_character_and_is_read() -> None:
    assert parse_json(rb'{"emoji": "\ud83d\ude00"}') == {"emoji": "😀"}


def test_numbers_must_be_written_exactly_and_refusals_name_the_field() -> None:
    assert parse_decimal(7, field="x") == Decimal(7)
    for value, message in [
        (1.5, 'area must be a decimal number written exactly (e.g. "12.5") [ha], not 1.5'),
        ("12.5 ha", "area must be a number [ha], got '12.5 ha'"),
        ([1], "area must be a number [ha], got [1]"),
        ("-0.1", "area must be at least 0 [ha], got -0.1"),
    ]:
        with pytest.raises(ValidationError) as refused:
            parse_decimal(value, field="area", unit="ha")
        assert (refused.value.field, refused.value.message) == ("area", message)


def test_a_date_that_is_not_iso_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_date("2026/04/01", field="start")
    assert (refused.value.field, refused.value.message) == (
        "start", "start must be a date YYYY-MM-DD, got '2026/04/01'")


@pytest.mark.parametrize("text, value", [("1,400", "1400"), ("1,400.5", "1400.5"),
                                         ("-1,234,567.25", "-1234567.25"), ("400", "400")])
def test_a_comma_between_thousands_is_read_as_a_separator(text: str, value: str) -> None:
    assert parse_decimal(text, field="el_self_kwh", minimum=None) == Decimal(value)


@pytest.mark.parametrize("text", ["12,5", "1,40", "1,4000", ",5", "1,,400", "1,400,5"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused_not_dropped(text: str) -> None:
    # "12,5" written with a decimal comma must not become 125
    with pytest.raises(ValidationError) as refused:
        parse_decimal(text, field="el_self_kwh")
    assert refused.value.field == "el_self_kwh"
