"""Carrying out a move: supersede the designated blocks and persist the children."""

from __future__ import annotations

from typing import Any

from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.blocks import Selection
from jcredit.domain.ledger.blocks import Supersession
from jcredit.domain.ledger.blocks import plan_moves
from jcredit.service_layer.messagebus import CommandContext


def apply_moves(
    ctx: CommandContext,
    selections: list[Selection],
    *,
    to_account_id: int,
    to_reservation_id: int | None,
) -> tuple[list[Supersession], list[dict[str, Any]]]:
    """Plan the supersessions, write them, and return them with their journal postings.

    The journal entry must be recorded by the caller with the returned postings; its
    sequence number is the one the blocks are stamped with here.
    """
    supersessions = plan_moves(
        selections,
        to_account_id=to_account_id,
        to_reservation_id=to_reservation_id,
        next_id=ctx.next_block_id,
    )
    seq = ctx.state.head_seq + 1
    ctx.uow.blocks.close([s.parent.id for s in supersessions], closed_seq=seq)
    children: list[Block] = [c for s in supersessions for c in s.children]
    ctx.uow.blocks.add(children, created_seq=seq)
    return supersessions, [s.as_posting() for s in supersessions]
