"""CSV that people paste or upload: activities for a plan, monitored values for a period.

The CLI, the web and the API read the same columns the same way: ``code, address,
operation_start, expected_tco2_per_year, household`` and any further column as a
methodology input for activities; ``code`` and one column per input for monitored values.
Empty cells are left out (the input is then not given).

Files arrive as bytes in whatever Excel wrote: UTF-8, UTF-8 with a BOM, or Shift_JIS
(cp932, what Japanese Excel writes for "CSV"). :func:`decode_csv` is the one decoder every
path uses; each row keeps the line it started on, so problems are reported by line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from jcredit.domain.errors import ValidationError
from jcredit.service_layer import commands as c

ACTIVITY_COLUMNS = ("code", "address", "operation_start", "expected_tco2_per_year", "household")
ENCODINGS = ("auto", "utf-8", "cp932")
_ALIASES = {"": "auto", "auto": "auto", "utf-8": "utf-8", "utf8": "utf-8",
            "utf-8-sig": "utf-8", "cp932": "cp932", "shift_jis": "cp932", "shift-jis": "cp932",
            "sjis": "cp932", "ms932": "cp932", "windows-31j": "cp932"}
_NAMES = {"utf-8": "UTF-8", "cp932": "Shift_JIS (cp932)"}


def encoding_name(value: str | None) -> str:
    """``auto``, ``utf-8`` or ``cp932`` from what the user typed (Shift_JIS, sjis, utf8 …)."""
    name = _ALIASES.get(str(value or "").strip().lower())
    if name is None:
        raise ValidationError(f"encoding {value!r} is not supported", field="encoding",
                              valid=ENCODINGS)
    return name


def decode_csv(data: bytes, encoding: str | None = "auto", *, field: str = "csv") -> str:
    """The text of a CSV file: UTF-8 (a BOM is dropped) first; in ``auto`` mode, cp932 if
    that decodes the bytes cleanly. Bytes neither can read are refused with the line and
    byte offset of the first one that fails, never stored garbled."""
    name = encoding_name(encoding)
    if name in ("auto", "utf-8"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if name == "utf-8":
                raise _undecodable(data, error, "utf-8", field) from None
            first = error
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as error:
        if name == "cp932":
            raise _undecodable(data, error, "cp932", field) from None
        raise _undecodable(data, first, "utf-8", field, also="cp932") from None


def _undecodable(data: bytes, error: UnicodeDecodeError, tried: str, field: str,
                 also: str | None = None) -> ValidationError:
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1)
    names = f"neither {_NAMES[tried]} nor {_NAMES[also]}" if also else f"not {_NAMES[tried]}"
    return ValidationError(
        f"the file is {names}: line {line}, byte offset "
        f"{error.start} (byte {column + 1} of the line) is {data[error.start:error.end]!r}; "
        "save it as CSV UTF-8 or choose the encoding", field=field,
        valid=ENCODINGS if also else None,
        errors=[{"line": line, "column": "", "value": data[error.start:error.end].hex(),
                 "offset": error.start, "message": f"the bytes are {names}"}])


def csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The rows with the line each starts on; blank lines are skipped, header names are
    trimmed, a row with more cells than the header is refused (every such line named)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[dict[str, object]] = []
    line = reader.line_num + 1
    for cells in _cells(reader):
        if any(cell.strip() for cell in cells):
            if header is None:
                header = [cell.strip() for cell in cells]
            elif len(cells) > len(header):
                problems.append({"line": line, "column": "", "value": ",".join(cells),
                                 "message": f"{len(cells)} cells but the header has "
                                            f"{len(header)}"})
            else:
                rows.append((line, dict(zip(header, [v.strip() for v in cells], strict=False))))
        line = reader.line_num + 1
    if header is None or "code" not in header or (not rows and not problems):
        raise ValidationError("the CSV needs a header row with a code column and at least one "
                              "line", field="csv")
    if problems:
        raise ValidationError(f"{len(problems)} line(s) have more cells than the header: "
                              "nothing was read", field="csv", errors=problems)
    return rows


def _cells(reader: Any) -> Iterator[list[str]]:
    """The reader's rows; what the csv module cannot parse (a cell over its size limit) is
    refused with the line it is on."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ValidationError(f"line {reader.line_num}: the CSV cannot be read ({error})",
                                  field="csv") from None
        yield cells


def add_activities_command(project: str, text: str) -> c.AddActivities:
    """The whole file as one command: all its activities are added, or none."""
    rows = csv_rows(text)
    return c.AddActivities(
        project=project, lines=tuple(line for line, _ in rows),
        activities=tuple({
            "code": row.get("code") or "", "address": row.get("address") or "",
            "operation_start": row.get("operation_start") or "",
            "expected_tco2_per_year": row.get("expected_tco2_per_year") or "",
            "household": row.get("household") or "",
            "inputs": {k: v for k, v in row.items() if k not in ACTIVITY_COLUMNS and k and v},
        } for _, row in rows))


def monitoring_values(text: str) -> dict[str, dict[str, object]]:
    return monitoring_table(text)[0]


def monitoring_table(text: str) -> tuple[dict[str, dict[str, object]], dict[str, int]]:
    """Monitored values by activity code, and the line each code is on. A code given twice
    or left empty is refused, every such line named."""
    values: dict[str, dict[str, object]] = {}
    lines: dict[str, int] = {}
    problems: list[dict[str, object]] = []
    for line, row in csv_rows(text):
        code = (row.get("code") or "").strip().upper()
        if not code:
            problems.append({"line": line, "column": "code", "value": "",
                             "message": "code is required"})
        elif code in lines:
            problems.append({"line": line, "column": "code", "value": code,
                             "message": f"{code} is already on line {lines[code]}"})
        else:
            values[code] = {k: v for k, v in row.items() if k != "code" and k and v}
            lines[code] = line
    if problems:
        raise ValidationError(f"{len(problems)} problem(s) in the CSV: nothing was submitted",
                              field="csv", errors=problems)
    return values, lines


def with_lines(error: ValidationError, lines: dict[str, int]) -> ValidationError:
    """A refusal of monitored values, each problem given the line of its activity code."""
    for item in error.errors or ():
        code = str(item.get("activity", ""))
        if code in lines:
            item["line"] = lines[code]
    return error
