"""Reads of the offsets feature: calculators (public), saved calculations, the credits an
organisation can offset with, its offsets and certificates, the public verification of a
certificate, and the 温対法 reporting table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import assignable_years
from jcredit.domain.ledger.uses import REPORTING_LAW_USES
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import ineligibility_reason
from jcredit.domain.offsets.calculators import calculate as run_calculator
from jcredit.domain.offsets.factors import FactorTable
from jcredit.service_layer.actors import Actor
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import can_view_account
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.offsets import certified_total
from jcredit.service_layer.handlers.offsets import factor_table
from jcredit.service_layer.queries import _jst_date
from jcredit.service_layer.queries import application_detail
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork
from jcredit.service_layer.views import block_view


def factors_used(table: FactorTable, keys: list[str]) -> list[dict[str, str]]:
    """The rows of the factors a result used, with their source and confidence flag."""
    return [table.factors[k].as_dict() for k in keys if k in table.factors]


def calculate(uow: AbstractUnitOfWork, kind: object, inputs: Mapping[str, Any],
              version: object = None) -> dict[str, Any]:
    """Run a calculator (no login, nothing stored): the result and the factors it used."""
    table = factor_table(uow, version)
    result = run_calculator(kind, inputs, table)
    return result.as_dict() | {"factors": factors_used(table, list(result.factor_keys))}


def factor_tables(uow: AbstractUnitOfWork, version: object = None) -> dict[str, Any]:
    table = factor_table(uow, version)
    versions = [{"version": 1, "note": "as shipped", "published_at": None}] + [
        {k: v for k, v in row.items() if k != "journal_seq"}
        for row in uow.offsets.factor_versions()]
    return {"version": table.version, "note": table.note, "factors": table.rows(),
            "versions": versions}


def calculation(uow: AbstractUnitOfWork, token: str) -> dict[str, Any]:
    """A saved calculation, by its link (anyone holding the link may read it)."""
    calc = uow.offsets.calculation(token=token) if 8 <= len(token) <= 40 else None
    if calc is None:
        raise NotFoundError("no saved calculation with this link", field="token")
    table = factor_table(uow, calc["factor_version"])
    latest = factor_table(uow)
    rerun = None
    if latest.version != table.version:
        newer = run_calculator(calc["kind"], calc["inputs"], latest)
        rerun = newer.as_dict() | {"factors": factors_used(latest, list(newer.factor_keys))}
    offsets = uow.offsets.offsets_of_calculation(calc["id"])
    return {k: v for k, v in calc.items() if k not in ("created_by",)} | {
        "factors": factors_used(table, list(calc["result"]["factor_keys"])),
        "latest_version": latest.version, "rerun": rerun, "offsets": offsets,
        "created_date": _jst_date(calc["created_at"])}


def calculations(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The organisation's saved calculations (the user's own without an organisation)."""
    rows = uow.offsets.calculations(organisation_id=actor.organisation_id,
                                    created_by=None if actor.organisation_id else actor.key)
    return [{k: r[k] for k in ("id", "token", "kind", "title", "factor_version",
                               "created_at")}
            | {"total_t_co2": r["result"]["total_t_co2"], "credits": r["result"]["credits"],
               "created_date": _jst_date(r["created_at"])} for r in rows]


def _locations(uow: AbstractUnitOfWork, project_ids: set[str]) -> dict[str, dict[str, str]]:
    found = {}
    for number in project_ids:
        project = uow.projects.by_number(number)
        if project is not None:
            found[number] = {"project_name": project.name, "prefecture": project.prefecture}
    return found


