"""Projects registered before jcredit, read from the official public project list.

The list (https://japancredit.go.jp/project/index.php, jcredit-rules.md §7) gives per
project: No., 申請日, 実施者 (name and 法人番号), 実施場所, 保有者 (name and 法人番号), 概要,
開始日 and 方法論 with its version as free text ("FO-001 Ver. 2.0", "FO-001ver 4.1",
"FO-001Ver 2.4" are one methodology in three versions). A row is read from the list's
Japanese column names or from the English keys of a JSON copy (``no``, ``applied_at``,
``operator``, ``location``, ``credit_buyer``, ``summary``, ``started_at``, ``methodology``).
Each row is checked on its own: a bad row is reported with its line, field and value, and
the others stand (the issue's rule for this import).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import parse_corporate_number
from jcredit.domain.projects.eligibility import PREFECTURES

COLUMNS: dict[str, tuple[str, ...]] = {
    "no": ("No.", "No", "no", "番号"),
    "applied_on": ("申請日", "applied_at", "applied_on"),
    "implementer": ("実施者", "operator", "implementer"),
    "implementer_corporate_number": ("実施者法人番号", "implementer_corporate_number"),
    "location": ("実施場所", "location"),
    "holder": ("保有者", "credit_buyer", "holder"),
    "holder_corporate_number": ("保有者法人番号", "holder_corporate_number"),
    "summary": ("概要", "summary"),
    "start_date": ("開始日", "started_at", "start_date"),
    "methodology": ("方法論", "methodology"),
}
"""Each field and the column names or keys it may come under (the official list's first)."""

MAX_LENGTHS = {"no": 32, "implementer": 200, "location": 500, "holder": 200,
               "summary": 4000, "methodology": 100}
"""The longest value each field may have (what the registry stores): longer is reported."""

_METHODOLOGY = re.compile(
    r"^\s*(?P<id>[A-Z]{2}(?:-[A-Z])?-\d{3})\s*[(（]?\s*(?:ver(?:sion)?\.?|v\.?)?\s*"
    r"(?P<version>\d+(?:\.\d+)?)?\s*[)）]?\s*$", re.IGNORECASE)
_TRAILING_NUMBER = re.compile(r"^(?P<name>.*?)[\s　]*(?P<number>[0-9０-９]{13})[\s　]*$")
_DATE = re.compile(r"^\s*(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?\s*$")


@dataclass(frozen=True, slots=True)
class RegisteredProject:
    """One project of the official list.

    Attributes:
        no: the list's project number (its key: importing it again finds it).
        applied_on: 申請日.
        implementer: 実施者's name.
        implementer_corporate_number: its 法人番号, when given.
        location: 実施場所 as written.
        prefecture: the first prefecture named in the location, or "".
        holder: 保有者's name ("" when the list says "-").
        holder_corporate_number: its 法人番号, when given.
        summary: 概要.
        start_date: 開始日.
        methodology_id: e.g. ``FO-001``.
        methodology_version: e.g. ``2.4`` ("" when the list gives none).
        methodology_text: the methodology as the list wrote it.
    """

    no: str
    applied_on: date | None
    implementer: str
    implementer_corporate_number: str | None
    location: str
    prefecture: str
    holder: str
    holder_corporate_number: str | None
    summary: str
    start_date: date | None
    methodology_id: str
    methodology_version: str
    methodology_text: str

    def as_dict(self) -> dict[str, Any]:
        return {"no": self.no,
                "applied_on": self.applied_on.isoformat() if self.applied_on else None,
                "implementer": self.implementer,
                "implementer_corporate_number": self.implementer_corporate_number,
                "location": self.location, "prefecture": self.prefecture,
                "holder": self.holder, "holder_corporate_number": self.holder_corporate_number,
                "summary": self.summary,
                "start_date": self.start_date.isoformat() if self.start_date else None,
                "methodology_id": self.methodology_id,
                "methodology_version": self.methodology_version,
                "methodology_text": self.methodology_text}


def normalise_methodology(text: str, *, field: str = "methodology") -> tuple[str, str]:
    """A methodology written freely → (id, version).

    >>> [normalise_methodology(t) for t in ("FO-001 Ver. 2.0", "FO-001ver 4.1", "FO-001Ver 2.4")]
    [('FO-001', '2.0'), ('FO-001', '4.1'), ('FO-001', '2.4')]
    >>> normalise_methodology("en-r-002 (ver.3)"), normalise_methodology("AG-004")
    (('EN-R-002', '3.0'), ('AG-004', ''))
    """
    cleaned = (text or "").translate(str.maketrans("－ー‐―．", "----.")).strip()
    match = _METHODOLOGY.match(cleaned)
    if match is None:
        raise ValidationError(f"{field}: {text!r} is not a methodology with its version "
                              "(such as FO-001 Ver. 2.0 or EN-R-002 ver.3.0)", field=field)
    version = match.group("version") or ""
    if version and "." not in version:
        version += ".0"
    return match.group("id").upper(), version


def split_party(text: str, *, field: str) -> tuple[str, str | None]:
    """"中標津町 9000020016926" → (name, 法人番号 checked); "-" → ("", None)."""
    value = " ".join((text or "").split())
    if value in ("", "-", "－", "ー"):
        return "", None
    match = _TRAILING_NUMBER.match(value)
    if match is None:
        return value, None
    number = parse_corporate_number(match.group("number"), field=f"{field}_corporate_number")
    return match.group("name").strip(), number


def parse_list_date(text: object, *, field: str) -> date | None:
    """2013/12/27, 2013-12-27 or 2013年12月27日; empty → None."""
    value = str(text or "").strip()
    if not value:
        return None
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(f"{field}: {value!r} is not a date (write 2013/12/27)",
                              field=field) from None


def prefecture_of(location: str) -> str:
    """The prefecture a location starts with (or first names), or ""."""
    found = [(location.find(p), p) for p in PREFECTURES if p in location]
    return min(found)[1] if found else ""


def _value(row: Mapping[str, Any], name: str) -> str:
    for column in COLUMNS[name]:
        if column in row and row[column] is not None:
            return " ".join(str(row[column]).split())
    return ""


def parse_row(row: Mapping[str, Any]) -> tuple[RegisteredProject | None, list[dict[str, str]]]:
    """One row of the list → the project, or the problems of the row (field, value, why)."""
    problems: list[dict[str, str]] = []

    def check(name: str, parse: Any) -> Any:
        try:
            return parse()
        except DomainError as error:
            problems.append({"field": error.field or name, "value": _value(row, name),
                             "message": error.message})
            return None

    for name, size in MAX_LENGTHS.items():
        if len(_value(row, name)) > size:
            problems.append({"field": name, "value": _value(row, name)[:40] + "…",
                             "message": f"{name} is longer than {size} characters"})
    if problems:
        return None, problems
    no = _value(row, "no")
    if not no:
        problems.append({"field": "no", "value": "", "message": "No. is required (the "
                         "project's number in the official list)"})
    implementer, implementer_number = check("implementer", lambda: split_party(
        _value(row, "implementer"), field="implementer")) or ("", None)
    if _value(row, "implementer_corporate_number"):
        implementer_number = check("implementer_corporate_number", lambda: parse_corporate_number(
            _value(row, "implementer_corporate_number"), field="implementer_corporate_number"))
    holder, holder_number = check("holder", lambda: split_party(
        _value(row, "holder"), field="holder")) or ("", None)
    if _value(row, "holder_corporate_number"):
        holder_number = check("holder_corporate_number", lambda: parse_corporate_number(
            _value(row, "holder_corporate_number"), field="holder_corporate_number"))
    if not implementer and not any(p["field"].startswith("implementer") for p in problems):
        problems.append({"field": "implementer", "value": "", "message": "実施者 is required"})
    methodology = check("methodology", lambda: normalise_methodology(_value(row, "methodology")))
    applied_on = check("applied_on", lambda: parse_list_date(_value(row, "applied_on"),
                                                            field="applied_on"))
    start_date = check("start_date", lambda: parse_list_date(_value(row, "start_date"),
                                                            field="start_date"))
    if problems or methodology is None:
        return None, problems
    location = _value(row, "location")
    return RegisteredProject(
        no=no, applied_on=applied_on, implementer=implementer,
        implementer_corporate_number=implementer_number, location=location,
        prefecture=prefecture_of(location), holder=holder,
        holder_corporate_number=holder_number, summary=_value(row, "summary"),
        start_date=start_date, methodology_id=methodology[0],
        methodology_version=methodology[1], methodology_text=_value(row, "methodology"),
    ), []


def parse_list(rows: Sequence[Mapping[str, Any]], *, first_line: int = 1
               ) -> tuple[list[RegisteredProject], list[dict[str, Any]]]:
    """Every row of a list: the good projects, and each bad row's problems with its line
    (``first_line`` is the line of the first row: 2 for a CSV with a header). A number that
    appears twice is reported on its second line."""
    projects: list[RegisteredProject] = []
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        line = first_line + offset
        if not isinstance(row, Mapping):
            problems.append({"line": line, "field": "row", "value": str(row)[:80],
                             "message": "a row must be an object of the list's columns"})
            continue
        project, row_problems = parse_row(row)
        if project is not None and project.no in seen:
            row_problems = [{"field": "no", "value": project.no, "message":
                             f"No. {project.no} is also on line {seen[project.no]}"}]
            project = None
        problems.extend({"line": line} | p for p in row_problems)
        if project is not None:
            seen[project.no] = line
            projects.append(project)
    return projects, problems
