"""An account's history and the auditor's journal (service_layer.history): pages with
filters, and the same rows as CSV (full precision, UTC ISO timestamps and a JST column) or
JSON Lines (the journal, every field)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from fastapi import Request
from fastapi.responses import Response

from jcredit.adapters.pdf.notices import render_removal_notice_pdf
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.journal import canonical_json
from jcredit.entrypoints.downloads import csv_response
from jcredit.entrypoints.downloads import jsonl_response
from jcredit.entrypoints.downloads import pdf_response
from jcredit.entrypoints.errors import classify
from jcredit.entrypoints.params import BeforeSeq
from jcredit.entrypoints.params import JournalSeq
from jcredit.entrypoints.web.i18n import format_time
from jcredit.entrypoints.web.views import _actor
from jcredit.entrypoints.web.views import _registry
from jcredit.entrypoints.web.views import render
from jcredit.entrypoints.web.views import state_of
from jcredit.service_layer import history
from jcredit.service_layer import queries
from jcredit.service_layer.actors import Role

router = APIRouter(include_in_schema=False)
JOURNAL_FILTERS = ("command", "actor", "since", "until", "account")
_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")
PAGE = 50
EXPORT_LIMIT = 100_000
HISTORY_COLUMNS = ("seq", "recorded_at_utc", "recorded_at_jst", "kind", "direction",
                   "quantity", "signed_quantity", "counterparty_account",
                   "counterparty_organisation", "project", "serials", "application_id",
                   "notice_number", "actor")


def _history(request: Request, number: str, since: str | None, until: str | None,
             kind: str | None, counterparty: str | None) -> dict[str, Any]:
    actor = _actor(request)
    wanted = history.parse_filter(since, until, kind, counterparty)
    with _registry(request).uow(write=False) as uow:
        return history.account_history(uow, actor, number, wanted)


@router.get("/accounts/{number}/history")
def account_history(request: Request, number: str, since: str | None = None,
                    until: str | None = None, kind: str | None = None,
                    counterparty: str | None = None) -> Response:
    form = {"since": since or "", "until": until or "", "kind": kind or "",
            "counterparty": counterparty or ""}
    status, state = 200, None
    try:
        data = _history(request, number, since, until, kind, counterparty)
    except ValidationError as error:  # a filter refused: at its field, the history unfiltered
        data = _history(request, number, None, None, None, None)
        status = classify(error)[0]
        state = state_of(request, "history", form, error, fields=list(form))
    query = str(request.url.query)
    return render(request, "history.html", status_code=status, form_state=state, history=data,
                  form=form,
                  csv_url=f"/accounts/{number}/history.csv" + (f"?{query}" if query else ""),
                  journal_links=_actor(request).role in (Role.ADMIN, Role.AUDITOR))


def history_csv_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"seq": r["seq"], "recorded_at_utc": r["recorded_at"],
             "recorded_at_jst": format_time(r["recorded_at"], "ja", seconds=True),
             "kind": r["kind"], "direction": r["direction"], "quantity": r["quantity"],
             "signed_quantity": r["signed_quantity"],
             "counterparty_account": r["counterparty"]["account"],
             "counterparty_organisation": r["counterparty"]["organisation"],
             "project": r["project"], "serials": ";".join(r["serials"]),
             "application_id": r["application_id"] or "",
             "notice_number": r["notice_number"] or "", "actor": r["actor"]}
            for r in data["movements"]]


@router.get("/accounts/{number}/history.csv")
def account_history_csv(request: Request, number: str, since: str | None = None,
                        until: str | None = None, kind: str | None = None,
                        counterparty: str | None = None) -> Response:
    data = _history(request, number, since, until, kind, counterparty)
    return csv_response(history_csv_rows(data), f"{data['account']}_history.csv",
                        HISTORY_COLUMNS)


def _journal_filter(request: Request) -> tuple[Any, dict[str, str]]:
    form = {k: request.query_params.get(k, "") for k in JOURNAL_FILTERS}
    return history.journal_filter(**form), form


@router.get("/journal")
def journal(request: Request, before: BeforeSeq = None) -> Response:
    actor = _actor(request)
    status, state = 200, None
    try:
        filters, form = _journal_filter(request)
    except ValidationError as error:  # a filter refused: at its field, the journal unfiltered
        form = {k: request.query_params.get(k, "") for k in JOURNAL_FILTERS}
        filters, status = history.journal_filter(), classify(error)[0]
        state = state_of(request, "journal", form, error, fields=list(JOURNAL_FILTERS))
    with _registry(request).uow(write=False) as uow:
        entries = history.journal_entries(uow, actor, limit=PAGE, before_seq=before,
                                          filters=filters)
        check = queries.check_ledger(uow)
    query = "&".join(f"{k}={v}" for k, v in form.items() if v)
    return render(request, "journal.html", status_code=status, form_state=state,
                  entries=entries, check=check, form=form,
                  query=query, commands=history.journal_command_names(), page_size=PAGE)


def _journal_export(request: Request) -> list[Any]:
    actor = _actor(request)
    filters, _ = _journal_filter(request)
    with _registry(request).uow(write=False) as uow:
        return history.journal_entries(uow, actor, limit=EXPORT_LIMIT, filters=filters)


@router.get("/journal.csv")
def journal_csv(request: Request) -> Response:
    """The (filtered) journal, oldest first; payload and postings as canonical JSON."""
    rows = [{"seq": e.seq, "recorded_at_utc": e.recorded_at,
             "recorded_at_jst": format_time(e.recorded_at, "ja", seconds=True),
             "actor": e.actor, "command": e.command, "request_id": e.request_id,
             "idempotency_key": e.idempotency_key or "",
             "payload": canonical_json(e.payload), "postings": canonical_json(list(e.postings)),
             "prev_hash": e.prev_hash, "hash": e.hash}
            for e in reversed(_journal_export(request))]
    return csv_response(rows, "journal.csv", ["seq", "recorded_at_utc", "recorded_at_jst",
                                              "actor", "command", "request_id",
                                              "idempotency_key", "payload", "postings",
                                              "prev_hash", "hash"])


@router.get("/journal.jsonl")
def journal_jsonl(request: Request) -> Response:
    """The (filtered) journal as JSON Lines, oldest first: every field, as stored."""
    return jsonl_response((history.entry_view(e) for e in reversed(_journal_export(request))),
                          "journal.jsonl")


@router.get("/journal/{seq}/notice.pdf")
def removal_notice_pdf(request: Request, seq: JournalSeq) -> Response:
    """The 償却通知書 or 取消通知書 of a retirement or cancellation (the account's holder)."""
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = queries.removal_notice(uow, actor, seq)
    return pdf_response(render_removal_notice_pdf(data), f"{data['notice_number']}.pdf")


@router.get("/journal/{seq}")
def journal_entry(request: Request, seq: JournalSeq) -> Response:
    actor = _actor(request)
    with _registry(request).uow(write=False) as uow:
        data = history.journal_entry(uow, actor, seq)
    entry = data["entry"]
    return render(request, "journal_entry.html", entry=entry, accounts=data["accounts"],
                  projects=data["projects"], payload=_flatten(entry.payload),
                  postings=list(entry.postings))


# Payload fields holding a code, and the label kind that names it for people.
CODED_FIELDS = {"category": "category", "scheme": "scheme", "credit_type": "credit_type",
                "use": "use", "offset_purpose": "offset_purpose", "role": "role",
                "status": "application_status", "kind": "account_kind",
                "project_type": "project_type", "action": "action", "check": "finding",
                "key_status": "key_status", "channels": "channel"}


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str, bool, str]]:
    """A payload as (path, value, is a UTC timestamp, label kind) rows:
    ``blocks[0].serials`` … A timestamp is shown in JST and a code by its name, the stored
    value kept in the element's ``datetime`` or ``title``."""
    if isinstance(value, dict):
        if not value:
            return [(prefix, "{}", False, "")] if prefix else []
        return [row for key in sorted(value) for row in
                _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(value, list):
        if not value:
            return [(prefix, "[]", False, "")]
        return [row for i, item in enumerate(value) for row in _flatten(item, f"{prefix}[{i}]")]
    text = "" if value is None else str(value)
    field = prefix.rsplit(".", 1)[-1].split("[")[0]
    return [(prefix, text, bool(_UTC.match(text)), CODED_FIELDS.get(field, ""))]
