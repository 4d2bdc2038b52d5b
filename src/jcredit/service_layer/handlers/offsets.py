"""Using credits (docs/offsets.md): factor tables, saved calculations, offsets in one
step through the registry's invalidation path, and offset certificates.

An offset is an ordinary OFFSET invalidation application (``invalidation.apply`` in the
journal, executed by the secretariat as any other, with its 無効化通知書) plus what it
offsets (``offsets.apply``). Certificates are issued against the executed application and
together never claim more tonnes than it invalidated.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import parse_free_text
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.numbers import ZERO
from jcredit.domain.offsets.calculators import CalculatorKind
from jcredit.domain.offsets.calculators import calculate
from jcredit.domain.offsets.certificates import certificate_quantity
from jcredit.domain.offsets.factors import FactorTable
from jcredit.domain.offsets.factors import default_factor_table
from jcredit.domain.offsets.factors import revise
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_account_control
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import ApplyInvalidation
from jcredit.service_layer.commands import ApplyOffset
from jcredit.service_layer.commands import IssueOffsetCertificate
from jcredit.service_layer.commands import PublishOffsetFactors
from jcredit.service_layer.commands import SaveOffsetCalculation
from jcredit.service_layer.handlers.invalidations import apply_invalidation
from jcredit.service_layer.handlers.invalidations import parse_fiscal_year
from jcredit.service_layer.handlers.invalidations import registry_date
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.lookups import parse_designation
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.unit_of_work import AbstractUnitOfWork

PURPOSE_OF_KIND = {
    CalculatorKind.MEETING: OffsetPurpose.EVENT,
    CalculatorKind.ORGANIZATION: OffsetPurpose.ORGANIZATION,
    CalculatorKind.PRODUCT: OffsetPurpose.PRODUCT_SERVICE,
    CalculatorKind.DONATION: OffsetPurpose.DONATION,
}
"""The offset type a calculator's result is offset under (a credit-attached product:
CREDIT_ATTACHED)."""

METHOD_NAMES = {
    CalculatorKind.MEETING: ("jcredit 会議・イベント算定(環境省 会議・イベントにおけるカーボン・"
                             "オフセットの取組のための手引き Ver.1.0 の方法)",
                             "jcredit meeting and event calculator (MOE guide Ver.1.0 method)"),
    CalculatorKind.ORGANIZATION: ("jcredit 組織活動算定(Scope 1・2)",
                                  "jcredit organisation calculator (Scope 1 and 2)"),
    CalculatorKind.PRODUCT: ("jcredit 製品・サービス算定(1単位あたり排出量 × 数量)",
                             "jcredit product calculator (per unit × units)"),
    CalculatorKind.DONATION: ("jcredit 寄付型算定(寄付額 ÷ クレジット価格、切り捨て)",
                              "jcredit donation calculator (yen ÷ price, rounded down)"),
}
"""The method a certificate names for an offset of a saved calculation (Japanese, English)."""


def factor_table(uow: AbstractUnitOfWork, version: object = None) -> FactorTable:
    """The factor table ``version`` (the latest when None); v1 is the shipped table."""
    if version in (None, ""):
        return uow.offsets.factor_table() or default_factor_table()
    try:
        number = int(str(version))
    except ValueError:
        raise ValidationError(f"factor_version must be a version number such as 1, got "
                              f"{version!r}", field="factor_version") from None
    if number == 1:
        return default_factor_table()
    table = uow.offsets.factor_table(number) if 1 < number < 2**31 else None
    if table is None:
        latest = factor_table(uow).version
        raise NotFoundError(f"factor_version: no factor table v{number}; versions 1 to "
                            f"{latest} are published", field="factor_version",
                            valid=[str(v) for v in range(1, latest + 1)])
    return table


def publish_factors(cmd: PublishOffsetFactors, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="publishing an offset factor table")
    base = factor_table(ctx.uow)
    table = revise(base, list(cmd.changes), note=str(cmd.note or ""),
                   confirm_large=bool(cmd.confirm_large))
    changed = sorted(k for k, f in table.factors.items() if base.factors[k] != f)
    view = {"version": table.version, "note": table.note, "changed": changed,
            "factors": table.rows()}
    entry = ctx.record(cmd.NAME, view)
    ctx.uow.offsets.add_factor_table(table, published_at=ctx.now_iso,
                                     published_by=ctx.actor.key, journal_seq=entry.seq)
    return {"version": table.version, "note": table.note, "changed": changed,
            "journal_seq": entry.seq}


def save_calculation(cmd: SaveOffsetCalculation, ctx: CommandContext) -> dict[str, Any]:
    if not isinstance(cmd.inputs, dict):
        raise ValidationError("inputs must be an object of the calculator's fields",
                              field="inputs")
    table = factor_table(ctx.uow, cmd.factor_version)
    result = calculate(cmd.kind, cmd.inputs, table)
    if not result.lines:
        raise ValidationError("inputs: nothing to save: enter at least one activity",
                              field="inputs")
    title = parse_free_text(cmd.title, field="title", max_length=200, required=False)
    calculation_id = ctx.uow.offsets.next_calculation_id()
    token = secrets.token_urlsafe(18)
    view = {"id": calculation_id, "token": token, "kind": result.kind.value, "title": title,
            "factor_version": table.version, "inputs": cmd.inputs,
            "total_t_co2": str(result.total_t), "credits": result.credits,
            "organisation_id": ctx.actor.organisation_id}
    entry = ctx.record(cmd.NAME, view)
    ctx.uow.offsets.add_calculation({
        "id": calculation_id, "token": token, "kind": result.kind.value, "title": title,
        "inputs": cmd.inputs, "factor_version": table.version, "result": result.as_dict(),
        "organisation_id": ctx.actor.organisation_id, "created_at": ctx.now_iso,
        "created_by": ctx.actor.key, "journal_seq": entry.seq})
    return view | {"journal_seq": entry.seq}


def _calculation_for(ctx: CommandContext, token: str) -> dict[str, Any]:
    calc = ctx.uow.offsets.calculation(token=token.strip())
    if calc is None:
        raise NotFoundError("calculation: no saved calculation with this link",
                            field="calculation")
    if ctx.actor.role is not Role.ADMIN and calc["organisation_id"] != ctx.actor.organisation_id:
        raise PermissionDeniedError("calculation: it was saved by another organisation; "
                                    "only its own organisation can offset it")
    live = [o for o in ctx.uow.offsets.offsets_of_calculation(calc["id"])
            if o["status"] != ApplicationStatus.WITHDRAWN.value]
    if live:
        raise ConflictError(
            f"calculation: it is already offset by invalidation application "
            f"{live[0]['application_id']} ({live[0]['quantity']} t); the same emissions "
            "cannot be offset twice (withdraw that application first)", field="calculation")
    return calc


def apply_offset(cmd: ApplyOffset, ctx: CommandContext) -> dict[str, Any]:
    """File the OFFSET invalidation and record what it offsets, in one transaction."""
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_account_control(ctx.actor, source, action="offset")
    calc = _calculation_for(ctx, cmd.calculation) if cmd.calculation else None
    check = FieldChecks()
    subject = check(lambda: parse_free_text(cmd.subject, field="subject", max_length=200,
                                            required=True))
    scope = check(lambda: parse_free_text(cmd.scope, field="scope", max_length=500,
                                          required=False))
    method = check(lambda: parse_free_text(cmd.method, field="method", max_length=500,
                                           required=False))
    period = check(lambda: parse_free_text(cmd.period, field="period", max_length=100,
                                           required=False))
    purpose = None
    if cmd.offset_purpose:
        purpose = check(lambda: parse_enum(OffsetPurpose, cmd.offset_purpose,
                                           field="offset_purpose"))
    elif calc is not None:
        kind = CalculatorKind(calc["kind"])
        purpose = (OffsetPurpose.CREDIT_ATTACHED
                   if calc["result"].get("extra", {}).get("mode") == "CREDIT_ATTACHED"
                   else PURPOSE_OF_KIND[kind])
    else:
        check(lambda: _required_purpose())
    calculated = int(calc["result"]["credits"]) if calc is not None else None
    quantity = cmd.quantity
    if quantity in (None, "") and not cmd.serials and calculated is not None:
        quantity = calculated
    # the invalidation's own fields, checked here too so that every problem shows at once
    check(lambda: parse_designation(quantity, cmd.serials))
    check(lambda: parse_fiscal_year(cmd.fiscal_year))
    check(lambda: parse_free_text(cmd.credit_user_name, field="credit_user_name",
                                  max_length=200, required=True))
    check.done()
    assert subject is not None and purpose is not None
    if calc is not None and not method:
        ja, en = METHOD_NAMES[CalculatorKind(calc["kind"])]
        method = (f"{ja}(係数表 v{calc['factor_version']}) / {en} (factor table "
                  f"v{calc['factor_version']})")

    details = subject + (f" ({period})" if period else "")
    applied = apply_invalidation(ApplyInvalidation(
        from_account=cmd.from_account, use=InvalidationUse.OFFSET.value,
        purpose_details=details, credit_user_name=cmd.credit_user_name,
        fiscal_year=cmd.fiscal_year, quantity=quantity, serials=cmd.serials,
        offset_purpose=purpose.value,
        credit_user_corporate_number=cmd.credit_user_corporate_number,
        publish=cmd.publish), ctx)
    if calculated is not None and applied["quantity"] > calculated and not cmd.confirm_excess:
        raise ConfirmationRequiredError(
            f"quantity: the offset claims {applied['quantity']} t but the calculation found "
            f"{calculated} t to offset; confirm (confirm_excess) to offset more than "
            "calculated", field="quantity")
    view = {"application_id": applied["id"], "calculation_id": calc["id"] if calc else None,
            "calculation": calc["token"] if calc else None, "subject": subject,
            "scope": scope or "", "method": method or "", "period": period or "",
            "offset_purpose": purpose.value, "quantity": applied["quantity"],
            "calculated_credits": calculated}
    entry = ctx.record(cmd.NAME, view)
    ctx.uow.offsets.add_offset({
        "application_id": applied["id"], "calculation_id": view["calculation_id"],
        "subject": subject, "scope": view["scope"], "method": view["method"],
        "period": view["period"], "calculated_credits": calculated,
        "created_at": ctx.now_iso, "journal_seq": entry.seq})
    warnings = []
    if calculated is not None and applied["quantity"] > calculated:
        warnings.append(f"the offset ({applied['quantity']} t) is more than calculated "
                        f"({calculated} t)")
    return view | {"application": applied, "warnings": warnings, "journal_seq": entry.seq}


def _required_purpose() -> None:
    raise ValidationError("offset_purpose is required without a saved calculation",
                          field="offset_purpose",
                          valid=[p.value for p in OffsetPurpose if p is not OffsetPurpose.SELF])


def certified_total(uow: AbstractUnitOfWork, application_id: int) -> Decimal:
    """t-CO2 already claimed by the application's certificates."""
    return sum((Decimal(c["quantity"]) for c in uow.offsets.certificates(application_id)), ZERO)


