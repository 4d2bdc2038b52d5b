"""Where an issuance's credits are now: held, reserved, invalidated, retired, cancelled.

Every credit of an issuance is in exactly one of these states, so the five counts add up to
the issued quantity (``ledger check`` asserts it for every issuance). Counts are whole
t-CO2 (one serial each). Pure: stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass

from jcredit.domain.ledger.accounts import AccountKind

STATES = ("held", "reserved", "invalidated", "retired", "cancelled")
STATE_LABELS_JA = {"held": "保有", "reserved": "予約中", "invalidated": "無効化済",
                   "retired": "償却済", "cancelled": "取消済"}
_TERMINAL_STATE = {AccountKind.INVALIDATION.value: "invalidated",
                   AccountKind.RETIREMENT.value: "retired",
                   AccountKind.CANCELLATION.value: "cancelled"}


def state_of(kind: AccountKind | str, reserved: bool) -> str:
    """The state of live credits in an account of ``kind`` (reserved: for an invalidation
    application still pending). A kind is taken as its stored text, so a kind that is not
    one (a tampered row) counts as held rather than failing the check that reports it."""
    terminal = _TERMINAL_STATE.get(str(kind))
    if terminal is not None:
        return terminal
    return "reserved" if reserved else "held"


@dataclass
class Breakdown:
    """An issuance's credits per state [t-CO2]."""

    issued: int
    held: int = 0
    reserved: int = 0
    invalidated: int = 0
    retired: int = 0
    cancelled: int = 0

    def add(self, state: str, quantity: int) -> None:
        setattr(self, state, getattr(self, state) + quantity)

    @property
    def accounted(self) -> int:
        return sum(getattr(self, state) for state in STATES)

    @property
    def conserved(self) -> bool:
        """held + reserved + invalidated + retired + cancelled == issued."""
        return self.accounted == self.issued

    def as_dict(self) -> dict[str, int]:
        return {"issued": self.issued} | {state: getattr(self, state) for state in STATES}
