"""Where an issuance's credits are: the five states of ledger.breakdown, as an auditor reads them."""

from __future__ import annotations

import pytest

from jcredit.domain.ledger.accounts import AccountKind
from jcredit.domain.ledger.breakdown import STATES
from jcredit.domain.ledger.breakdown import Breakdown
from jcredit.domain.ledger.breakdown import state_of


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (AccountKind.INVALIDATION, "invalidated"),
        (AccountKind.RETIREMENT, "retired"),
        (AccountKind.CANCELLATION, "cancelled"),
        ("INVALIDATION", "invalidated"),
    ],
)
def test_credits_in_a_terminal_account_are_in_its_terminal_state_even_if_reserved(
    kind: AccountKind | str, state: str
) -> None:
    assert state_of(kind, reserved=False) == state
    assert state_of(kind, reserved=True) == state


@pytest.mark.parametrize("kind", [AccountKind.HOLDING, AccountKind.SECRETARIAT,
                                  AccountKind.BUFFER, "TAMPERED", "None"])
def test_credits_in_a_circulating_account_are_held_unless_reserved(
    kind: AccountKind | str,
) -> None:
    assert state_of(kind, reserved=False) == "held"
    assert state_of(kind, reserved=True) == "reserved"


def test_an_issuance_s_states_add_up_to_what_was_issued() -> None:
    b = Breakdown(issued=100)
    b.add("held", 40)
    b.add("reserved", 10)
    b.add("invalidated", 30)
    b.add("retired", 15)
    b.add("cancelled", 5)
    b.add("held", 0)
    assert (b.held, b.reserved, b.invalidated, b.retired, b.cancelled) == (40, 10, 30, 15, 5)
    assert b.accounted == 100
    assert b.conserved


def test_credits_added_twice_to_one_state_accumulate() -> None:
    b = Breakdown(issued=10)
    b.add("held", 3)
    b.add("held", 4)
    assert b.held == 7
    assert b.accounted == 7
    assert not b.conserved


def test_an_issuance_whose_states_exceed_what_was_issued_is_not_conserved() -> None:
    b = Breakdown(issued=5, held=5, cancelled=1)
    assert b.accounted == 6
    assert not b.conserved


def test_the_breakdown_reads_as_issued_then_the_five_states_in_order() -> None:
    b = Breakdown(issued=20, held=1, reserved=2, invalidated=3, retired=4, cancelled=10)
    d = b.as_dict()
    assert d == {"issued": 20, "held": 1, "reserved": 2, "invalidated": 3, "retired": 4,
                 "cancelled": 10}
    assert list(d) == ["issued", *STATES]
