"""Transfers between holding accounts, by total quantity or by serial range."""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.service_layer.authorization import require_account_control
from jcredit.service_layer.commands import TransferCredits
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.handlers.lookups import designate
from jcredit.service_layer.handlers.lookups import parse_designation
from jcredit.service_layer.handlers.moves import apply_moves
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import block_view


def transfer_credits(cmd: TransferCredits, ctx: CommandContext) -> dict[str, Any]:
    source = account_by_number(ctx.uow, cmd.from_account, field="from_account")
    require_account_control(ctx.actor, source, action="transfer")
    target = account_by_number(ctx.uow, cmd.to_account, field="to_account")
    if target.kind not in (AccountKind.HOLDING, AccountKind.SECRETARIAT):
        raise ValidationError(
            f"credits are transferred to holding accounts (or consigned to the secretariat), "
            f"not to the {target.kind} account {target.number}; use invalidate, retire or cancel",
            field="to_account",
        )
    if target.id == source.id:
        raise ValidationError("from_account and to_account are the same account",
                              field="to_account")
    quantity, serials, prefix = parse_designation(cmd.quantity, cmd.serials)
    candidates = ctx.uow.blocks.available(source.id, serials=serials)
    selections = designate(candidates, quantity, serials, prefix=prefix,
                           what="available credits")
    supersessions, postings = apply_moves(
        ctx, selections, to_account_id=target.id, to_reservation_id=None
    )
    payload = {
        "from_account": source.number,
        "to_account": target.number,
        "designation": "SERIALS" if serials else "QUANTITY",
        "quantity": quantity,
        "blocks": [block_view(s.moved) for s in supersessions],
    }
    entry = ctx.record(cmd.NAME, payload, postings)
    return payload | {"journal_seq": entry.seq}
