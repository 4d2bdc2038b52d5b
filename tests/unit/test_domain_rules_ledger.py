"""Ledger rules that mutation testing (scripts/mutation, docs/testing.md) found unguarded.

Blocks, serial ranges, uses and invalidation applications, as a holder or the secretariat
would state the rule. replay.py (the ledger check) is left to its own tests.
"""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from jcredit.domain.errors import IneligibleUseError
from jcredit.domain.errors import InsufficientCreditsError
from jcredit.domain.errors import InvalidStateError
from jcredit.domain.errors import ValidationError
from jcredit.domain.ledger.blocks import Block
from jcredit.domain.ledger.blocks import Selection
from jcredit.domain.ledger.blocks import plan_moves
from jcredit.domain.ledger.blocks import select_by_quantity
from jcredit.domain.ledger.blocks import total_quantity
from jcredit.domain.ledger.credits import Category
from jcredit.domain.ledger.credits import CreditAttributes
from jcredit.domain.ledger.credits import CreditType
from jcredit.domain.ledger.credits import SchemeCode
from jcredit.domain.ledger.invalidations import ApplicationStatus
from jcredit.domain.ledger.invalidations import InvalidationApplication
from jcredit.domain.ledger.invalidations import check_reporting_year
from jcredit.domain.ledger.invalidations import parse_free_text
from jcredit.domain.ledger.serials import MAX_SERIAL
from jcredit.domain.ledger.serials import SerialRange
from jcredit.domain.ledger.serials import parse_serial_range
from jcredit.domain.ledger.uses import InvalidationUse
from jcredit.domain.ledger.uses import OffsetPurpose
from jcredit.domain.ledger.uses import check_offset_purpose
from jcredit.domain.ledger.uses import check_use
from jcredit.domain.ledger.uses import ineligibility_reason


def attributes(scheme: str = "JC", credit_type: str = "ER",
               category: Category = Category.RENEWABLE_POWER, vintage: int = 2025
               ) -> CreditAttributes:
    return CreditAttributes(SchemeCode(scheme), CreditType(credit_type), category, "P-1",
                            "EN-R-002", "3.0", "C-1", vintage)


# --- moves ---------------------------------------------------------------------------------

def test_moving_the_middle_of_a_reserved_block_leaves_both_ends_as_they_were() -> None:
    attrs = attributes()
    parent = Block(10, 1, 7, SerialRange(101, 200), attrs, reservation_id=55)
    ids = count(11)
    (move,) = plan_moves([Selection(parent, SerialRange(131, 140))], to_account_id=9,
                         to_reservation_id=66, next_id=lambda: next(ids))
    assert move.parent == parent
    before, moved, after = move.children
    assert moved is move.moved
    assert before == Block(11, 1, 7, SerialRange(101, 130), attrs, 55)
    assert moved == Block(12, 1, 9, SerialRange(131, 140), attrs, 66)
    assert after == Block(13, 1, 7, SerialRange(141, 200), attrs, 55)
    assert move.as_posting() == {
        "op": "move", "parent": 10,
        "children": [[11, 7, 101, 130, 55], [12, 9, 131, 140, 66], [13, 7, 141, 200, 55]],
    }


def test_a_holder_short_of_reserved_credits_is_told_which_credits_are_short() -> None:
    blocks = [Block(1, 1, 7, SerialRange(1, 3), attributes())]
    with pytest.raises(InsufficientCreditsError) as refused:
        select_by_quantity(blocks, 5, what="credits reserved for application 4")
    assert refused.value.field == "quantity"
    assert "3 credits reserved for application 4, fewer than the 5" in str(refused.value)
    assert total_quantity([*blocks, Block(2, 2, 7, SerialRange(10, 19), attributes())]) == 13


# --- serial ranges ---------------------------------------------------------------------

def test_a_range_contains_its_own_edges_but_not_a_range_sticking_out() -> None:
    outer = SerialRange(10, 20)
    assert outer.contains(outer)
    assert outer.contains(SerialRange(10, 10)) and outer.contains(SerialRange(20, 20))
    assert not outer.contains(SerialRange(9, 15))
    assert not outer.contains(SerialRange(15, 21))
    assert not outer.contains(SerialRange(30, 40))


def test_ranges_sharing_one_serial_intersect_in_it_and_disjoint_ranges_not_at_all() -> None:
    assert SerialRange(1, 5).intersection(SerialRange(5, 9)) == SerialRange(5, 5)
    assert SerialRange(1, 5).intersection(SerialRange(3, 9)) == SerialRange(3, 5)
    assert SerialRange(1, 5).intersection(SerialRange(6, 9)) is None


