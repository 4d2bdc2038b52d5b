"""Transfers between holding accounts, by total quantity or by serial range, and the
secretariat's registry corrections (登録簿の訂正), which move a holder's credits for a
stated reason and notify the holders."""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import ValidationError
from jcredit.domain.identifiers import parse_account_number
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.corrections import CorrectionReason
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.invalidations import parse_free_text
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_account_control
from jcredit.service_layer.authorization import require_own_account
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import CorrectHolding
from jcredit.service_layer.commands import TransferCredits
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.lookups import designate
from jcredit.service_layer.handlers.lookups import parse_designation
from jcredit.service_layer.handlers.moves import apply_moves
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import block_view


def _target(ctx: CommandContext, source: Account, number: str, *,
            kinds: tuple[AccountKind, ...]) -> Account:
    target = account_by_number(ctx.uow, number, field="to_account")
    if target.kind not in kinds:
        raise ValidationError(
            f"credits are transferred to holding accounts (or consigned to the secretariat), "
            f"not to the {target.kind} account {target.number}; use invalidate, retire or cancel",
            field="to_account",
        )
    if target.id == source.id:
        raise ValidationError("from_account and to_account are the same account",
                              field="to_account")
    return target


def _move(ctx: CommandContext, source: Account, target: Account, quantity_in: object,
          serials_in: str | None) -> dict[str, Any]:
    """Designate and move the credits; the payload's common part."""
    quantity, serials, prefix = parse_designation(quantity_in, serials_in)
    candidates = ctx.uow.blocks.available(source.id, serials=serials)
    selections = designate(candidates, quantity, serials, prefix=prefix,
                           what="available credits")
    supersessions, postings = apply_moves(
        ctx, selections, to_account_id=target.id, to_reservation_id=None
    )
    return {
        "from_account": source.number,
        "to_account": target.number,
        "designation": "SERIALS" if serials else "QUANTITY",
        "quantity": quantity,
        "blocks": [block_view(s.moved) for s in supersessions],
        "_postings": postings,
    }


def transfer_credits(cmd: TransferCredits, ctx: CommandContext) -> dict[str, Any]:
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_own_account(ctx.actor, source, action="transfer")
    target = _target(ctx, source, cmd.to_account,
                     kinds=(AccountKind.HOLDING, AccountKind.SECRETARIAT))
    payload = _move(ctx, source, target, cmd.quantity, cmd.serials)
    postings = payload.pop("_postings")
    entry = ctx.record(cmd.NAME, payload, postings)
    return payload | {"journal_seq": entry.seq}


def correct_holding(cmd: CorrectHolding, ctx: CommandContext) -> dict[str, Any]:
    """登録簿の訂正: the secretariat moves a holder's credits for a stated reason, after
    typing the source account number again. The entry records the reason; each holding
    organisation concerned gets a notification."""
    require_role(ctx.actor, Role.ADMIN, action="a registry correction (登録簿の訂正)")
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_account_control(ctx.actor, source, action="registry correction")
    target = _target(ctx, source, cmd.to_account, kinds=(AccountKind.HOLDING,))
    reason_code = parse_enum(CorrectionReason, cmd.reason_code, field="reason_code")
    reason = parse_free_text(cmd.reason, field="reason", max_length=1000, required=True)
    typed = str(cmd.confirm_account or "").strip()
    if not typed or parse_account_number(typed, field="confirm_account") != source.number:
        raise ConfirmationRequiredError(
            f"a registry correction moves another organisation's credits: type the source "
            f"account number {source.number} again to confirm",
            field="confirm_account",
        )
    payload = _move(ctx, source, target, cmd.quantity, cmd.serials)
    postings = payload.pop("_postings")
    payload |= {"reason_code": reason_code.value, "reason": reason}
    entry = ctx.record(cmd.NAME, payload, postings)
    for account in (source, target):
        if account.organisation_id is not None:
            ctx.uow.notifications.add(
                organisation_id=account.organisation_id, account_number=account.number,
                kind=cmd.NAME, journal_seq=entry.seq, created_at=ctx.now_iso)
    return payload | {"journal_seq": entry.seq}
