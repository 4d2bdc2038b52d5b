"""Issuance: a new contiguous serial block into a holding account (administrator only)."""

from __future__ import annotations

from typing import Any

from jcredit.domain.errors import ConflictError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.accounts import Account
from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.credits import parse_enum
from jcredit.domain.ledger.credits import parse_text_id
from jcredit.domain.numbers import whole_units
from jcredit.service_layer.actors import Role
from jcredit.service_layer.authorization import require_role
from jcredit.service_layer.commands import IssueCredits
from jcredit.service_layer.handlers.lookups import account_by_number
from jcredit.service_layer.messagebus import CommandContext
from jcredit.service_layer.views import block_view


def parse_vintage(value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError(
            f"vintage must be a fiscal year such as 2025, got {value!r}", field="vintage"
        ) from None


def issue_credits(cmd: IssueCredits, ctx: CommandContext) -> dict[str, Any]:
    require_role(ctx.actor, Role.ADMIN, action="issuing credits")
    account = account_by_number(ctx.uow, cmd.to_account, field="to_account")
    if account.kind is not AccountKind.HOLDING:
        raise ValidationError(
            f"credits are issued into a holding account, not the {account.kind} account "
            f"{account.number}",
            field="to_account",
        )
    quantity = whole_units(cmd.quantity, field="quantity")
    attributes = CreditAttributes(
        scheme=parse_enum(SchemeCode, cmd.scheme, field="scheme"),
        credit_type=parse_enum(CreditType, cmd.credit_type, field="credit_type"),
        category=parse_enum(Category, cmd.category, field="category"),
        project_id=parse_text_id(cmd.project_id, field="project_id"),
        methodology_id=parse_text_id(cmd.methodology_id, field="methodology_id"),
        methodology_version=parse_text_id(cmd.methodology_version, field="methodology_version"),
        certification_number=parse_text_id(
            cmd.certification_number or f"C{ctx.state.head_seq + 1:06d}",
            field="certification_number",
        ),
        vintage=parse_vintage(cmd.vintage),
    )
    require_new_certification(ctx, attributes.certification_number)
    block, posting = issue_block(ctx, account, attributes, quantity)
    view = block_view(block) | {"to_account": account.number}
    entry = ctx.record(cmd.NAME, view, [posting])
    return view | {"journal_seq": entry.seq}


def require_new_certification(ctx: CommandContext, certification_number: str) -> None:
    """A 認証番号 names one certification decision, whose credits are issued once: by one
    ``credits issue`` or one period's issuance (a block per vintage, in that command).
    The database holds it unique per vintage (migration 0008); the registry's write lock
    serialises issuances, so this check sees every earlier one."""
    issued = ctx.uow.blocks.issued_certification(certification_number)
    if issued is not None:
        raise ConflictError(
            f"certification_number {certification_number} (認証番号) was already issued "
            f"(issuance {issued}); a certification's credits are issued once",
            field="certification_number",
        )


def issue_block(ctx: CommandContext, account: Account, attributes: CreditAttributes,
                quantity: int) -> tuple[Block, dict[str, Any]]:
    """Allocate the next serials and write a new issuance block; returns its posting.

    The journal entry that carries the posting is recorded by the caller, in the same
    command, so its sequence number is the one the block is stamped with here.
    """
    serials = ctx.allocate_serials(quantity)
    block_id = ctx.next_block_id()
    block = Block(id=block_id, root_id=block_id, account_id=account.id, serials=serials,
                  attributes=attributes)
    seq = ctx.state.head_seq + 1
    ctx.uow.blocks.add_issuance(root_id=block.id, attributes=attributes, issued_seq=seq,
                                start=serials.start, end=serials.end)
    ctx.uow.blocks.add([block], created_seq=seq)
    posting = {"op": "issue", "block": block.id, "account": account.id,
               "start": serials.start, "end": serials.end}
    return block, posting
