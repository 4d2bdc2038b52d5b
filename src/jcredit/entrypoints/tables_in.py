"""CSV that people paste or upload: activities for a plan, monitored values for a period.

The CLI and the web read the same columns the same way: ``code, address, operation_start,
expected_tco2_per_year, household`` and any further column as a methodology input for
activities; ``code`` and one column per input for monitored values. Empty cells are left
out (the input is then not given).
"""

from __future__ import annotations

import csv

from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c

ACTIVITY_COLUMNS = ("code", "address", "operation_start", "expected_tco2_per_year", "household")


def csv_rows(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(line for line in text.lstrip("\ufeff").splitlines()
                               if line.strip()))
    if not rows or "code" not in rows[0]:
        raise ValidationError("the CSV needs a header row with a code column and at least one "
                              "line", field="csv")
    return rows


def activity_commands(project: str, text: str) -> list[c.AddActivity]:
    return [c.AddActivity(
        project=project, code=row.get("code") or "", address=row.get("address") or "",
        operation_start=row.get("operation_start") or "",
        expected_tco2_per_year=row.get("expected_tco2_per_year") or "",
        household=(row.get("household") or "").strip().lower() in ("1", "true", "yes"),
        inputs={k: v for k, v in row.items() if k not in ACTIVITY_COLUMNS and k and v})
        for row in csv_rows(text)]


def monitoring_values(text: str) -> dict[str, dict[str, object]]:
    return {row["code"].strip(): {k: v for k, v in row.items() if k != "code" and k and v}
            for row in csv_rows(text) if row.get("code")}
