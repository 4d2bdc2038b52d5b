"""The form-error pattern of every page: what was typed, each error next to its field.

A view that catches a :class:`DomainError` builds a :class:`FormState` with
:func:`form_state` and renders the page again (status 422/409/…): the template's
``_form.html`` macros show the typed values, the message under the field the error names
(``aria-invalid``, ``aria-describedby``), and a summary at the top of the form that lists
every error (linking to its field) and carries errors that name no field of the form.

The command's field names (``quantity``, ``to_account``, ``inputs.capacity_kw``,
``additionality.subsidy_yen``) are mapped to the form's: the same name, the last part of a
dotted name, or what ``rename`` says. The message is in the reader's language: a known
(code, field, wording) gets a translated explanation from ``messages.po`` and keeps the
domain's precise detail after it; anything else gets the error class's summary.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field

from markupsafe import Markup

from jcredit.domain.errors import DomainError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.entrypoints.errors import describe_problem
from jcredit.entrypoints.web.i18n import N_
from jcredit.entrypoints.web.i18n import error_summary
from jcredit.entrypoints.web.i18n import labeller
from jcredit.entrypoints.web.i18n import translator

# (error code or None for any, field or None for any, regex on the message or None, key):
# the first that matches explains the error. Most specific first.
EXPLANATIONS: tuple[tuple[str | None, str | None, str | None, str], ...] = (
    ("invalid_input", "quantity", r"either quantity", N_("fe_quantity_or_serials")),
    ("invalid_input", "quantity", r"whole number|at least|fraction", N_("fe_quantity_whole")),
    ("insufficient_credits", None, None, N_("fe_not_enough_credits")),
    ("serials_unavailable", None, None, N_("fe_serials_unavailable")),
    ("invalid_input", "serials", None, N_("fe_serials_format")),
    ("not_found", "to_account", None, N_("fe_unknown_account")),
    ("invalid_input", "to_account", r"same account", N_("fe_same_account")),
    ("invalid_input", "to_account", r"check digit|not an account number",
     N_("fe_account_number")),
    ("invalid_input", "to_account", r"holding accounts", N_("fe_not_holding_account")),
    ("ineligible_use", None, None, N_("fe_ineligible_use")),
    ("invalid_input", "offset_purpose", r"needs", N_("fe_offset_purpose")),
    ("invalid_input", "fiscal_year", r"not open", N_("fe_fiscal_year_closed")),
    ("invalid_input", "fiscal_year", r"such as", N_("fe_fiscal_year_format")),
    ("invalid_input", "period_end", r"before", N_("fe_period_order")),
    ("invalid_input", "until", r"before since", N_("fe_period_order")),
    (None, None, r"ends \(.*\) before it starts", N_("fe_period_order")),
    ("invalid_input", "crediting_years", r"must be 1 to", N_("fe_crediting_years")),
    ("invalid_input", "reason_code", None, N_("fe_reason_code")),
    ("invalid_input", "prefecture", r"the address is in", N_("fe_prefecture_mismatch")),
    ("invalid_input", "prefecture", None, N_("fe_prefecture")),
    ("invalid_input", "confirm_account", r"check digit|not an account number",
     N_("fe_account_number")),
    ("confirmation_required", "confirm_account", None, N_("fe_confirm_account")),
    ("confirmation_required", "acknowledge_missing", None, N_("fe_acknowledge_missing")),
    ("invalid_input", "comment", r"activities have no data", N_("missing_reason_required")),
    ("invalid_input", "file", r"no file chosen|is empty", N_("fe_choose_file")),
    (None, None, r"no file chosen", N_("fe_choose_file")),
    ("invalid_input", "comment", r"rejection needs a comment", N_("fe_reject_reason")),
    ("conflict", "activities", r"has devices", N_("fe_data_from_meters")),
    ("invalid_input", "decision", None, N_("fe_hold_decision")),
    ("invalid_input", "comment", r"needs a comment", N_("fe_comment_for_return")),
    ("forbidden", "from_account", None, N_("fe_not_your_account")),
    # the dMRV device registry (docs/dmrv.md §1)
    ("invalid_input", "device_id", r"must be 1–64", N_("fe_device_id")),
    ("conflict", "device_id", None, N_("fe_device_id_taken")),
    ("conflict", "public_key", None, N_("fe_key_taken")),
    ("invalid_input", "public_key", r"not a usable", N_("fe_public_key_unusable")),
    ("invalid_input", "public_key", r"32 bytes|PEM|usable", N_("fe_public_key")),
    ("not_found", "activity", None, N_("fe_unknown_activity")),
    ("invalid_input", "capacity_ac_kw", r"more than 0|below|decimals", N_("fe_capacity")),
    ("invalid_input", "capacity_dc_kw", r"more than 0|below|decimals", N_("fe_capacity")),
    ("invalid_input", "latitude", r"must be 20|decimals", N_("fe_latitude")),
    ("invalid_input", "longitude", r"must be 122|decimals", N_("fe_longitude")),
    ("invalid_input", "tilt", r"must be 0|decimals", N_("fe_tilt")),
    ("invalid_input", "azimuth", r"must be 0|decimals", N_("fe_azimuth")),
    ("invalid_input", "channels", None, N_("fe_channels")),
    ("conflict", "project", r"no longer report", N_("fe_project_closed")),
    ("conflict", "key_id", r"already revoked", N_("fe_key_already_revoked")),
    # a site's period (docs/dmrv.md §8)
    ("invalid_input", "to", r"is before from", N_("fe_period_order")),
    ("invalid_input", "to", r"at most \d+ days", N_("fe_period_too_long")),
    ("invalid_input", None, r"must be a date from", N_("fe_date_range")),
    (None, None, r"is required|must be 1-\d+ characters|is empty", N_("fe_required")),
    (None, None, r"must be at least 0\b", N_("fe_negative")),
    (None, None, r"does not exist in the calendar", N_("fe_date_nonexistent")),
    (None, None, r"must be a date", N_("fe_date")),
    (None, None, r"must be a (decimal )?number", N_("fe_number")),
    # the offset calculators, offsets and certificates (docs/offsets.md)
    ("invalid_input", None, r"must be a whole number of .*0 or more", N_("fe_whole_count")),
    ("invalid_input", None, r"must be more than 0", N_("fe_more_than_zero")),
    ("invalid_input", None, r"must be at least 0", N_("fe_not_negative")),
    ("invalid_input", None, r"must be at most [\d,]+ with at most", N_("fe_too_large")),
    ("invalid_input", None, r"more than any factor can be", N_("fe_too_large")),
    ("invalid_input", None, r"unknown value .*; valid", N_("fe_unknown_choice")),
    ("invalid_input", None, r"is not a prefecture", N_("fe_prefecture")),
    ("invalid_input", None, r"or the prefecture people come from .* not both",
     N_("fe_km_or_prefecture")),
    ("invalid_input", None, r"event's own prefecture", N_("fe_same_prefecture_km")),
    ("invalid_input", None, r"must be true or false", N_("fe_true_false")),
    ("invalid_input", "subject", r"is required", N_("fe_offset_subject")),
    ("invalid_input", None, r"needs its source", N_("fe_factor_source")),
    # the case search and its submissions, the lineage and the public lists (docs/public.md)
    ("invalid_input", "note", r"say what to change", N_("fe_case_review_note")),
    ("invalid_input", "uses", r"names at least one use", N_("fe_case_uses")),
    ("invalid_input", "offset_purpose", r"is for an offset", N_("fe_case_offset_purpose")),
    ("invalid_input", "quantity", r"not a number of t-CO2|must be above 0",
     N_("fe_case_quantity")),
    ("invalid_input", None, r"is not a year from", N_("fe_year")),
    ("invalid_input", "end_year", r"before start_year", N_("fe_period_order")),
    ("invalid_input", "organisation", r"in your organisation's name", N_("fe_case_own_name")),
    ("invalid_input", "corporate_number", r"your organisation's is",
     N_("fe_case_own_number")),
    ("invalid_input", "invalidations", r"without consent", N_("fe_case_no_consent")),
    ("invalid_input", "invalidations", r"not your organisation's", N_("fe_case_not_yours")),
    ("not_found", "invalidations", None, N_("fe_case_no_invalidation")),
    ("invalid_input", "invalidations", None, N_("fe_case_invalidation_numbers")),
    ("not_found", "projects", None, N_("fe_case_no_project")),
    ("invalid_input", "projects", None, N_("fe_case_project_numbers")),
    ("invalid_input", None, r"at most \d+ words", N_("fe_too_many_words")),
    ("invalid_input", None, r"characters; at most", N_("fe_too_long")),
    ("invalid_input", None, r"is not one of the choices", N_("fe_choose_from")),
    ("not_found", "serial", r"not of this issuance", N_("fe_serial_other_issuance")),
    ("not_found", "serial", r"ends before it starts", N_("fe_serial_reversed")),
    ("not_found", "serial", None, N_("fe_serial_outside")),
    ("invalid_input", "serial", None, N_("fe_serial_form")),
    ("invalid_input", "note", None, N_("fe_factor_note")),
    ("invalid_input", "inputs", r"nothing to", N_("fe_nothing_to_save")),
    ("conflict", "quantity", r"cannot be certified", N_("fe_certificate_quantity")),
    ("conflict", "calculation", r"already offset", N_("fe_calculation_offset")),
    ("confirmation_required", None, r"more than tenfold", N_("fe_large_factor_change")),
    ("confirmation_required", "quantity", r"more than calculated", N_("fe_offset_excess")),
    (None, None, r"13 digits", N_("fe_corporate_number")),
    ("invalid_input", "corporate_number", r"check digit", N_("fe_corporate_number_check")),
    ("invalid_input", None, r"problem\(s\) in the CSV|line\(s\) have", N_("fe_csv_problems")),
    ("confirmation_required", None, None, N_("fe_confirm")),
)

# The account page's notices, chosen by direction (queries.account_notifications).
NOTICE_KINDS = (N_("notice_correction_in"), N_("notice_correction_out"))


# The label kind of the values a field takes, to name what is valid in the reader's words.
VALID_KINDS = {"use": "use", "offset_purpose": "offset_purpose",
               "reason_code": "correction_reason", "category": "category",
               "project_type": "project_type", "methodology": "methodology",
               "channels": "channel", "uses": "use", "kind": "case_kind",
               "method": "case_method", "decision": "case_decision"}


def _explained(error: DomainError, lang: str) -> tuple[str, str]:
    """(a translated explanation with what is valid, the domain's precise detail)."""
    t = translator(lang)
    valid = f" (valid: {', '.join(error.valid)})" if error.valid else ""
    detail = f"{error.message}{valid}"
    for code, name, pattern, key in EXPLANATIONS:
        if ((code is None or code == error.code) and (name is None or name == error.field)
                and (pattern is None or re.search(pattern, error.message))):
            text = t(key)
            if error.valid and "{valid}" in text:
                kind = VALID_KINDS.get(str(error.field))
                name_of = labeller(lang)
                names = [name_of(kind, v) if kind else v for v in error.valid]
                text = text.replace("{valid}", t("list_separator").join(names))
            return text, detail
    return error_summary(error.code, lang), detail


def explain(error: DomainError, lang: str) -> str:
    """The error for a person, as text: a translated explanation, then the precise detail."""
    text, detail = _explained(error, lang)
    return f"{text} ({detail})"


def explain_markup(error: DomainError, lang: str) -> Markup:
    """The same for a page: the detail set apart (smaller, marked as the system's English)."""
    text, detail = _explained(error, lang)
    return Markup('{} <span class="detail" lang="en">({})</span>').format(text, detail)


@dataclass
class FormState:
    """One form's state on a page rendered again: ``form`` names the form (a page may hold
    several), ``values`` what was typed, ``errors`` the message per form field,
    ``summary`` every message for the summary box, and ``problems`` the lines of a refused
    file or list."""

    form: str
    values: Mapping[str, str] = dc_field(default_factory=dict)
    errors: dict[str, str] = dc_field(default_factory=dict)
    summary: list[tuple[str | None, str]] = dc_field(default_factory=list)
    problems: list[str] = dc_field(default_factory=list)


def form_field(error_field: str | None, fields: Iterable[str],
               rename: Mapping[str, str] | None = None) -> str | None:
    """The form field a command field names, or None when the form has no such field."""
    if not error_field:
        return None
    names = set(fields)
    for candidate in ((rename or {}).get(error_field), error_field,
                      error_field.rsplit(".", 1)[-1]):
        if candidate in names:
            return candidate
    return None


def form_state(form: str, values: Mapping[str, object], error: DomainError | None = None,
               *, lang: str, fields: Iterable[str] = (),
               rename: Mapping[str, str] | None = None) -> FormState:
    typed = {k: str(v) for k, v in values.items() if k not in ("csrf", "idem")
             and isinstance(v, str | int)}
    state = FormState(form=form, values=typed)
    if error is None:
        return state
    items = error.errors or ()
    # several fields refused at once (FieldChecks): each under its own field
    each = [_field_error(item) for item in items if item.get("field") and not item.get("line")]
    for problem in each or [error]:
        message = explain_markup(problem, lang)
        target = form_field(problem.field, fields, rename)
        if target is not None:
            state.errors.setdefault(target, message)
        state.summary.append((target, message))
    t = translator(lang)
    state.problems = [problem_text(item, t, lang) if item.get("line")
                      else describe_problem(item)
                      for item in items if item.get("line") or not item.get("field")]
    return state


def _field_error(item: Mapping[str, object]) -> DomainError:
    """One of several refused fields, as the error it was (for its explanation)."""
    kind = NotFoundError if item.get("code") == "not_found" else ValidationError
    valid = item.get("valid")
    return kind(str(item.get("message", "")), field=str(item.get("field")),
                valid=[str(v) for v in valid] if isinstance(valid, list) else None)


# The kinds of problem ``tables_in`` names, each a sentence in messages.po.
CSV_PROBLEMS = (
    N_("csv_problem_thousands_separator_split"), N_("csv_problem_too_many_cells"),
    N_("csv_problem_too_few_cells"), N_("csv_problem_full_width"),
    N_("csv_problem_thousands_separator"), N_("csv_problem_separator_in_number"),
    N_("csv_problem_blank"), N_("csv_problem_negative"), N_("csv_problem_duplicate_code"),
    N_("csv_problem_code_required"), N_("csv_problem_unknown_code"), N_("csv_problem_other"),
)


def explained_only(error: DomainError, lang: str) -> str | None:
    """The translated explanation of an error when the catalog has one for it (not the
    generic summary of its code)."""
    text, _ = _explained(error, lang)
    return None if text == error_summary(error.code, lang) else text


def problem_text(item: dict[str, object], t: Callable[[str], str],
                 lang: str | None = None) -> str:
    """e.g. 3行目 3列目 = 'TJ-001,1,400': 1,400 を … (``csv_problem_<kind>`` in messages.po).
    A problem of no known kind is explained in the reader's language when its field and
    message have an explanation, the system's detail beside it."""
    values = defaultdict(str, {k: str(v) for k, v in item.items()})
    if lang is not None and not item.get("problem") and item.get("field"):
        explained = explained_only(_field_error(item), lang)
        if explained is not None:
            values["message"] = f"{explained} ({item.get('message', '')})"
    column = str(item.get("column", ""))
    values["where"] = t("csv_where").format_map(defaultdict(str, {
        "line": str(item.get("line", "")),
        "column": t("csv_column_number").format(column.removeprefix("column "))
        if column.startswith("column ") else column}))
    kind = item.get("problem") or "other"
    return t(f"csv_problem_{kind}").format_map(values)
