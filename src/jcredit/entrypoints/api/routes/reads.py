"""Read routes: accounts, applications, notices, the journal and the ledger check."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter
from fastapi import Query
from fastapi import Response

from jcredit.adapters.pdf.notices import render_notice_pdf
from jcredit.adapters.pdf.notices import render_removal_notice_pdf
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import parse_account_number
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.entrypoints.api.deps import ActorDep
from jcredit.entrypoints.api.deps import AuditDep
from jcredit.entrypoints.api.deps import RegistryDep
from jcredit.entrypoints.downloads import pdf_response
from jcredit.entrypoints.params import AccountNumber
from jcredit.entrypoints.params import ApplicationId
from jcredit.entrypoints.params import BeforeSeq
from jcredit.entrypoints.params import JournalSeq
from jcredit.service_layer import history
from jcredit.service_layer import issuance_queries
from jcredit.service_layer import queries

router = APIRouter()


@router.get("/me", tags=["auth"])
def me(actor: ActorDep) -> dict[str, Any]:
    return {"username": actor.name, "role": actor.role.value,
            "organisation_id": actor.organisation_id}


@router.get("/organisations", tags=["organisations"])
def organisations(registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    with registry.uow(write=False) as uow:
        data = queries.organisations(uow, actor)
    return {"data": data, "count": len(data)}


@router.get("/accounts", tags=["accounts"])
def accounts(registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """Accounts you may see (your organisation's; all for the administrator and auditors)."""
    with registry.uow(write=False) as uow:
        data = queries.accounts_for(uow, actor)
    return {"data": data, "count": len(data)}


@router.get("/accounts/{number}", tags=["accounts"])
def account(number: AccountNumber, registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """An account's balance and its blocks (serial ranges) by vintage."""
    try:
        number = parse_account_number(number, field="number")
    except ValidationError as error:  # the form is the schema's; a wrong check digit:
        raise NotFoundError(f"no account {number}: {error.message}", field="number") from None
    with registry.uow(write=False) as uow:
        return queries.account_detail(uow, actor, number)


@router.get("/accounts/{number}/notifications", tags=["accounts"])
def account_notifications(number: AccountNumber, registry: RegistryDep, actor: ActorDep
                          ) -> dict[str, Any]:
    """Notices about the account: registry corrections (登録簿の訂正) by the secretariat,
    each with what moved, the reason and its journal entry."""
    with registry.uow(write=False) as uow:
        return {"data": queries.account_notifications(uow, actor, number)}
@router.get("/accounts/{number}/history", tags=["accounts"])
def account_history(number: AccountNumber, registry: RegistryDep, actor: ActorDep,
                    since: str | None = Query(None, description="JST date, YYYY-MM-DD"),
                    until: str | None = Query(None, description="JST date, inclusive"),
                    kind: str | None = Query(None, description="movement kinds, comma "
                                             "separated: " + ", ".join(history.KINDS)),
                    counterparty: str | None = Query(None, description="account number or "
                                                     "part of an organisation name")
                    ) -> dict[str, Any]:
    """Every movement in and out of the account, from the journal, oldest first: quantity,
    counterparty, serials, journal seq and notice (holder's organisation, administrator,
    auditors). Times are UTC ISO."""
    wanted = history.parse_filter(since, until, kind, counterparty)
    with registry.uow(write=False) as uow:
        data = history.account_history(uow, actor, number, wanted)
    return data | {"count": len(data["movements"])}


@router.get("/issuances", tags=["ledger"])
def issuances(registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """Issuances you may see (all for the administrator and auditors; those your
    organisation holds credits of otherwise), each with its breakdown: held, reserved,
    invalidated, retired and cancelled t-CO2, which add up to the issued quantity."""
    with registry.uow(write=False) as uow:
        data = issuance_queries.issuances_for(uow, actor)
    return {"data": data, "count": len(data)}


@router.get("/issuances/{issuance_id}", tags=["ledger"])
def issuance(issuance_id: int, registry: RegistryDep, actor: ActorDep) -> dict[str, Any]:
    """One issuance and its breakdown."""
    with registry.uow(write=False) as uow:
        (data,) = issuance_queries.issuance_detail(uow, actor, issuance_id)
    return data


@router.get("/invalidations", tags=["invalidations"])
def invalidations(registry: RegistryDep, actor: ActorDep, status: str | None = Query(
        None, pattern="^(" + "|".join(ApplicationStatus) + ")$",
        description="only applications in this status")) -> dict[str, Any]:
    wanted = parse_enum(ApplicationStatus, status, field="status") if status else None
    with registry.uow(write=False) as uow:
        data = queries.applications(uow, actor, status=wanted)
    return {"data": data, "count": len(data)}


@router.get("/invalidations/{application_id}", tags=["invalidations"])
def invalidation(application_id: ApplicationId, registry: RegistryDep, actor: ActorDep
                 ) -> dict[str, Any]:
    with registry.uow(write=False) as uow:
        return queries.application_detail(uow, actor, application_id)


@router.get("/invalidations/{application_id}/notice.pdf", tags=["invalidations"],
            response_class=Response)
def notice_pdf(application_id: ApplicationId, registry: RegistryDep, actor: ActorDep) -> Response:
    """The 無効化通知書 as PDF (Japanese)."""
    with registry.uow(write=False) as uow:
        data = queries.notice(uow, actor, application_id)
    return pdf_response(render_notice_pdf(data), f"{data['notice_number']}_無効化通知書.pdf",
                        inline=False)


@router.get("/journal/{seq}/notice.pdf", tags=["ledger"], response_class=Response)
def removal_notice_pdf(seq: JournalSeq, registry: RegistryDep, actor: ActorDep) -> Response:
    """The 償却通知書 or 取消通知書 of a retirement or cancellation (journal entry ``seq``)."""
    with registry.uow(write=False) as uow:
        data = queries.removal_notice(uow, actor, seq)
    return Response(render_removal_notice_pdf(data), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{data["notice_number"]}.pdf"'})


@router.get("/journal", tags=["ledger"])
def journal(registry: RegistryDep, actor: AuditDep, limit: int = Query(100, ge=1, le=1000),
            before_seq: BeforeSeq = None, command: str | None = None,
            actor_name: str | None = Query(None, alias="actor"), since: str | None = None,
            until: str | None = None, account: str | None = None) -> dict[str, Any]:
    """Journal entries, newest first (administrator and auditors); filters: a command (or
    its first part, e.g. ``credits``), the actor, JST dates ``since``/``until`` (inclusive)
    and an account number the entry names."""
    filters = history.journal_filter(command, actor_name, since, until, account)
    with registry.uow(write=False) as uow:
        entries = history.journal_entries(uow, actor, limit=limit, before_seq=before_seq,
                                          filters=filters)
    data = [history.entry_view(e) for e in entries]
    return {"data": data, "count": len(data)}


@router.get("/journal/{seq}", tags=["ledger"])
def journal_entry(seq: JournalSeq, registry: RegistryDep, actor: AuditDep) -> dict[str, Any]:
    """One journal entry with the accounts and projects it names."""
    with registry.uow(write=False) as uow:
        data = history.journal_entry(uow, actor, seq)
    return history.entry_view(data["entry"]) | {"accounts": data["accounts"],
                                                 "projects": data["projects"]}


@router.get("/ledger/check", tags=["ledger"])
def ledger_check(registry: RegistryDep, actor: AuditDep) -> dict[str, Any]:
    """Replay the journal and check every invariant (see ``jcredit ledger check``)."""
    with registry.uow(write=False) as uow:
        result = queries.check_ledger(uow)
    return {"ok": result.ok, "entries": result.entries, "totals": vars(result.totals),
            "problems": [{"code": i.code, "subject": i.subject, "message": i.message}
                         for i in result.issues]}


@router.get("/ledger/export.csv", tags=["ledger"], response_class=Response)
def ledger_export(registry: RegistryDep, actor: AuditDep) -> Response:
    with registry.uow(write=False) as uow:
        rows = queries.ledger_rows(uow)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
