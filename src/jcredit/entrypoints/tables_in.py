"""CSV that people paste or upload: activities for a plan, monitored values for a period.

The CLI, the web and the API read the same columns the same way: ``code, address,
operation_start, expected_tco2_per_year, household`` and any further column as a
methodology input for activities; ``code`` and one column per input for monitored values.
For activities, empty cells are left out (the input is then not given); monitored values
are read strictly (:func:`monitoring_table`): nothing ambiguous is ever read.

Files arrive as bytes in whatever Excel wrote: UTF-8, UTF-8 with a BOM, or Shift_JIS
(cp932, what Japanese Excel writes for "CSV"). :func:`decode_csv` is the one decoder every
path uses; each row keeps the line it started on, so problems are reported by line.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from typing import TypeVar

from jcredit.domain.errors import ValidationError
from jcredit.domain.parsing import parse_json
from jcredit.service_layer import commands as c

T = TypeVar("T")
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


def read_table(text: str) -> tuple[list[str] | None, list[tuple[int, list[str]]],
                                    list[dict[str, object]]]:
    """The header (names trimmed), the other non-blank lines with the line each starts on,
    and an empty problem list for the caller to fill."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = reader.line_num + 1
    for cells in _cells(reader):
        if any(cell.strip() for cell in cells):
            if header is None:
                header = [cell.strip() for cell in cells]
            else:
                rows.append((line, cells))
        line = reader.line_num + 1
    return header, rows, []


def csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The rows with the line each starts on; blank lines are skipped, header names are
    trimmed, a row with more cells than the header is refused (every such line named)."""
    header, lines_cells, problems = read_table(text)
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in lines_cells:
        if header is not None and len(cells) > len(header):
            problems.append(_extra_cells(line, header, cells))
        elif header is not None:
            rows.append((line, dict(zip(header, [v.strip() for v in cells], strict=False))))
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


def monitoring_values(text: str, known: Iterable[str] | None = None
                      ) -> dict[str, dict[str, object]]:
    return monitoring_table(text, known)[0]


# Digits, signs and separators typed with a Japanese IME (全角): ０-９ ． ， － ＋ and the
# ideographic space. NFKC maps them to ASCII; the reader never does it silently.
_FULL_WIDTH = set("０１２３４５６７８９．，－＋　") | {"\u2212"}  # and the minus sign −
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}([, ]\d{3})+(\.\d*)?$")
_NUMBERISH = re.compile(r"^[+-]?[\d., ]*\d[\d., ]*$")


def monitoring_table(text: str, known: Iterable[str] | None = None
                     ) -> tuple[dict[str, dict[str, object]], dict[str, int]]:
    """Monitored values by activity code, and the line each code is on; refused (every
    problem listed, see :func:`read_monitoring`) when any line is ambiguous."""
    values, lines, problems = read_monitoring(text, known)
    if problems:
        raise ValidationError(f"{len(problems)} problem(s) in the CSV: nothing was submitted",
                              field="csv", errors=problems)
    return values, lines


Values = dict[str, dict[str, object]]


def submit_monitoring_csv(text: str, known: Iterable[str] | None,
                          run: Callable[[Values], T], check: Callable[[Values], object]) -> T:
    r"""Read the text and ``run`` the submission of its values. When some lines are
    ambiguous, the lines that were read still go through ``check`` (a dry run of the same
    command, nothing written) so that the methodology's problems with them are listed with
    the reader's: every problem of the file at once, each with its line."""
    values, lines, problems = read_monitoring(text, known)
    try:
        if not problems:
            return run(values)
        if values:
            check(values)
    except ValidationError as error:
        found = with_lines(error, lines).errors or [
            {"line": "", "column": error.field or "", "value": "", "message": error.message}]
        if not problems:
            raise
        problems = sorted([*problems, *found], key=lambda item: _line_order(item.get("line")))
    raise ValidationError(f"{len(problems)} problem(s) in the CSV: nothing was submitted",
                          field="csv", errors=problems)


def _line_order(line: object) -> int:
    return line if isinstance(line, int) else 0