def offset_holdings(uow: AbstractUnitOfWork, actor: Actor, account_number: str, *,
                    category: str | None = None, vintage: object = None,
                    project: str | None = None, prefecture: str | None = None
                    ) -> dict[str, Any]:
    """The account's available credits that can serve an offset, with their project's
    name and prefecture (for 地産地消), filtered; credits that cannot serve an offset
    are listed apart with the reason."""
    account = account_by_number(uow, account_number, field="account")
    if not can_view_account(actor, account):
        raise PermissionDeniedError(f"account {account.number} does not belong to your "
                                    "organisation")
    wanted_category = parse_enum(Category, category, field="category") if category else None
    wanted_vintage = _year(vintage, field="vintage")
    blocks = list(uow.blocks.available(account.id))
    places = _locations(uow, {b.attributes.project_id for b in blocks})
    usable: list[dict[str, Any]] = []
    unusable: list[dict[str, Any]] = []
    for block in blocks:
        a = block.attributes
        where = places.get(a.project_id, {"project_name": "", "prefecture": ""})
        if wanted_category is not None and a.category is not wanted_category:
            continue
        if wanted_vintage is not None and a.vintage != wanted_vintage:
            continue
        if project and a.project_id != project.strip():
            continue
        if prefecture and where["prefecture"] != prefecture.strip():
            continue
        view = block_view(block) | where
        reason = ineligibility_reason(InvalidationUse.OFFSET, a)
        (unusable if reason else usable).append(view | ({"reason": reason} if reason else {}))
    return {"account": account.number, "blocks": usable, "unusable": unusable,
            "available": sum(b["quantity"] for b in usable)}


def _year(value: object, *, field: str) -> int | None:
    """A fiscal year typed as text (None when empty)."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise ValidationError(f"{field} must be a fiscal year such as 2025, got {value!r}",
                              field=field) from None


def _offset_view(uow: AbstractUnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    detail = application_detail(uow, actor, application_id)
    offset = uow.offsets.offset(application_id) or {}
    certificates = uow.offsets.certificates(application_id)
    certified = certified_total(uow, application_id)
    calc = (uow.offsets.calculation(calculation_id=offset["calculation_id"])
            if offset.get("calculation_id") else None)
    return {"application": detail, "offset": offset, "certificates": certificates,
            "certified": str(certified),
            "uncertified": str(Decimal(detail["quantity"]) - certified),
            "calculation": ({"token": calc["token"], "title": calc["title"],
                             "kind": calc["kind"], "credits": calc["result"]["credits"],
                             "total_t_co2": calc["result"]["total_t_co2"]} if calc else None)}


def offset_detail(uow: AbstractUnitOfWork, actor: Actor, application_id: int
                  ) -> dict[str, Any]:
    """An offset: its application (blocks, status, notice), what it offsets, certificates."""
    view = _offset_view(uow, actor, application_id)
    if view["application"]["use"] != InvalidationUse.OFFSET.value:
        raise NotFoundError(f"application {application_id} is not an offset",
                            field="application")
    return view


def offsets(uow: AbstractUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The organisation's offsets (every offset for the secretariat and auditors)."""
    accounts = (uow.accounts.list() if actor.role in (Role.ADMIN, Role.AUDITOR)
                else uow.accounts.list(organisation_id=actor.organisation_id or -1))
    rows = uow.offsets.offsets_of_accounts([a.id for a in accounts]) if accounts else []
    return [r | {"certified": str(certified_total(uow, r["application_id"])),
                 "created_date": _jst_date(r["created_at"])} for r in rows]


def certificate(uow: AbstractUnitOfWork, token: str) -> dict[str, Any]:
    """What an offset certificate says and what backs it: public, no login.

    Genuine means: the registry issued it (it is found by its unguessable token), its
    application was executed (the credits are in the invalidation account for good), and
    the certificates on that application together claim no more than it invalidated.
    Other certificates on the same offset are counted, never named (a donor's name is
    personal data).
    """
    cert = uow.offsets.certificate(token) if 8 <= len(token) <= 40 else None
    if cert is None:
        raise NotFoundError("no offset certificate with this verification code; it was not "
                            "issued by this registry", field="token")
    application = uow.invalidations.get(cert["application_id"])
    assert application is not None and application.executed_seq is not None
    entry = uow.journal.get(application.executed_seq)
    assert entry is not None
    blocks = list(entry.payload["blocks"])
    places = _locations(uow, {b["project_id"] for b in blocks})
    blocks = [b | places.get(b["project_id"], {"project_name": "", "prefecture": ""})
              for b in blocks]
    account = uow.accounts.get(application.account_id)
    assert account is not None
    org = uow.organisations.get(account.organisation_id) if account.organisation_id else None
    siblings = uow.offsets.certificates(application.id)
    certified = sum((Decimal(c["quantity"]) for c in siblings), Decimal(0))
    offset = uow.offsets.offset(application.id) or {}
    return {
        "number": cert["number"], "token": cert["token"], "holder_name": cert["holder_name"],
        "quantity": cert["quantity"], "third_party": cert["third_party"],
        "issued_at": cert["issued_at"], "issued_date": _jst_date(cert["issued_at"]),
        "offsetting_party": application.credit_user_name,
        "offsetting_party_corporate_number": application.credit_user_corporate_number,
        "holder_organisation": org.name if org else "",
        "subject": offset.get("subject") or application.purpose_details,
        "scope": offset.get("scope", ""), "method": offset.get("method", ""),
        "period": offset.get("period", ""),
        "offset_purpose": application.offset_purpose.value if application.offset_purpose
        else None,
        "application_id": application.id, "invalidated": application.quantity,
        "notice_number": application.notice_number,
        "executed_date": _jst_date(application.executed_at),
        "reporting_fiscal_year": application.reporting_fiscal_year,
        "blocks": blocks, "journal_seq": entry.seq, "journal_hash": entry.hash,
        "certificates_on_offset": len(siblings), "certified_on_offset": str(certified),
        "genuine": (application.status is ApplicationStatus.EXECUTED
                    and certified <= Decimal(application.quantity)),
    }


