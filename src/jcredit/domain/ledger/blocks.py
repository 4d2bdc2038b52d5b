"""Credit blocks and how a move splits them.

A block is a contiguous serial range held in one account. Blocks are immutable: moving
part of a block *supersedes* it with child blocks that exactly cover its range (the part
that moves, and what stays behind), so every credit's lineage leads back to its issuance
and history is never rewritten (registries.md §2.1 ideas 2-3).

Blocks reserved for a pending invalidation application carry its id and are not available
for anything else until the application is executed or withdrawn.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from jcredit.domain.errors import InsufficientCreditsError
from jcredit.domain.errors import SerialRangeUnavailableError
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.serials import SerialPrefix
from jcredit.domain.ledger.serials import SerialRange


@dataclass(frozen=True, slots=True)
class Block:
    """A live block of credits.

    Attributes:
        id: block id (registry-wide sequence).
        root_id: id of the block created at issuance; its lineage.
        account_id: account holding the block.
        serials: the block's serial range [unit].
        attributes: attributes of the issuance.
        reservation_id: pending invalidation application holding it, if any.
    """

    id: int
    root_id: int
    account_id: int
    serials: SerialRange
    attributes: CreditAttributes
    reservation_id: int | None = None

    @property
    def quantity(self) -> int:
        return self.serials.quantity


@dataclass(frozen=True, slots=True)
class Selection:
    """The part of a block designated for a move."""

    block: Block
    part: SerialRange


@dataclass(frozen=True, slots=True)
class Supersession:
    """A block replaced by children that exactly cover its serial range."""

    parent: Block
    children: tuple[Block, ...]
    moved: Block

    def as_posting(self) -> dict[str, object]:
        """Journal form: enough to replay the move without the database."""
        return {
            "op": "move",
            "parent": self.parent.id,
            "children": [
                [c.id, c.account_id, c.serials.start, c.serials.end, c.reservation_id]
                for c in self.children
            ],
        }


def allocation_order(block: Block) -> tuple[int, int]:
    """Order in which total-quantity designation (総量指定方式) takes credits.

    Oldest vintage first, then lowest serial: credits closest to the end of their usable
    life leave first, and the choice is deterministic, so a holder can predict it.
    """
    return (block.attributes.vintage, block.serials.start)


def select_by_quantity(
    candidates: Iterable[Block], quantity: int, *, what: str = "available credits"
) -> list[Selection]:
    """Designate ``quantity`` units from ``candidates`` in :func:`allocation_order`."""
    return take_in_allocation_order(sorted(candidates, key=allocation_order), quantity,
                                    what=what)


def take_in_allocation_order(
    ordered: Iterable[Block], quantity: int, *, what: str = "available credits"
) -> list[Selection]:
    """Designate ``quantity`` units from blocks already in :func:`allocation_order`.

    The blocks are consumed lazily: a store that yields them in that order (the registry
    database does, by index) is read only as far as the quantity needs, so a transfer out
    of an account of many blocks costs what it moves, not what the account holds.
    """
    selections: list[Selection] = []
    remaining = quantity
    blocks = iter(ordered)
    for block in blocks:
        take = min(remaining, block.quantity)
        selections.append(Selection(block, block.serials.take_first(take)))
        remaining -= take
        if remaining == 0:
            return selections
    available = quantity - remaining
    raise InsufficientCreditsError(
        f"the account holds {available} {what}, fewer than the {quantity} requested",
        field="quantity",
    )


def select_by_serials(candidates: Iterable[Block], wanted: SerialRange,
                      prefix: SerialPrefix | None = None) -> list[Selection]:
    """Designate exactly the serials in ``wanted`` (シリアル番号指定方式).

    Every serial of ``wanted`` must lie in a candidate block; the first one that does not is
    named in the error. A designation written as a full serial number (``prefix``) must
    also match the scheme, credit type and 認証番号 of every credit it designates.
    """
    overlapping = sorted(
        (b for b in candidates if b.serials.overlaps(wanted)), key=lambda b: b.serials.start
    )
    selections: list[Selection] = []
    expected = wanted.start
    for block in overlapping:
        if block.serials.start > expected:
            break
        part = block.serials.intersection(wanted)
        assert part is not None
        selections.append(Selection(block, part))
        expected = part.end + 1
    if expected <= wanted.end:
        raise SerialRangeUnavailableError(
            f"serial {expected} of {wanted} is not available in this account "
            "(not held here, already reserved for an invalidation, or never issued)",
            field="serials",
        )
    if prefix is not None:
        for selection in selections:
            _check_prefix(prefix, wanted, selection)
    return selections


def _check_prefix(prefix: SerialPrefix, wanted: SerialRange, selection: Selection) -> None:
    attributes = selection.block.attributes
    for part, written, actual in (
            ("scheme (制度記号)", prefix.scheme, attributes.scheme.value),
            ("credit type (クレジット種別)", prefix.credit_type, attributes.credit_type.value),
            ("certification number (認証番号)", prefix.certification_number,
             attributes.certification_number)):
        if written != actual:
            raise SerialRangeUnavailableError(
                f"serials {prefix}-{wanted}: the {part} of serials {selection.part} in this "
                f"account is {actual}, not {written}; nothing was designated",
                field="serials",
            )


def plan_moves(
    selections: Sequence[Selection],
    *,
    to_account_id: int,
    to_reservation_id: int | None,
    next_id: Callable[[], int],
) -> list[Supersession]:
    """Supersede each selected block by the moved part and what stays behind.

    The children are in serial order (what stays before the part, the part, what stays
    after it) and take their ids in that order."""
    result = []
    for selection in selections:
        parent, part = selection.block, selection.part
        before, after = parent.serials.split_around(part)
        # Block(id, root_id, account_id, serials, attributes, reservation_id): positional,
        # as a frozen dataclass takes keywords at twice the cost, on every move
        children = []
        if before is not None:
            children.append(Block(next_id(), parent.root_id, parent.account_id, before,
                                  parent.attributes, parent.reservation_id))
        moved = Block(next_id(), parent.root_id, to_account_id, part, parent.attributes,
                      to_reservation_id)
        children.append(moved)
        if after is not None:
            children.append(Block(next_id(), parent.root_id, parent.account_id, after,
                                  parent.attributes, parent.reservation_id))
        result.append(Supersession(parent, tuple(children), moved))
    return result


def total_quantity(blocks: Iterable[Block]) -> int:
    return sum(b.quantity for b in blocks)
