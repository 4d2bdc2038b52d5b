"""Read side: what the API, the web UI and the CLI show. Every query checks who asks."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import InvalidationApplication
from jcredit.domain.ledger.journal import JournalEntry
from jcredit.domain.ledger.projection import JournalProjection
from jcredit.domain.ledger.projection import compare_table
from jcredit.domain.ledger.replay import ReplayResult
from jcredit.domain.ledger.replay import replay
from jcredit.domain.text import MAX_DB_INT
from jcredit.domain.text import fits_db_int
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import can_view_account
from jcredit.service_layer.authorization import require_account_view
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.issuance_queries import breakdown_issues
from jcredit.service_layer.project_queries import project_issues
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.views import account_view
from jcredit.service_layer.views import application_view
from jcredit.service_layer.views import block_view
from jcredit.service_layer.views import organisation_view


def accounts_for(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """Accounts the actor may see, with their balances."""
    balances = uow.blocks.balances()
    orgs = {o.id: o.name for o in uow.organisations.list()}
    if actor.role not in (Role.ADMIN, Role.AUDITOR):
        accounts = uow.accounts.list(organisation_id=actor.organisation_id or -1)
    else:
        accounts = uow.accounts.list()
    return [
        account_view(a)
        | {"organisation": orgs.get(a.organisation_id or -1, "J-クレジット制度事務局"),
           "balance": balances.get(a.id, 0)}
        for a in accounts
        if can_view_account(actor, a)
    ]


def account_detail(uow: AbstractUnitOfWork, actor: Actor, number: str) -> dict[str, Any]:
    account = account_by_number(uow, number, field="account")
    require_account_view(actor, account)
    blocks = sorted(uow.blocks.live_in_account(account.id),
                    key=lambda b: (b.attributes.vintage, b.serials.start))
    org = uow.organisations.get(account.organisation_id) if account.organisation_id else None
    reserved = sum(b.quantity for b in blocks if b.reservation_id is not None)
    total = sum(b.quantity for b in blocks)
    return account_view(account) | {
        "organisation": org.name if org else "J-クレジット制度事務局",
        "corporate_number": org.corporate_number if org else None,
        "balance": total,
        "available": total - reserved,
        "reserved": reserved,
        "blocks": [block_view(b) for b in blocks],
    } | uow.projections.removed_from(account.id, account.number)


def recipient(uow: AbstractUnitOfWork, number: str) -> dict[str, Any]:
    """Who holds an account, as a sender sees it before confirming a transfer: the
    organisation's name and 法人番号 and the account's name, never its balance."""
    account = account_by_number(uow, number, field="to_account")
    org = uow.organisations.get(account.organisation_id) if account.organisation_id else None
    return {"number": account.number, "kind": account.kind.value, "name": account.name,
            "organisation": org.name if org else "J-クレジット制度事務局",
            "corporate_number": org.corporate_number if org else None}


def account_notifications(uow: AbstractUnitOfWork, actor: Actor, number: str
                          ) -> list[dict[str, Any]]:
    """The notices about this account (registry corrections by the secretariat), newest
    first, each with what moved, why and when, from its journal entry."""
    account = account_by_number(uow, number, field="account")
    require_account_view(actor, account)
    if account.organisation_id is None:
        return []
    found = []
    for note in uow.notifications.for_organisation(account.organisation_id):
        entry = uow.journal.get(int(note["journal_seq"]))
        if note["account_number"] != account.number or entry is None:
            continue
        payload = entry.payload
        found.append(note | {key: payload.get(key) for key in (
            "from_account", "to_account", "quantity", "reason_code", "reason", "blocks")}
            | {"recorded_at": entry.recorded_at,
               "direction": "out" if payload.get("from_account") == account.number else "in"})
    return found


def organisations(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    orgs = uow.organisations.list()
    if actor.role not in (Role.ADMIN, Role.AUDITOR):
        orgs = [o for o in orgs if o.id == actor.organisation_id]
    return [organisation_view(o) for o in orgs]


def _application_for(uow: AbstractUnitOfWork, actor: Actor, application_id: int
                     ) -> tuple[InvalidationApplication, str]:
    application = uow.invalidations.get(application_id) if fits_db_int(application_id) else None
    if application is None:
        raise NotFoundError(f"no invalidation application {application_id}", field="application")
    account = uow.accounts.get(application.account_id)
    assert account is not None
    if not can_view_account(actor, account):
        raise PermissionDeniedError(f"application {application_id} belongs to another organisation")
    return application, account.number


def applications(uow: AbstractUnitOfWork, actor: Actor, *, status: ApplicationStatus | None
                 ) -> list[dict[str, Any]]:
    account_ids = None
    if actor.role not in (Role.ADMIN, Role.AUDITOR):
        account_ids = [a.id for a in uow.accounts.list(organisation_id=actor.organisation_id or -1)]
    numbers = {a.id: a.number for a in uow.accounts.list()}
    return [
        application_view(app, numbers[app.account_id])
        for app in uow.invalidations.list(status=status, account_ids=account_ids)
    ]


def application_detail(uow: AbstractUnitOfWork, actor: Actor, application_id: int
                       ) -> dict[str, Any]:
    application, number = _application_for(uow, actor, application_id)
    view = application_view(application, number)
    if application.status is ApplicationStatus.PENDING:
        view["blocks"] = [block_view(b) for b in uow.blocks.reserved_for(application.id)]
    elif application.executed_seq is not None:
        entry = uow.journal.get(application.executed_seq)
        assert entry is not None
        view["blocks"] = list(entry.payload["blocks"])
    else:
        view["blocks"] = []
    return view


def notice(uow: AbstractUnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    """Everything the 無効化通知書 shows, taken from the execution's journal entry."""
    application, number = _application_for(uow, actor, application_id)
    if application.status is not ApplicationStatus.EXECUTED or application.executed_seq is None:
        raise NotFoundError(
            f"application {application_id} is {application.status}; a notice exists only once "
            "it is executed",
            field="application",
        )
    entry = uow.journal.get(application.executed_seq)
    assert entry is not None
    account = uow.accounts.by_number(number)
    assert account is not None
    org = uow.organisations.get(account.organisation_id) if account.organisation_id else None
    return {
        "notice_number": application.notice_number,
        "application": dict(entry.payload),
        "account_name": account.name,
        "holder": org.name if org else "",
        "holder_corporate_number": org.corporate_number if org else "",
        "journal_seq": entry.seq,
        "journal_hash": entry.hash,
        "executed_at": application.executed_at,
        "executed_date": _jst_date(application.executed_at),
    }


