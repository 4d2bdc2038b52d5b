"""The CSV readers shared by the CLI and the web."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.tables_in import ENCODINGS
from jcredit.entrypoints.tables_in import add_activities_command
from jcredit.entrypoints.tables_in import csv_rows
from jcredit.entrypoints.tables_in import decode_csv
from jcredit.entrypoints.tables_in import monitoring_values


def test_activity_rows_become_commands_and_extra_columns_inputs() -> None:
    text = ("\ufeffcode,address,operation_start,expected_tco2_per_year,household,"
            "grid_factor_type\nHH-1,岐阜県岐阜市1,2025-06-01,1.2,yes,SUBSTITUTE\n"
            "HH-2,岐阜県岐阜市2,2025-06-01,0.9,,\n\n")
    command = add_activities_command("JCP-000001", text)
    first, second = command.activities
    assert (first["code"], first["household"], first["inputs"]) == (
        "HH-1", "yes", {"grid_factor_type": "SUBSTITUTE"})
    assert (second["household"], second["inputs"]) == ("", {})
    assert command.lines == (2, 3)


def test_monitoring_values_skip_empty_cells() -> None:
    assert monitoring_values("code,el_self_kwh,el_aux_kwh\nHH-1,100,\nHH-2,200,3\n") == {
        "HH-1": {"el_self_kwh": "100"}, "HH-2": {"el_self_kwh": "200", "el_aux_kwh": "3"}}


@pytest.mark.parametrize("text", ["", "address,household\nx,1\n", "code\n"])
def test_a_table_without_code_or_rows_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as raised:
        monitoring_values(text)
    assert raised.value.field == "csv"


TEXT = "code,address\nTKY-1,東京都千代田区霞が関1-3-1\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "auto"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "auto"),
    (TEXT.encode("cp932"), "auto"),
    (TEXT.encode("cp932"), "cp932"),
    (TEXT.encode("cp932"), "Shift_JIS"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),
])
def test_utf8_bom_and_cp932_decode_to_the_same_text(data: bytes, encoding: str) -> None:
    assert decode_csv(data, encoding) == TEXT


def test_undecodable_bytes_are_refused_by_line_and_offset() -> None:
    data = "code,address\nA,岐阜\n".encode() + b"B,\x81\xff\n"
    with pytest.raises(ValidationError) as raised:
        decode_csv(data)
    message = raised.value.message
    assert "neither UTF-8 nor Shift_JIS" in message and "line 3" in message
    offset = data.index(b"\x81")
    assert f"byte offset {offset}" in message
    with pytest.raises(ValidationError) as forced:
        decode_csv(TEXT.encode("cp932"), "utf-8")
    assert "not UTF-8: line 2" in forced.value.message
    with pytest.raises(ValidationError) as unknown:
        decode_csv(b"code\n", "latin-1")
    assert unknown.value.field == "encoding" and unknown.value.valid == ENCODINGS


def test_rows_keep_their_line_and_long_rows_are_refused() -> None:
    text = 'code,address\n\nA,"岐阜県\n岐阜市"\nB,x\n'
    assert [line for line, _ in csv_rows(text)] == [3, 5]
    with pytest.raises(ValidationError) as raised:
        csv_rows("code,address\nA,x\nB,x,extra\nC,y,z\n")
    assert [e["line"] for e in raised.value.errors or ()] == [3, 4]


def test_monitoring_codes_given_twice_or_empty_are_refused_by_line() -> None:
    with pytest.raises(ValidationError) as raised:
        monitoring_values("code,el_self_kwh\nHH-1,1\n,2\nhh-1,3\n")
    assert [(e["line"], e["column"]) for e in raised.value.errors or ()] == [
        (3, "code"), (4, "code")]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("cp932", "ignore")),
       st.sampled_from(ENCODINGS))
def test_any_bytes_are_read_or_refused_with_a_validation_error(data: bytes,
                                                               encoding: str) -> None:
    try:
        command = add_activities_command("JCP-000001", decode_csv(data, encoding))
    except ValidationError as error:
        assert error.field in ("csv", "encoding") and error.message
    else:
        assert len(command.lines) == len(command.activities) > 0


def test_a_cell_over_the_csv_modules_limit_is_refused_by_line() -> None:
    with pytest.raises(ValidationError) as raised:
        csv_rows("code,address\nA,x\nB," + "x" * 200_000 + "\n")
    assert "line 3" in raised.value.message
