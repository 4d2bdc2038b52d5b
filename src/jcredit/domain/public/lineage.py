"""A credit's public lineage (issue 16): from its issuance through transfers to
invalidation, retirement or cancellation, as the J Blue Credit クレジット管理簿 publishes it
(per issuance: serials and attributes, then each holding, each transfer, each invalidation
with date, quantity and serials, and what remains; ``../shared/reference/registries.md``
§5, blueeconomy.jp ``credit/registry-commentary``).

What the public sees of a holder follows what the J-Credit scheme itself publishes: the
project list names the implementer and the credit holder (保有者), and the invalidation list
names the credit user where the holder consented. So a holding is shown with its
organisation's name only when that organisation is named on the project's public page; an
invalidation with the credit user's name only when the application consented to
publication; account numbers never (the J-Credit registry does not publish them), nor
users or the purpose details. Pure: stdlib only.

Each block of an issuance is one holding of a serial range from the entry that created it
to the entry that closed it (the ``blocks`` table, which ``ledger check`` rebuilds from the
journal). What happened at a block's creation is read from the entry's command and from the
block it replaced (the one closed by the same entry that holds the same serials).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EVENTS = ("issuance", "transfer", "split", "invalidation_reserved", "reservation_released",
          "invalidation", "retirement", "cancellation", "correction", "other")
"""What the entry that created a holding did, in the order a lineage is usually read."""

STATES = ("held", "reserved", "invalidated", "retired", "cancelled", "registry")
"""Where a holding sits: a holder's account (held; reserved for a pending invalidation
application), one of the registry's terminal accounts, or another registry account."""

_TERMINAL = {"INVALIDATION": "invalidated", "RETIREMENT": "retired",
             "CANCELLATION": "cancelled"}
_COMMANDS = {"credits.issue": "issuance", "monitoring.transition": "issuance",
             "credits.transfer": "transfer", "invalidation.execute": "invalidation",
             "credits.retire": "retirement", "credits.cancel": "cancellation"}


@dataclass(frozen=True)
class Holding:
    """One block: a serial range held in one account from ``created_seq`` to
    ``closed_seq`` (None: still held)."""

    block_id: int
    account_id: int  # to tell holdings apart; never shown
    account_kind: str
    organisation_id: int | None
    start: int
    end: int
    reservation_id: int | None
    created_seq: int
    closed_seq: int | None
    command: str

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


def state(holding: Holding) -> str:
    """``held``, ``reserved``, ``invalidated``, ``retired``, ``cancelled`` or ``registry``."""
    if holding.account_kind in _TERMINAL:
        return _TERMINAL[holding.account_kind]
    if holding.account_kind == "HOLDING":
        return "reserved" if holding.reservation_id is not None else "held"
    return "registry"


def predecessor(holding: Holding, holdings: Sequence[Holding]) -> Holding | None:
    """The block this one replaced: closed by the entry that created it, holding its
    first serial (a block is only ever cut, so one predecessor holds all of its serials)."""
    for other in holdings:
        if other.closed_seq == holding.created_seq and other.start <= holding.start <= other.end:
            return other
    return None


def event(holding: Holding, before: Holding | None) -> str:
    """What the creating entry did to these serials: an issuance has no predecessor; a
    block left in the same account with the same reservation is the remainder of a cut
    (``split``); a reservation made or released in the same account is the invalidation
    application's; otherwise the command says (a correction's name says so)."""
    if before is None:
        return _COMMANDS.get(holding.command, "issuance" if holding.command == "" else "other")
    same_account = before.account_id == holding.account_id
    if same_account and before.reservation_id == holding.reservation_id:
        return "split"
    if same_account and holding.reservation_id is not None:
        return "invalidation_reserved"
    if same_account and before.reservation_id is not None:
        return "reservation_released"
    known = _COMMANDS.get(holding.command)
    if known is not None and known != "issuance":
        return known
    return "correction" if "correct" in holding.command else "other"


def disclosed_holder(holding: Holding, public_organisations: dict[int, str]) -> str | None:
    """The holder's name where the scheme publishes it: an organisation named on the
    project's public page; None (not public) otherwise."""
    if holding.account_kind != "HOLDING" or holding.organisation_id is None:
        return None
    return public_organisations.get(holding.organisation_id)
