"""Invalidation (無効化): apply (reserves credits), execute (irreversible), withdraw."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import timedelta
from datetime import timezone
from typing import Any

from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import DomainError
from jcredit.domain.errors import FieldChecks
from jcredit.domain.errors import NotFoundError
from jcredit.domain.errors import PermissionDeniedError
from jcredit.domain.errors import ValidationError
from jcredit.domain.fiscal_year import fiscal_year_of
from jcredit.domain.identifiers import parse_corporate_number
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.blocks import Selection
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import InvalidationApplication
from jcredit.domain.ledger.invalidations import check_reporting_year
from jcredit.domain.ledger.invalidations import parse_free_text
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.ledger.uses import check_offset_purpose
from jcredit.domain.ledger.uses import check_use
from jcredit.domain.ledger.uses import ineligibility_reason
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_account_control
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import ApplyInvalidation
from jcredit.service_layer.commands import ExecuteInvalidations
from jcredit.service_layer.commands import WithdrawInvalidation
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.lookups import designate
from jcredit.service_layer.handlers.lookups import parse_designation
from jcredit.service_layer.handlers.moves import apply_moves
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import application_view
from jcredit.service_layer.views import block_view
from jcredit.service_layer.views import render_serials

JST = timezone(timedelta(hours=9), "JST")


def registry_date(ctx: CommandContext) -> date:
    """The calendar date in Japan: fiscal years and deadlines follow JST."""
    return ctx.now.astimezone(JST).date()


def parse_fiscal_year(value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(
            f"fiscal_year must be a fiscal year such as 2025, got {value!r}", field="fiscal_year"
        ) from None


def apply_invalidation(cmd: ApplyInvalidation, ctx: CommandContext) -> dict[str, Any]:
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_account_control(ctx.actor, source, action="invalidation")
    check = FieldChecks()  # every field of the application checked, refused at once
    use = check(lambda: parse_enum(InvalidationUse, cmd.use, field="use"))
    before = len(check.problems)
    purpose = check(lambda: parse_enum(OffsetPurpose, cmd.offset_purpose, field="offset_purpose")
                    if cmd.offset_purpose else None)
    if use is not None and len(check.problems) == before:
        check(lambda: check_offset_purpose(use, purpose))
    details = check(lambda: parse_free_text(cmd.purpose_details, field="purpose_details",
                                            max_length=500, required=True))
    user_name = check(lambda: parse_free_text(cmd.credit_user_name, field="credit_user_name",
                                              max_length=200, required=True))
    user_number = check(lambda: parse_corporate_number(
        cmd.credit_user_corporate_number, field="credit_user_corporate_number")
        if cmd.credit_user_corporate_number else None)
    fiscal_year = check(lambda: parse_fiscal_year(cmd.fiscal_year))
    if use is not None and fiscal_year is not None:
        check(lambda: check_reporting_year(use, fiscal_year, registry_date(ctx)))
    designation = check(lambda: parse_designation(cmd.quantity, cmd.serials))
    check.done()
    assert use is not None and details is not None and user_name is not None
    assert fiscal_year is not None and designation is not None
    quantity, serials, prefix = designation

    available = ctx.uow.blocks.available(source.id, serials=serials)
    if serials is None:
        eligible = (b for b in available if ineligibility_reason(use, b.attributes) is None)
        selections = designate(eligible, quantity, None, what=f"credits eligible for {use}")
    else:
        selections = designate(available, quantity, serials, prefix=prefix,
                               what="available credits")
        for s in selections:
            check_use(use, s.block.attributes,
                      subject=f"serials {render_serials(s.block.attributes, s.part)}")

    application_id = ctx.uow.invalidations.next_id()
    supersessions, postings = apply_moves(
        ctx, selections, to_account_id=source.id, to_reservation_id=application_id
    )
    application = InvalidationApplication(
        id=application_id,
        account_id=source.id,
        quantity=quantity,
        serials=serials,
        use=use,
        offset_purpose=purpose,
        purpose_details=details,
        credit_user_name=user_name,
        credit_user_corporate_number=user_number,
        reporting_fiscal_year=fiscal_year,
        status=ApplicationStatus.PENDING,
        applied_at=ctx.now_iso,
        applied_by=ctx.actor.key,
        published=cmd.publish is True,
    )
    ctx.uow.invalidations.add(application)
    view = application_view(application, source.number) | {
        "blocks": [block_view(s.moved) for s in supersessions]
    }
    entry = ctx.record(cmd.NAME, view, postings)
    return view | {"journal_seq": entry.seq}


def _load_pending(ctx: CommandContext, application_id: int, action: str
                  ) -> InvalidationApplication:
    application = ctx.uow.invalidations.get(application_id)
    if application is None:
        raise NotFoundError(f"no invalidation application {application_id}", field="application")
    application.require_pending(action)
    return application


def notice_number(application: InvalidationApplication, on: date) -> str:
    """無効化通知書 number: fiscal year of execution and application number."""
    return f"JCN-{fiscal_year_of(on)}-{application.id:06d}"


def _execute_one(application: InvalidationApplication, ctx: CommandContext,
                 target_account_id: int) -> dict[str, Any]:
    today = registry_date(ctx)
    check_reporting_year(application.use, application.reporting_fiscal_year, today)
    reserved = ctx.uow.blocks.reserved_for(application.id)
    selections = [Selection(b, b.serials) for b in reserved]
    supersessions, postings = apply_moves(
        ctx, selections, to_account_id=target_account_id, to_reservation_id=None
    )
    executed = replace(
        application,
        status=ApplicationStatus.EXECUTED,
        executed_at=ctx.now_iso,
        executed_by=ctx.actor.key,
        notice_number=notice_number(application, today),
        executed_seq=ctx.state.head_seq + 1,
    )
    ctx.uow.invalidations.update(executed)
    account = ctx.uow.accounts.get(application.account_id)
    assert account is not None
    view = application_view(executed, account.number) | {
        "blocks": [block_view(s.moved) for s in supersessions]
    }
    entry = ctx.record(ExecuteInvalidations.NAME, view, postings)
    return view | {"journal_seq": entry.seq}


def execute_invalidations(cmd: ExecuteInvalidations, ctx: CommandContext) -> dict[str, Any]:
    """Execute named applications (each must succeed), or the batch of all pending ones.

    In the batch, an application that can no longer be executed (its reporting year closed
    while it waited) is skipped with the reason, and the others go ahead.
    """
    require_role(ctx.actor, Role.ADMIN, action="executing invalidations")
    if not cmd.confirm:
        raise ConfirmationRequiredError(
            "invalidation is irreversible: after execution the use, purpose and credit user "
            "cannot be changed and the credits never move again; confirm to proceed",
            field="confirm",
        )
    target = ctx.uow.accounts.registry_account(AccountKind.INVALIDATION)
    executed: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    if cmd.application_ids:
        for application_id in cmd.application_ids:
            application = _load_pending(ctx, application_id, "executed")
            executed.append(_execute_one(application, ctx, target.id))
    else:
        for application in ctx.uow.invalidations.list(status=ApplicationStatus.PENDING):
            try:
                executed.append(_execute_one(application, ctx, target.id))
            except DomainError as error:
                skipped.append({"id": application.id, "reason": error.message})
    return {"executed": executed, "skipped": skipped}


def withdraw_invalidation(cmd: WithdrawInvalidation, ctx: CommandContext) -> dict[str, Any]:
    application = _load_pending(ctx, cmd.application_id, "withdrawn")
    account = ctx.uow.accounts.get(application.account_id)
    assert account is not None
    try:
        require_account_control(ctx.actor, account, action="withdrawing an invalidation")
    except PermissionDeniedError:
        raise PermissionDeniedError(
            f"application {application.id} belongs to another organisation"
        ) from None
    reserved = ctx.uow.blocks.reserved_for(application.id)
    selections = [Selection(b, b.serials) for b in reserved]
    _, postings = apply_moves(ctx, selections, to_account_id=account.id, to_reservation_id=None)
    withdrawn = replace(application, status=ApplicationStatus.WITHDRAWN)
    ctx.uow.invalidations.update(withdrawn)
    view = application_view(withdrawn, account.number)
    entry = ctx.record(cmd.NAME, view, postings)
    return view | {"journal_seq": entry.seq}
