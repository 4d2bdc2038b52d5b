"""The CSV readers shared by the CLI and the web."""

from __future__ import annotations

import pytest

from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.tables_in import add_activities_command
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