def read_monitoring(text: str, known: Iterable[str] | None = None
                    ) -> tuple[Values, dict[str, int], list[dict[str, object]]]:
    """Monitored values by activity code, the line each code is on, and the problems.

    Nothing ambiguous is read: every line is checked and every problem listed with its line
    and column (``problem`` names the kind, for the page's language), and nothing is
    returned while one remains. Refused: a line with more cells than the header (``1,400``
    written with a thousands separator splits into two cells) or fewer; a number with a
    separator inside quotes (``"1,400"``); full-width digits (``１４００``); a blank cell
    (write 0, or leave the column out); a negative value; a code given twice or left empty;
    with ``known``, a code that is not one of the project's activities."""
    header, lines_cells, problems = read_table(text)
    if header is None or "code" not in header:
        raise ValidationError("the CSV needs a header row with a code column and at least one "
                              "line", field="csv")
    known_codes = {k.upper() for k in known} if known is not None else None
    values: dict[str, dict[str, object]] = {}
    lines: dict[str, int] = {}
    seen: dict[str, int] = {}
    for line, cells in lines_cells:
        if len(cells) > len(header):
            problems.append(_extra_cells(line, header, cells))
            continue
        if len(cells) < len(header):
            missing = header[len(cells):]
            problems.append(_cell_problem(
                line, missing[0], "", "too_few_cells",
                f"{len(cells)} cell(s) but the header has {len(header)}: "
                f"{', '.join(missing)} missing", cells=len(cells), expected=len(header)))
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        code = row.get("code", "").upper()
        found = len(problems)
        if not code:
            problems.append(_cell_problem(line, "code", "", "code_required",
                                          "code is required"))
        elif code in seen:
            problems.append(_cell_problem(line, "code", code, "duplicate_code",
                                          f"{code} is already on line {seen[code]}",
                                          other=seen[code]))
        elif known_codes is not None and code not in known_codes:
            problems.append(_cell_problem(line, "code", code, "unknown_code",
                                          f"{code} is not an activity of this project"))
        seen.setdefault(code, line)
        for name, value in row.items():
            if name != "code" and name:
                problems.extend(_value_problems(line, name, value))
        if len(problems) == found:
            values[code] = {k: v for k, v in row.items() if k != "code" and k}
            lines[code] = line
    if not lines_cells and not problems:
        raise ValidationError("the CSV needs a header row with a code column and at least one "
                              "line", field="csv")
    return values, lines, problems


def _cell_problem(line: int, column: str, value: str, problem: str, message: str,
                  **extra: object) -> dict[str, object]:
    return {"line": line, "column": column, "value": value, "problem": problem,
            "message": message} | extra


def _extra_cells(line: int, header: list[str], cells: list[str]) -> dict[str, object]:
    """More cells than the header: name the first cell without a column, and say when the
    line reads like a number written with a thousands separator (``TJ-001,1,400``)."""
    extra = len(cells) - len(header)
    column = f"column {len(header) + 1}"
    joined = ",".join(c.strip() for c in cells[len(header) - 1:len(header) + extra])
    if _GROUPED.match(joined):
        return _cell_problem(
            line, column, ",".join(cells), "thousands_separator_split",
            f"{len(cells)} cells but the header has {len(header)}: {joined} looks like one "
            f"number written with a thousands separator; write {joined.replace(',', '')}",
            cells=len(cells), expected=len(header), number=joined.replace(",", ""))
    return _cell_problem(line, column, ",".join(cells), "too_many_cells",
                         f"{len(cells)} cells but the header has {len(header)}",
                         cells=len(cells), expected=len(header))


def _value_problems(line: int, column: str, value: str) -> list[dict[str, object]]:
    if not value:
        return [_cell_problem(line, column, "", "blank",
                              "the cell is blank: write 0 if the value is zero, or leave the "
                              "column out")]
    if any(ch in _FULL_WIDTH for ch in value):
        plain = unicodedata.normalize("NFKC", value).replace("\u2212", "-")
        return [_cell_problem(line, column, value, "full_width",
                              f"full-width characters: write {plain}", suggestion=plain)]
    if ("," in value or " " in value) and _NUMBERISH.match(value):
        if _GROUPED.match(value):
            plain = value.replace(",", "").replace(" ", "")
            return [_cell_problem(line, column, value, "thousands_separator",
                                  f"a thousands separator in a number: write {plain}",
                                  suggestion=plain)]
        return [_cell_problem(line, column, value, "separator_in_number",
                              "a comma or space inside a number is ambiguous (thousands "
                              "separator or decimal comma): write digits only, with a point "
                              "for decimals")]
    if _NUMBER.match(value) and value.startswith("-") and Decimal(value) != 0:
        return [_cell_problem(line, column, value, "negative",
                              "a monitored value is never negative")]
    return []


def with_lines(error: ValidationError, lines: dict[str, int]) -> ValidationError:
    """A refusal of monitored values, each problem given the line of its activity code."""
    for item in error.errors or ():
        code = str(item.get("activity", ""))
        if code in lines:
            item["line"] = lines[code]
    return error


def registered_rows_from(data: bytes, fmt: str, encoding: str = "auto", *,
                         max_json_bytes: int = 20 * 1024 * 1024
                         ) -> tuple[list[dict[str, Any]], int]:
    """The rows of an official project list and the line of the first row: CSV with the
    list's column names (line 2; UTF-8 or Shift_JIS), or JSON — a list of rows or
    ``{"projects": [...]}`` (row 1)."""
    if fmt not in ("csv", "json"):
        raise ValidationError(f"format must be csv or json, got {fmt!r}", field="format",
                              valid=["csv", "json"])
    if fmt == "csv":
        text = decode_csv(data, encoding, field="file")
        return [dict(row) for row in csv.DictReader(io.StringIO(text))], 2
    document = parse_json(data, field="file", max_bytes=max_json_bytes)
    rows = document.get("projects") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise ValidationError("file: a JSON list of projects, or {\"projects\": [...]}",
                              field="file")
    return rows, 1
