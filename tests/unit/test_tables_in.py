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


def test_monitoring_values_by_code() -> None:
    assert monitoring_values("code,el_self_kwh,el_aux_kwh\nHH-1,100,0\nhh-2,200,3\n") == {
        "HH-1": {"el_self_kwh": "100", "el_aux_kwh": "0"},
        "HH-2": {"el_self_kwh": "200", "el_aux_kwh": "3"}}


def problems_of(text: str, known: tuple[str, ...] | None = None
                ) -> list[tuple[object, object, object]]:
    """(line, column, kind) of every problem, in order; the read must be refused."""
    with pytest.raises(ValidationError) as raised:
        monitoring_values(text, known)
    assert raised.value.field == "csv"
    return [(e["line"], e["column"], e["problem"]) for e in raised.value.errors or ()]


def test_a_thousands_separator_splitting_a_number_is_refused_by_line_and_column() -> None:
    """The Excel line ``TJ-001,1,400`` was once read as el_self_kwh = 1."""
    text = "code,el_self_kwh\nTJ-000,1400\nTJ-001,1,400\n"
    with pytest.raises(ValidationError) as raised:
        monitoring_values(text)
    (problem,) = raised.value.errors or ()
    assert (problem["line"], problem["column"], problem["problem"]) == (
        3, "column 3", "thousands_separator_split")
    assert problem["number"] == "1400" and "write 1400" in str(problem["message"])


@pytest.mark.parametrize(("line", "column", "kind"), [
    ("HH-2,1,400,5", "column 4", "too_many_cells"),
    ("HH-2,100", "el_aux_kwh", "too_few_cells"),
    ("HH-2,１４００,0", "el_self_kwh", "full_width"),
    ("HH-2,1400,０", "el_aux_kwh", "full_width"),
    ('HH-2,"1,400",0', "el_self_kwh", "thousands_separator"),
    ('HH-2,"1,40",0', "el_self_kwh", "separator_in_number"),
    ("HH-2,1 400,0", "el_self_kwh", "thousands_separator"),
    ("HH-2,,0", "el_self_kwh", "blank"),
    ("HH-2,1400,", "el_aux_kwh", "blank"),
    ("HH-2,-5,0", "el_self_kwh", "negative"),
    ("HH-2,1400,−3", "el_aux_kwh", "full_width"),
    ("HH-1,1400,0", "code", "duplicate_code"),
    (",1400,0", "code", "code_required"),
])
def test_each_ambiguous_line_is_refused_with_its_line_and_column(line: str, column: str,
                                                                  kind: str) -> None:
    text = f"code,el_self_kwh,el_aux_kwh\nHH-1,100,0\n{line}\n"
    assert problems_of(text) == [(3, column, kind)]


def test_every_problem_of_a_file_is_listed_and_nothing_is_read() -> None:
    text = ("code,el_self_kwh\nHH-1,1,400\nHH-2,\nHH-3,-1\nHH-9,100\nHH-4,２\n"
            "HH-5,100\n")
    assert problems_of(text, known=("HH-1", "HH-2", "HH-3", "HH-4", "HH-5")) == [
        (2, "column 3", "thousands_separator_split"), (3, "el_self_kwh", "blank"),
        (4, "el_self_kwh", "negative"), (5, "code", "unknown_code"),
        (6, "el_self_kwh", "full_width")]


def test_zero_decimals_and_text_values_are_read_as_written() -> None:
    assert monitoring_values("code,kwh,fuel\nA,0,FUEL_OIL_A\nB,-0,LPG\nC,1.5e3,LPG\n") == {
        "A": {"kwh": "0", "fuel": "FUEL_OIL_A"}, "B": {"kwh": "-0", "fuel": "LPG"},
        "C": {"kwh": "1.5e3", "fuel": "LPG"}}


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