@pytest.mark.parametrize("text", ["0-5", "0", "5-3", f"1-{MAX_SERIAL + 1}", f"{MAX_SERIAL + 1}"])
def test_a_typed_range_starting_at_0_reversed_or_past_the_last_serial_names_its_field(
        text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_serial_range(text, field="from_serials")
    assert refused.value.field == "from_serials"
    assert repr(text) in str(refused.value) and "must be ≥ 1" in str(refused.value)


@pytest.mark.parametrize(("text", "expected"), [
    ("1", SerialRange(1, 1)), ("1-5", SerialRange(1, 5)),
    (str(MAX_SERIAL), SerialRange(MAX_SERIAL, MAX_SERIAL)),
    (f"1-{MAX_SERIAL}", SerialRange(1, MAX_SERIAL)),
])
def test_typed_ranges_from_serial_1_to_the_last_serial_are_accepted(
        text: str, expected: SerialRange) -> None:
    assert parse_serial_range(text) == expected


# --- uses ---------------------------------------------------------------------------------

def test_an_offset_needs_its_purpose_and_no_other_use_takes_one() -> None:
    check_offset_purpose(InvalidationUse.OFFSET, OffsetPurpose.EVENT)
    check_offset_purpose(InvalidationUse.CDP, None)
    with pytest.raises(ValidationError) as missing:
        check_offset_purpose(InvalidationUse.OFFSET, None)
    assert missing.value.field == "offset_purpose"
    assert missing.value.valid == tuple(p.value for p in OffsetPurpose)
    with pytest.raises(ValidationError) as extra:
        check_offset_purpose(InvalidationUse.CDP, OffsetPurpose.SELF)
    assert extra.value.field == "offset_purpose"


def test_a_use_refusing_a_category_names_the_categories_it_accepts() -> None:
    forest = attributes(credit_type="FM", category=Category.FOREST)
    with pytest.raises(IneligibleUseError) as refused:
        check_use(InvalidationUse.SBT, forest, subject="block 3")
    assert refused.value.field == "use"
    assert str(refused.value) == (
        "block 3: SBT accepts only RENEWABLE_HEAT, RENEWABLE_POWER credits, not FOREST")
    check_use(InvalidationUse.SBT, attributes(), subject="block 4")


def test_domestic_credits_are_retired_not_invalidated() -> None:
    reason = ineligibility_reason(InvalidationUse.OFFSET, attributes("KC", "KC"))
    assert reason == "KC credits are 国内クレジット: they are retired (償却), not invalidated"


# --- invalidation applications ------------------------------------------------------------

def application(status: ApplicationStatus) -> InvalidationApplication:
    return InvalidationApplication(
        8, 7, 10, None, InvalidationUse.OFFSET, OffsetPurpose.SELF, "", "A社", None, 2025,
        status, "2026-05-01T00:00:00Z", "user:1")


def test_only_a_pending_application_can_be_executed_or_withdrawn() -> None:
    application(ApplicationStatus.PENDING).require_pending("executed")
    for status in (ApplicationStatus.EXECUTED, ApplicationStatus.WITHDRAWN):
        with pytest.raises(InvalidStateError) as refused:
            application(status).require_pending("withdrawn")
        assert refused.value.field == "application"
        assert refused.value.valid == ("PENDING",)
        assert f"application 8 is {status}; only a PENDING application can be withdrawn" == str(
            refused.value)


def test_a_closed_reporting_year_is_refused_with_the_end_of_june_rule() -> None:
    with pytest.raises(ValidationError) as refused:
        check_reporting_year(InvalidationUse.ONTAIHO_EMISSIONS, 2024, date(2026, 5, 31))
    assert refused.value.field == "fiscal_year"
    assert refused.value.valid == ("2025", "2026")
    assert str(refused.value) == (
        "reporting fiscal year 2024 is not open for ONTAIHO_EMISSIONS on 2026-05-31: an "
        "invalidation counts for the fiscal year it is completed in, or the previous one if "
        "completed by 30 June")


def test_free_text_is_trimmed_to_single_spaces_and_limited_in_length() -> None:
    assert parse_free_text("  A社\n  東京 ", field="credit_user_name", max_length=10,
                           required=True) == "A社 東京"
    assert parse_free_text(None, field="purpose_details", max_length=5, required=False) == ""
    assert parse_free_text("abcde", field="purpose_details", max_length=5,
                           required=False) == "abcde"
    with pytest.raises(ValidationError) as empty:
        parse_free_text("   ", field="credit_user_name", max_length=10, required=True)
    assert empty.value.field == "credit_user_name"
    assert str(empty.value) == "credit_user_name is required"
    with pytest.raises(ValidationError) as long:
        parse_free_text("abcdef", field="purpose_details", max_length=5, required=False)
    assert long.value.field == "purpose_details"
    assert str(long.value) == "purpose_details is 6 characters; at most 5"
