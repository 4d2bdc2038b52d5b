"""A credit's public lineage (domain/public/lineage.py): where a holding sits, what the entry
that created it did, and who is named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jcredit.domain.public import lineage as ln

ISSUED = ln.Holding(block_id=1, account_id=10, account_kind="HOLDING", organisation_id=5,
                    start=1, end=100, reservation_id=None, created_seq=3, closed_seq=7,
                    command="credits.issue")


def child(**changes: object) -> ln.Holding:
    base = replace(ISSUED, block_id=2, start=1, end=40, created_seq=7, closed_seq=None,
                   command="credits.transfer")
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "reservation", "expected"), [
    ("HOLDING", None, "held"), ("HOLDING", 4, "reserved"), ("INVALIDATION", None, "invalidated"),
    ("RETIREMENT", None, "retired"), ("CANCELLATION", None, "cancelled"),
    ("SECRETARIAT", None, "registry"), ("BUFFER", None, "registry"),
])
def test_state(kind: str, reservation: int | None, expected: str) -> None:
    assert ln.state(child(account_kind=kind, reservation_id=reservation)) == expected


def test_quantity_counts_both_ends() -> None:
    assert ISSUED.quantity == 100 and child(start=5, end=5).quantity == 1


def test_predecessor_is_the_block_closed_by_the_same_entry_holding_the_serials() -> None:
    other = replace(ISSUED, block_id=9, start=101, end=200)  # closed by 7, other serials
    later = replace(ISSUED, block_id=8, closed_seq=8)  # holds the serials, closed later
    holdings = [other, later, ISSUED, child()]
    assert ln.predecessor(child(), holdings) is ISSUED
    assert ln.predecessor(child(start=100, end=100), holdings) is ISSUED  # the last serial
    assert ln.predecessor(child(start=101, end=101), holdings) is other
    assert ln.predecessor(ISSUED, holdings) is None  # an issuance has none


def test_events() -> None:
    assert ln.event(ISSUED, None) == "issuance"
    assert ln.event(replace(ISSUED, command="monitoring.transition"), None) == "issuance"
    assert ln.event(replace(ISSUED, command=""), None) == "issuance"  # entry not found
    # no predecessor found (beyond a page): the command says
    assert ln.event(replace(ISSUED, command="credits.transfer"), None) == "transfer"
    assert ln.event(replace(ISSUED, command="credits.correct"), None) == "other"
    # into another account
    assert ln.event(child(account_id=11), ISSUED) == "transfer"
    assert ln.event(child(account_id=11, account_kind="INVALIDATION",
                          command="invalidation.execute"), ISSUED) == "invalidation"
    assert ln.event(child(account_id=12, account_kind="RETIREMENT",
                          command="credits.retire"), ISSUED) == "retirement"
    assert ln.event(child(account_id=13, command="credits.cancel"), ISSUED) == "cancellation"
    assert ln.event(child(account_id=11, command="credits.correct"), ISSUED) == "correction"
    assert ln.event(child(account_id=11, command="credits.issue"), ISSUED) == "other"
    assert ln.event(child(account_id=11, command="something.else"), ISSUED) == "other"
    # the same account: a cut, a reservation made, a reservation released
    assert ln.event(child(), ISSUED) == "split"
    assert ln.event(child(reservation_id=4, command="invalidation.apply"),
                    ISSUED) == "invalidation_reserved"
    reserved = replace(ISSUED, reservation_id=4)
    assert ln.event(child(command="invalidation.withdraw"), reserved) == "reservation_released"
    assert ln.event(child(reservation_id=4), reserved) == "split"
    # the same organisation's other account is a transfer, not a split
    assert ln.event(child(account_id=11, organisation_id=5), ISSUED) == "transfer"


def test_only_organisations_the_project_page_names_are_disclosed() -> None:
    public = {5: "山林組合ひのき森林株式会社"}
    assert ln.disclosed_holder(child(), public) == "山林組合ひのき森林株式会社"
    assert ln.disclosed_holder(child(organisation_id=6), public) is None
    assert ln.disclosed_holder(child(organisation_id=None), public) is None
    assert ln.disclosed_holder(child(account_kind="INVALIDATION"), public) is None
    assert set(ln.EVENTS) >= {"issuance", "transfer", "split", "invalidation"}
    assert set(ln.STATES) == {"held", "reserved", "invalidated", "retired", "cancelled",
                              "registry"}


def test_a_reserved_block_invalidated_is_an_invalidation_not_a_release() -> None:
    reserved = replace(ISSUED, reservation_id=4)
    executed = child(account_id=99, account_kind="INVALIDATION", organisation_id=None,
                     command="invalidation.execute")
    assert ln.event(executed, reserved) == "invalidation"