def issue_certificate(cmd: IssueOffsetCertificate, ctx: CommandContext) -> dict[str, Any]:
    application = ctx.uow.invalidations.get(int(cmd.application_id))
    if application is None:
        raise NotFoundError(f"no invalidation application {cmd.application_id}",
                            field="application_id")
    account = ctx.uow.accounts.get(application.account_id)
    assert account is not None
    require_account_control(ctx.actor, account, action="issuing an offset certificate")
    if application.use is not InvalidationUse.OFFSET:
        raise ValidationError(f"application {application.id} is for {application.use}, not "
                              "an offset: only an OFFSET invalidation has offset "
                              "certificates", field="application_id")
    if application.status is not ApplicationStatus.EXECUTED:
        raise InvalidStateError(f"application {application.id} is {application.status}: a "
                                "certificate is issued once the secretariat has executed "
                                "the invalidation", field="application_id",
                                valid=[ApplicationStatus.EXECUTED.value])
    done = certified_total(ctx.uow, application.id)
    quantity = certificate_quantity(cmd.quantity, invalidated=application.quantity,
                                    certified=done)
    remaining = Decimal(application.quantity) - done
    holder = parse_free_text(cmd.holder_name or ("" if cmd.third_party
                                                 else application.credit_user_name),
                             field="holder_name", max_length=200, required=True)
    certificate_id = ctx.uow.offsets.next_certificate_id()
    number = f"JCO-{fiscal_year_of(registry_date(ctx))}-{certificate_id:06d}"
    token = secrets.token_urlsafe(18)
    view = {"id": certificate_id, "number": number, "token": token,
            "application_id": application.id, "notice_number": application.notice_number,
            "holder_name": holder, "quantity": str(quantity),
            "third_party": bool(cmd.third_party), "remaining": str(remaining - quantity)}
    entry = ctx.record(cmd.NAME, view)
    ctx.uow.offsets.add_certificate({
        "id": certificate_id, "number": number, "token": token,
        "application_id": application.id, "holder_name": holder, "quantity": str(quantity),
        "third_party": bool(cmd.third_party), "issued_at": ctx.now_iso,
        "issued_by": ctx.actor.key, "journal_seq": entry.seq})
    return view | {"journal_seq": entry.seq}