REPORT_USES = (InvalidationUse.ONTAIHO_EMISSIONS, InvalidationUse.ONTAIHO_EF,
               InvalidationUse.SHOENE_HO, InvalidationUse.CDP, InvalidationUse.RE100,
               InvalidationUse.SBT, InvalidationUse.OFFSET)


def reporting_table(uow: AbstractUnitOfWork, actor: Actor, *, fiscal_year: object = None
                    ) -> dict[str, Any]:
    """The executed invalidations that count for each reporting fiscal year, per credit
    user (クレジット利用法人) and use, with their notice numbers (温対法 and other reports).

    An invalidation counts for the fiscal year it was assigned to when applied. Under a
    reporting law (温対法, 省エネ法) that year is the fiscal year of its execution or, for one
    executed by 30 June, the previous one (jcredit-rules.md §3.2); for the other uses the
    previous, current or next fiscal year, as the scheme reported to asks (the execution
    refuses any other: :func:`assignable_years`). Each row says which years it could have
    been assigned to.
    """
    wanted = _year(fiscal_year, field="fiscal_year")
    account_ids = None
    if actor.role not in (Role.ADMIN, Role.AUDITOR):
        account_ids = [a.id for a in uow.accounts.list(organisation_id=actor.organisation_id
                                                        or -1)]
    rows: list[dict[str, Any]] = []
    for app in uow.invalidations.list(status=ApplicationStatus.EXECUTED,
                                      account_ids=account_ids):
        if app.use not in REPORT_USES:
            continue
        if wanted is not None and app.reporting_fiscal_year != wanted:
            continue
        executed = _jst_date(app.executed_at)
        executed_on = date.fromisoformat(executed)
        executed_year = fiscal_year_of(executed_on)
        rows.append({
            "reporting_fiscal_year": app.reporting_fiscal_year,
            "credit_user_name": app.credit_user_name,
            "credit_user_corporate_number": app.credit_user_corporate_number or "",
            "use": app.use.value,
            "offset_purpose": app.offset_purpose.value if app.offset_purpose else "",
            "quantity": app.quantity, "notice_number": app.notice_number or "",
            "executed_date": executed,
            "executed_fiscal_year": executed_year,
            "assignable_years": sorted(assignable_years(app.use, executed_on)),
            "carried_back": app.reporting_fiscal_year < executed_year,
            "reporting_law": app.use in REPORTING_LAW_USES,
            "application_id": app.id, "purpose_details": app.purpose_details,
        })
    rows.sort(key=lambda r: (r["reporting_fiscal_year"], r["credit_user_name"], r["use"],
                             r["executed_date"]))
    totals: dict[tuple[int, str, str], int] = {}
    for r in rows:
        key = (r["reporting_fiscal_year"], r["credit_user_name"], r["use"])
        totals[key] = totals.get(key, 0) + r["quantity"]
    summary = [{"reporting_fiscal_year": fy, "credit_user_name": user, "use": use,
                "quantity": q} for (fy, user, use), q in totals.items()]
    return {"fiscal_year": wanted, "rows": rows, "totals": summary}
