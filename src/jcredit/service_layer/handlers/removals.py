"""Retirement (償却, legacy 国内クレジット) and cancellation (取消): credits leave circulation."""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import ConfirmationRequiredError
from jcredit.domain.errors import IneligibleUseError
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.credits import LEGACY_DOMESTIC_SCHEMES
from jcredit.domain.ledger.invalidations import parse_free_text
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_account_control
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import CancelCredits
from jcredit.service_layer.commands import RetireCredits
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.lookups import designate
from jcredit.service_layer.handlers.lookups import parse_designation
from jcredit.service_layer.handlers.moves import apply_moves
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import block_view
from jcredit.service_layer.views import render_serials

RETIRABLE_SCHEMES_TEXT = "国内クレジット (KC, KCP)"


def _confirm(confirm: bool, action: str) -> None:
    if not confirm:
        raise ConfirmationRequiredError(
            f"{action} is irreversible: the credits never move again; confirm to proceed",
            field="confirm",
        )


def retire_credits(cmd: RetireCredits, ctx: CommandContext) -> dict[str, Any]:
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_account_control(ctx.actor, source, action="retirement")
    reason = parse_free_text(cmd.reason, field="reason", max_length=500, required=True)
    quantity, serials, prefix = parse_designation(cmd.quantity, cmd.serials)
    _confirm(cmd.confirm, "retirement (償却)")
    available = ctx.uow.blocks.available(source.id, serials=serials)
    if serials is None:
        legacy = (b for b in available if b.attributes.scheme in LEGACY_DOMESTIC_SCHEMES)
        selections = designate(legacy, quantity, None, what=f"{RETIRABLE_SCHEMES_TEXT} credits")
    else:
        selections = designate(available, quantity, serials, prefix=prefix,
                               what="available credits")
        for s in selections:
            if s.block.attributes.scheme not in LEGACY_DOMESTIC_SCHEMES:
                raise IneligibleUseError(
                    f"serials {render_serials(s.block.attributes, s.part)}: only "
                    f"{RETIRABLE_SCHEMES_TEXT} credits are retired (償却); J-Credits are "
                    "invalidated (無効化)",
                    field="serials",
                )
    target = ctx.uow.accounts.registry_account(AccountKind.RETIREMENT)
    supersessions, postings = apply_moves(ctx, selections, to_account_id=target.id,
                                          to_reservation_id=None)
    payload = {"from_account": source.number, "quantity": quantity, "reason": reason,
               "blocks": [block_view(s.moved) for s in supersessions]}
    entry = ctx.record(cmd.NAME, payload, postings)
    return payload | {"journal_seq": entry.seq}


def cancel_credits(cmd: CancelCredits, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="cancellation (取消)")
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_account_control(ctx.actor, source, action="cancellation")
    reason = parse_free_text(cmd.reason, field="reason", max_length=500, required=True)
    quantity, serials, prefix = parse_designation(cmd.quantity, cmd.serials)
    _confirm(cmd.confirm, "cancellation (取消)")
    selections = designate(ctx.uow.blocks.available(source.id, serials=serials), quantity, serials,
                           prefix=prefix, what="available credits")
    target = ctx.uow.accounts.registry_account(AccountKind.CANCELLATION)
    supersessions, postings = apply_moves(ctx, selections, to_account_id=target.id,
                                          to_reservation_id=None)
    payload = {"from_account": source.number, "quantity": quantity, "reason": reason,
               "blocks": [block_view(s.moved) for s in supersessions]}
    entry = ctx.record(cmd.NAME, payload, postings)
    return payload | {"journal_seq": entry.seq}