REMOVALS = {"credits.retire": ("償却", "RETIREMENT"), "credits.cancel": ("取消", "CANCELLATION")}


def removal_notice(uow: AbstractUnitOfWork, actor: Actor, seq: int) -> dict[str, Any]:
    """The 償却通知書 or 取消通知書, taken from the retirement's or cancellation's journal entry."""
    entry = uow.journal.get(seq) if fits_db_int(seq) else None
    if entry is None or entry.command not in REMOVALS:
        raise NotFoundError(f"journal entry {seq} is not a retirement (償却) or cancellation "
                            "(取消)", field="seq")
    account = uow.accounts.by_number(str(entry.payload["from_account"]))
    assert account is not None
    require_account_view(actor, account)
    org = uow.organisations.get(account.organisation_id) if account.organisation_id else None
    label, kind = REMOVALS[entry.command]
    return {
        "notice_number": f"J{kind[0]}N-{seq:08d}",
        "kind": kind,
        "label": label,
        "removal": dict(entry.payload),
        "account_name": account.name,
        "holder": org.name if org else "",
        "journal_seq": entry.seq,
        "journal_hash": entry.hash,
        "removed_at": entry.recorded_at,
        "removed_date": _jst_date(entry.recorded_at),
    }


def _jst_date(timestamp: str | None) -> str:
    """Calendar date in Japan of a UTC ISO timestamp (notices are dated in JST)."""
    if not timestamp:
        return ""
    moment = datetime.fromisoformat(timestamp)
    return moment.astimezone(timezone(timedelta(hours=9))).date().isoformat()


def journal_page(uow: AbstractUnitOfWork, actor: Actor, *, limit: int = 100,
                 before_seq: int | None = None) -> list[JournalEntry]:
    require_role(actor, Role.ADMIN, Role.AUDITOR, action="reading the journal")
    if before_seq is not None and before_seq > MAX_DB_INT:
        before_seq = None  # before a seq beyond any: from the newest, as without it
    return uow.journal.page(limit=limit, before_seq=before_seq)


def check_ledger(uow: AbstractUnitOfWork) -> ReplayResult:
    """Replay the whole journal (see ``domain.ledger.replay``), rebuild from it every table
    it determines and compare them with the stored ones field by field
    (``domain.ledger.projection``), then check that projects and the registry agree
    (``project_queries.project_issues``).

    The journal is streamed once: each entry feeds the projection as the replay reads it."""
    projection = JournalProjection()

    def entries() -> Iterator[JournalEntry]:
        for entry in uow.journal.iterate():
            projection.add(entry)
            yield entry

    # account kinds as the journal gives them; the table's only for accounts opened
    # before the journal named account ids
    kinds = ChainMap(projection.account_kinds, uow.projections.account_kinds())
    result = replay(entries(), kinds)
    result.issues.extend(projection.issues)
    for table, expected in projection.tables.items():
        result.issues.extend(compare_table(table, expected, uow.projections.rows(table)))
    result.issues.extend(breakdown_issues(uow))
    result.issues.extend(project_issues(uow))
    return result


def ledger_rows(uow: AbstractUnitOfWork) -> list[dict[str, Any]]:
    """Every live block with its account: the registry's holdings, for export."""
    accounts = {a.id: a for a in uow.accounts.list()}
    orgs = {o.id: o for o in uow.organisations.list()}
    rows = []
    for account in accounts.values():
        for block in uow.blocks.live_in_account(account.id):
            org = orgs.get(account.organisation_id) if account.organisation_id else None
            state = {
                AccountKind.INVALIDATION: "INVALIDATED",
                AccountKind.RETIREMENT: "RETIRED",
                AccountKind.CANCELLATION: "CANCELLED",
            }.get(account.kind, "RESERVED" if block.reservation_id else "HELD")
            rows.append(
                {"account": account.number, "account_kind": account.kind.value,
                 "holder": org.name if org else "", "state": state} | block_view(block)
            )
    rows.sort(key=lambda r: r["first_serial"])
    return rows
